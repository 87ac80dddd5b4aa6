// Composition root: builds every component from the config, wires devices -> stations -> outbox -> uploader,
// starts them in order and stops them in reverse. Nothing here decides behaviour; it only connects.
import type { BindingInterface } from './devices/index.js';
import { systemClock, systemTimers, type Clock, type Timers } from './core/clock.js';
import type { Config, StationConfig } from './config/schema.js';
import type { Reading, Scan } from './core/types.js';
import type { Device, DeviceStatus } from './devices/device.js';
import { createDevice } from './devices/index.js';
import { Station } from './station/station.js';
import { TraceStore } from './station/trace-store.js';
import { makeVoider } from './station/void.js';
import { CellLookup, makeCellResolver, type ApiAccess } from './uploader/cell-lookup.js';
import { Outbox } from './queue/outbox.js';
import { outboxPath } from './queue/db.js';
import { acquireStateLock, type StateLock } from './queue/lock.js';
import { asCorruption, verifyOutbox } from './queue/integrity.js';
import { DAY_MS, Housekeeper } from './queue/housekeeper.js';
import { StorageGuard } from './queue/storage-guard.js';
import { Uploader } from './uploader/uploader.js';
import { defaultFetch, type FetchLike } from './uploader/http.js';
import { OpsHttpServer } from './ops/http-server.js';
import { mountStatusPage, type MountedStatusPage } from './ops/status/routes.js';
import type { Logger } from './ops/logger.js';
import { DaemonMetrics, reportUploadOutcomes } from './ops/metrics.js';
import { registerUploaderRoutes } from './ops/uploader-routes.js';
import { registerHealthRoutes } from './ops/health.js';
import type { ClockSyncState } from './ops/clock-sync.js';
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
  /** The clock-sync monitor's last answer, for /metrics (src/ops/clock-sync.ts). */
  clockSync?: () => ClockSyncState | undefined;
}

export class Daemon {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly outbox: Outbox;
  readonly storage: StorageGuard;
  readonly housekeeper: Housekeeper;
  readonly uploader: Uploader;
  /** The outbox row plus what the station keeps beside it (raw readings, unresolved names, voids). */
  readonly trace: TraceStore;
  private readonly api: ApiAccess;
  readonly http: OpsHttpServer;
  readonly metrics: DaemonMetrics;
  readonly devices = new Map<string, Device>();
  readonly stations = new Map<string, Station>();
  /** Removes a station's device listeners, so a reloaded station replaces it cleanly. */
  private readonly unwireStation = new Map<string, () => void>();
  /** The station configs and lab name in effect (SIGHUP reload changes them): for the status page and the resolver. */
  private readonly stationConfigs = new Map<string, StationConfig>();
  private lab: string;
  private statusPage?: MountedStatusPage;
  private lock?: StateLock;
  private started = false;

