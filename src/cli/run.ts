// `ionworks-edge run`: the daemon as a service. Around the Daemon (which only connects components) this adds the
// process's edges: the config file and environment, the log format, systemd notify (READY=1 once the outbox and
// HTTP server are up, WATCHDOG=1 while healthy, STOPPING=1), the clock-sync check, and signals (SIGHUP reloads,
// SIGTERM/SIGINT stop).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { ConfigError, EX_CONFIG } from '../config/errors.js';
import { ConfigReloader } from '../config/reload.js';
import { createLogger, type Logger } from '../ops/logger.js';
import { SdNotify } from '../ops/sd-notify.js';
import { Watchdog } from '../ops/watchdog.js';
import { ClockSyncMonitor } from '../ops/clock-sync.js';
import { checkHealth } from '../ops/health.js';
import { systemTimers } from '../core/clock.js';
import { Daemon, type DaemonOptions } from '../daemon.js';
import { StateLockedError } from '../queue/lock.js';
import { OutboxCorruptError } from '../queue/integrity.js';
import type { CommandRunner } from '../ops/command.js';
import type { Command } from './commands.js';

export { EX_CONFIG };
export const EX_TEMPFAIL = 75;
export const EX_SOFTWARE = 70;
/** The outbox file is damaged: a restart cannot help, so the unit does not restart on it (RestartPreventExitStatus). */
export const EX_DATAERR = 65;

export type LogFormat = 'auto' | 'json' | 'pretty';

/** Where signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, fn: () => void): unknown;
  off(signal: NodeJS.Signals, fn: () => void): unknown;
}

export interface ServeOptions {
  configPath: string;
  /** Config overrides (IONWORKS_EDGE_*), the API key, NOTIFY_SOCKET, WATCHDOG_USEC; default process.env. */
  env?: NodeJS.ProcessEnv;
  logFormat?: LogFormat;
  /** Replaces the logger built from the config (tests capture lines with it). */
  logger?: Logger;
  signals?: SignalSource;
  /** For systemd-notify and timedatectl; tests may substitute answers. */
  run?: CommandRunner;
  /** Edges handed to the Daemon (clock, timers, fetch, serial binding). */
  daemon?: Pick<DaemonOptions, 'clock' | 'timers' | 'fetch' | 'binding'>;
  /** Called once the daemon is up and READY=1 is sent (tests reach the daemon through it). */
  onReady?: (daemon: Daemon) => void;
}

export const runCommand: Command = {
  summary: 'run the daemon: run --config <file> [--log-format auto|json|pretty]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, 'log-format': { type: 'string', default: 'auto' } },
    });
    const format = values['log-format'];
    if (!values.config || !isLogFormat(format)) {
      process.stderr.write('usage: ionworks-edge run --config <file> [--log-format auto|json|pretty]\n');
      return 64;
    }
    // Absolute, so the start-up line and reload messages name the file whatever the working directory was.
    return serve({ configPath: resolve(values.config), logFormat: format });
  },
};

/** Runs until SIGTERM or SIGINT; resolves with the exit code (0 after a clean stop). */
export async function serve(opts: ServeOptions): Promise<number> {
  const env = opts.env ?? process.env;
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(opts.configPath, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return EX_CONFIG;
  }
  const { config } = loaded;
  // Every key this process has held, and the status-page token: censored wherever they would appear in a log.
  const secrets = new Set([loaded.apiKey, config.http.access_token]);
  const pretty = opts.logFormat === 'pretty' || ((opts.logFormat ?? 'auto') === 'auto' && process.stdout.isTTY === true);
  const logger = opts.logger ?? createLogger({ level: config.log.level, pretty, secrets: () => [...secrets] });
  if (loaded.overrides.length > 0)
    logger.info(
      { event: 'config.env_overrides', variables: loaded.overrides.map((o) => o.variable), keys: loaded.overrides.map((o) => o.path.join('.')) },
      `${loaded.overrides.length} setting(s) from the environment`,
    );

  const timers = opts.daemon?.timers ?? systemTimers;
  const notifier = new SdNotify({ logger, env, ...(opts.run ? { run: opts.run } : {}) });
  const clockSync = new ClockSyncMonitor({ timers, logger, ...(opts.run ? { run: opts.run } : {}) });
  const daemon = new Daemon({
    config,
    configPath: opts.configPath,
    ...(loaded.apiKey === undefined ? {} : { apiKey: loaded.apiKey }),
    logger,
    clockSync: () => clockSync.state,
    ...opts.daemon,
  });
  try {
    await daemon.start();
  } catch (err) {
    if (err instanceof StateLockedError) {
      logger.error({ event: 'daemon.locked', err: err.message }, err.message);
      return EX_TEMPFAIL;
    }
    if (err instanceof OutboxCorruptError) {
      logger.fatal({ event: 'outbox.corrupt', path: err.path, detail: err.detail }, err.message);
      return EX_DATAERR;
    }
    logger.fatal({ event: 'daemon.failed', err }, 'could not start');
    return EX_SOFTWARE;
  }

  // Instruments may still be connecting: READY means the outbox takes measurements and the HTTP server answers.
  const counts = daemon.outbox.counts();
  await notifier.ready(`${counts.pending} pending, ${counts.dead} dead letters; status on ${daemon.http.url}`);
  const watchdog = new Watchdog({ notifier, healthy: () => checkHealth(daemon).ok, timers, logger, env });
  await watchdog.start();
  // Not awaited: timedatectl may take seconds, and its answer is only logged and shown in /metrics.
  void clockSync.start();
  const reloader = new ConfigReloader({
    configPath: opts.configPath,
    load: (path) => loadConfig(path, env),
    initial: loaded,
    logger,
    target: {
      stations: daemon.stations,
      setStation: (id, cfg, lab) => daemon.setStation(id, cfg, lab),
      setApiKey: (key) => {
        secrets.add(key);
        daemon.setApiKey(key);
      },
    },
  });
  const signals = opts.signals ?? process;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onHup = () => {
      if (stopping) return;
      try {
        reloader.reload();
      } catch (err) {
        // A signal handler that throws would take the daemon down; a failed reload must not.
        logger.error({ event: 'config.reload_failed', path: opts.configPath, err }, 'config reload failed while applying');
      }
    };
    const onStop = () => {
      if (stopping) return;
      stopping = true;
      signals.off('SIGHUP', onHup);
      signals.off('SIGTERM', onStop);
      signals.off('SIGINT', onStop);
      void (async () => {
        await notifier.stopping();
        await watchdog.stop();
        await clockSync.stop();
        reloader.stop();
        await daemon.stop();
      })().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ event: 'daemon.stop_failed', err }, 'stop failed');
          resolve(EX_SOFTWARE);
        },
      );
    };
    signals.on('SIGHUP', onHup);
    signals.on('SIGTERM', onStop);
    signals.on('SIGINT', onStop);
    opts.onReady?.(daemon);
  });
}

function isLogFormat(v: unknown): v is LogFormat {
  return v === 'auto' || v === 'json' || v === 'pretty';
}
