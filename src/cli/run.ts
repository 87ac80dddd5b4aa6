import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { createLogger } from '../ops/logger.js';
import { Daemon } from '../daemon.js';
import { StateLockedError } from '../queue/lock.js';
import type { Command } from './commands.js';

export const EX_CONFIG = 78;
export const EX_TEMPFAIL = 75;

export const runCommand: Command = {
  summary: 'run the daemon: run --config <file>',
  async run(args) {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
    if (!values.config) {
      process.stderr.write('ionworks-edge run: --config <file> is required\n');
      return 64;
    }
    let loaded: ReturnType<typeof loadConfig>;
    try {
      loaded = loadConfig(values.config);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        return EX_CONFIG;
      }
      throw err;
    }
    const logger = createLogger({ level: loaded.config.log.level });
    const daemon = new Daemon({ config: loaded.config, configPath: values.config, apiKey: loaded.apiKey, logger });
    try {
      await daemon.start();
    } catch (err) {
      if (err instanceof StateLockedError) {
        logger.error({ event: 'daemon.locked', err: err.message }, err.message);
        return EX_TEMPFAIL;
      }
      logger.fatal({ event: 'daemon.failed', err }, 'could not start');
      return 70;
    }
    return waitForSignal(daemon);
  },
};

/** Resolves with the exit code once SIGTERM or SIGINT has stopped the daemon cleanly. */
export function waitForSignal(daemon: Pick<Daemon, 'stop'>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      void daemon.stop().then(
        () => resolve(0),
        () => resolve(70),
      );
      void signal;
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