  constructor(private readonly opts: DaemonOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? systemTimers;
    const { config, logger } = opts;
    this.lab = config.lab;
    const dbPath = outboxPath(config.state_dir);
    this.outbox = new Outbox({ path: dbPath, clock: this.clock, logger });
    this.storage = new StorageGuard({
      usage: () => this.outbox.admin().usage(),
      limits: { maxRows: config.queue.max_rows, ...(config.queue.max_bytes === undefined ? {} : { maxBytes: config.queue.max_bytes }) },
      logger,
    });
    this.housekeeper = new Housekeeper({
      // Raw readings have their own retention (raw_retention_days, stamped on each row as keep_until).
      prune: (before) => {
        this.trace.pruneRawReadings(this.clock.now());
        return this.outbox.admin().pruneDelivered(before);
      },
      check: () => this.storage.check(),
      retentionMs: config.queue.retention_days * DAY_MS,
      intervalMs: config.queue.housekeeping_interval_ms,
      clock: this.clock,
      timers: this.timers,
      logger,
    });
    this.metrics = new DaemonMetrics({
      version: VERSION,
      clock: this.clock,
      logger,
      outbox: {
        counts: () => this.outbox.counts(),
        oldestPendingAt: () => this.outbox.oldestPendingAt(),
        voided: () => this.trace.voidedBeforeUpload(),
      },
      outboxPath: dbPath,
      stateDir: config.state_dir,
      devices: () => [...this.devices.values()].map((d) => d.status()),
      stations: () => this.stations.keys(),
      uploaderMode: () => this.uploader.state().mode,
      ...(opts.clockSync ? { clockSync: opts.clockSync } : {}),
    });
    this.trace = new TraceStore(this.outbox);
    const fetch = opts.fetch ?? defaultFetch();
    this.api = { baseUrl: config.api.base_url, getApiKey: () => this.opts.apiKey, fetch, timeoutMs: config.api.timeout_ms };
    this.uploader = new Uploader({
      // Upload outcomes are counted as the outbox records them.
      outbox: reportUploadOutcomes(this.outbox, (outcome, at) => this.metrics.upload(outcome, at)),
      fetch,
      clock: this.clock,
      timers: this.timers,
      logger: logger.child({ component: 'uploader' }),
      getApiKey: () => this.opts.apiKey,
      config: config.api,
      // Rows saved with a scanned cell name while offline are resolved to an id before they are posted.
      resolveCell: makeCellResolver({
        lookup: new CellLookup({ api: this.api, clock: this.clock, negativeTtlMs: 60_000 }),
        store: this.trace,
        specFor: (station) => this.stationConfigs.get(station)?.cell_id.cell_specification_id,
        clock: this.clock,
      }),
      // While the uploads that follow a save are on the wire: checkpoint the WAL then, not inside a save's commit.
      onSending: () => this.outbox.checkpoint(),
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
      verifyOutbox(this.outbox.connection(), outboxPath(config.state_dir));
      this.housekeeper.start();
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
      // A damaged file can fail at open, at the check or at the first query: one clear error for all three.
      throw asCorruption(err, outboxPath(config.state_dir));
    }
  }

  /** Stops taking new work, lets in-flight uploads end, closes the database. Safe to call twice. */
  async stop(graceMs = this.opts.config.api.shutdown_grace_ms): Promise<void> {
    const { logger } = this.opts;
    // A start that failed half way is undone here too, but that is not a stop: its error is the last word.
    const wasStarted = this.started;
    if (wasStarted) logger.info({ event: 'daemon.stopping' }, 'stopping');
    this.started = false;
    for (const station of this.stations.values()) station.stop();
    for (const device of [...this.devices.values()].reverse()) await device.stop().catch(() => undefined);
    await this.uploader.stop(graceMs).catch(() => undefined);
    await this.http.stop().catch(() => undefined);
    this.housekeeper.stop();
    this.outbox.close();
    this.lock?.release();
    this.lock = undefined;
    if (wasStarted) logger.info({ event: 'daemon.stopped' }, 'stopped');
  }

  /** A trivial query: throws when the outbox database does not answer (closed, I/O error, locked up). */
  pingDatabase(): void {
    this.outbox.connection().prepare('SELECT count(*) FROM sqlite_master').get();
  }

  /**
   * A key re-read on SIGHUP (config reload): used from the next upload on; the uploader re-checks a refused key at
   * once, and a halted uploader resumes (a reload is how the operator says the cause is fixed).
   */
  setApiKey(key: string | undefined): void {
    this.opts.apiKey = key;
    this.uploader.reloadKey();
    this.uploader.resume();
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
        // Drivers bind { device, kind } themselves; a child here would write "device" twice on every line.
        logger,
        ...(this.opts.binding ? { binding: this.opts.binding } : {}),
      });
      this.devices.set(id, device);
      device.on('reading', (r) => this.metrics.reading(r));
    }
    for (const [id, cfg] of Object.entries(config.stations)) this.setStation(id, cfg, config.lab);
  }

  /** Builds and wires station `id` from `cfg`, replacing the one with that id (undefined removes it): SIGHUP reload. */
  setStation(id: string, cfg: StationConfig | undefined, lab: string): void {
    const { logger } = this.opts;
    this.unwireStation.get(id)?.();
    this.unwireStation.delete(id);
    this.stations.get(id)?.stop();
    // A replaced station keeps its place in the map (the status page's order); only a removal deletes.
    this.lab = lab;
    if (!cfg) {
      this.stationConfigs.delete(id);
      return void this.stations.delete(id);
    }
    this.stationConfigs.set(id, cfg);
    const station = new Station({
      id,
      config: cfg,
      lab,
      version: VERSION,
      clock: this.clock,
      logger,
      timers: this.timers,
      canAccept: () => this.storage.check(),
      deviceIdentity: (deviceId) => this.devices.get(deviceId)?.status().identity,
      lookup: new CellLookup({ api: this.api, clock: this.clock, negativeTtlMs: cfg.cell_id.negative_cache_s * 1_000 }),
      voidMeasurement: makeVoider({ store: this.trace, api: this.api, clock: this.clock, logger }),
      save: (m, trace) => {
        const saved = this.trace.save(m, trace);
        this.storage.check(); // the status page says "nearly full" / "full" before the next scan is refused
        this.metrics.measurementSaved(id);
        this.uploader.kick();
        return saved;
      },
    });
    this.stations.set(id, station);
    this.statusPage?.addStation(id);
    const onScan = (scan: Scan) => station.handleScan(scan);
    const onReading = (r: Reading) => station.handleReading(r);
    const scanner = this.devices.get(cfg.scanner);
    const sources = [...new Set(Object.values(cfg.properties).map((p) => p.device))].flatMap((d) => this.devices.get(d) ?? []);
    scanner?.on('scan', onScan);
    for (const device of sources) device.on('reading', onReading);
    this.unwireStation.set(id, () => {
      scanner?.off('scan', onScan);
      for (const device of sources) device.off('reading', onReading);
    });
  }

  private registerRoutes(): void {
    const { config, logger } = this.opts;
    // The status page (/, /station/<id>, /events, /api/status) and the access rules for every route.
    // Stations a reload adds later get their page from setStation.
    this.statusPage = mountStatusPage(this.http, {
      http: config.http,
      lab: () => this.lab,
      version: VERSION,
      stationConfig: (id) => this.stationConfigs.get(id),
      stations: this.stations,
      devices: this.devices,
      outbox: this.outbox,
      hasApiKey: () => Boolean(this.opts.apiKey),
      uploader: () => this.uploader.state(),
      storage: () => this.storage.status(),
      voided: () => this.trace.voidedBeforeUpload(),
      timers: this.timers,
      logger,
    });
    registerHealthRoutes(
      this.http,
      this.statusPage.health,
      {
        version: VERSION,
        clock: this.clock,
        logger,
        pingDatabase: () => this.pingDatabase(),
        devices: () => [...this.devices.values()].map((d) => d.status()),
        uploader: () => this.uploader.state(),
        hasApiKey: () => Boolean(this.opts.apiKey),
      },
      this.metrics,
    );
    registerUploaderRoutes(this.http, this.uploader, logger);
  }
}
