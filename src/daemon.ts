// Composition root: builds every component from the config, wires devices -> stations -> outbox -> uploader,
// starts them in order and stops them in reverse. Nothing here decides behaviour; it only connects.
import { join } from 'node:path';
import type { BindingInterface } from './devices/index.js';
import { systemClock, systemTimers, type Clock, type Timers } from './core/clock.js';
import type { Config } from './config/schema.js';
import type { Device, DeviceStatus } from './devices/device.js';
import { createDevice } from './devices/index.js';
import { Station } from './station/station.js';
import { Outbox } from './queue/outbox.js';
import { acquireStateLock, type StateLock } from './queue/lock.js';
import { Uploader } from './uploader/uploader.js';
import { defaultFetch, type FetchLike } from './uploader/http.js';
import { OpsHttpServer, sendJson } from './ops/http-server.js';
import type { Logger } from './ops/logger.js';
import { VERSION } from './version.js';

export interface DaemonOptions {
  config: Config;
  configPath: string;
  apiKey?: string;
  logger: Logger;
  clock?: Clock;
  timers?: Timers;
  fetch?: FetchLike;
  binding?: BindingInterface;
}

export class Daemon {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly outbox: Outbox;
  readonly uploader: Uploader;
  readonly http: OpsHttpServer;
  readonly devices = new Map<string, Device>();
  readonly stations = new Map<string, Station>();
  private lock?: StateLock;
  private started = false;

  constructor(private readonly opts: DaemonOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? systemTimers;
    const { config, logger } = opts;
    this.outbox = new Outbox({ path: join(config.state_dir, 'outbox.db'), clock: this.clock, logger });
    this.uploader = new Uploader({
      outbox: this.outbox,
      fetch: opts.fetch ?? defaultFetch(),
      clock: this.clock,
      timers: this.timers,
      logger: logger.child({ component: 'uploader' }),
      getApiKey: () => this.opts.apiKey,
      config: config.api,
    });
    this.http = new OpsHttpServer({ host: config.http.host, port: config.http.port, logger });
  }

  async start(): Promise<void> {
    const { config, logger } = this.opts;
    logger.info(
      { event: 'daemon.starting', version: VERSION, config: this.opts.configPath, stateDir: config.state_dir },
      `ionworks-edge ${VERSION} starting (config ${this.opts.configPath}, state ${config.state_dir})`,
    );
    this.lock = acquireStateLock(config.state_dir, { pid: process.pid, clock: this.clock });
    try {
      this.outbox.open();
      this.buildStationsAndDevices();
      this.registerRoutes();
      await this.http.start();
      await this.uploader.start();
      for (const device of this.devices.values()) await device.start();
      this.started = true;
      const counts = this.outbox.counts();
      logger.info({ event: 'daemon.ready', ...counts }, `ready: ${counts.pending} pending, ${counts.dead} dead letters`);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops taking new work, lets in-flight uploads end, closes the database. Safe to call twice. */
  async stop(graceMs = 5_000): Promise<void> {
    const { logger } = this.opts;
    if (this.started) logger.info({ event: 'daemon.stopping' }, 'stopping');
    this.started = false;
    for (const device of [...this.devices.values()].reverse()) await device.stop().catch(() => undefined);
    await this.uploader.stop(graceMs).catch(() => undefined);
    await this.http.stop().catch(() => undefined);
    this.outbox.close();
    this.lock?.release();
    this.lock = undefined;
    logger.info({ event: 'daemon.stopped' }, 'stopped');
  }

  status(): { version: string; stations: unknown[]; devices: DeviceStatus[]; outbox: ReturnType<Outbox['counts']> } {
    return {
      version: VERSION,
      stations: [...this.stations.values()].map((s) => s.snapshot()),
      devices: [...this.devices.values()].map((d) => d.status()),
      outbox: this.outbox.counts(),
    };
  }

  private buildStationsAndDevices(): void {
    const { config, logger } = this.opts;
    for (const [id, cfg] of Object.entries(config.devices)) {
      const device = createDevice(id, cfg, {
        clock: this.clock,
        timers: this.timers,
        logger: logger.child({ device: id }),
        ...(this.opts.binding ? { binding: this.opts.binding } : {}),
      });
      this.devices.set(id, device);
    }
    for (const [id, cfg] of Object.entries(config.stations)) {
      const station = new Station({
        id,
        config: cfg,
        lab: config.lab,
        version: VERSION,
        clock: this.clock,
        logger,
        save: (m) => {
          const saved = this.outbox.save(m);
          this.uploader.kick();
          return saved;
        },
      });
      this.stations.set(id, station);
      this.devices.get(cfg.scanner)?.on('scan', (scan) => station.handleScan(scan));
      const sources = new Set(Object.values(cfg.properties).map((p) => p.device));
      for (const deviceId of sources) this.devices.get(deviceId)?.on('reading', (r) => station.handleReading(r));
    }
  }

  private registerRoutes(): void {
    this.http.route('GET', '/healthz', (_req, res) => {
      const counts = this.outbox.counts();
      sendJson(res, 200, { ok: true, version: VERSION, outbox: counts });
    });
    this.http.route('GET', '/api/status', (_req, res) => sendJson(res, 200, this.status()));
  }
}
