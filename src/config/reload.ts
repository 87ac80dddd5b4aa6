// SIGHUP: re-read the config file and the key file and apply what can change while running: stations (and the
// lab name they write), the log level and the API key. Everything else (devices, state_dir, http, api, queue)
// is built once at start: a change there is logged as needing a restart and is not half-applied. A file that
// does not validate changes nothing.
import type { Config, StationConfig } from './schema.js';
import type { LoadedConfig } from './load.js';
import { ConfigError } from './errors.js';
import type { Logger } from '../ops/logger.js';

/** What the reloader needs from the daemon (src/daemon.ts implements it). */
export interface ReloadTarget {
  readonly stations: ReadonlyMap<string, ReloadStation>;
  /** Replaces the station `id` with one built from `cfg` (undefined removes it); wiring included. */
  setStation(id: string, cfg: StationConfig | undefined, lab: string): void;
  /** Takes the key re-read from the key file or environment; the uploader re-checks it at once. */
  setApiKey(key: string | undefined): void;
}

export interface ReloadStation {
  snapshot(): { activeCell: { id: string } | null };
  on(event: 'changed', fn: () => void): unknown;
  off(event: 'changed', fn: () => void): unknown;
}

export interface ConfigReloaderOptions {
  configPath: string;
  /** Reads and validates the file (loadConfig, with the environment). */
  load: (path: string) => LoadedConfig;
  initial: LoadedConfig;
  target: ReloadTarget;
  logger: Logger;
}

export interface ReloadOutcome {
  ok: boolean;
  /** The new file's problems when it was refused. */
  problems: string[];
  /** Stations replaced, added or removed now. */
  applied: string[];
  /** Stations that change once their current cell is finished. */
  deferred: string[];
  /** Changed keys that take effect only after a restart. */
  restartRequired: string[];
}

export class ConfigReloader {
  private readonly opts: ConfigReloaderOptions;
  /** The config in effect: restart-only parts as at start, live parts as last applied. */
  private running: Config;
  private apiKey: string | undefined;
  /** Stations waiting for their cell to finish: the config to apply and the listener to remove. */
  private readonly waiting = new Map<string, { cfg: StationConfig | undefined; lab: string; off: () => void }>();

  constructor(opts: ConfigReloaderOptions) {
    this.opts = opts;
    this.running = opts.initial.config;
    this.apiKey = opts.initial.apiKey;
  }

  reload(): ReloadOutcome {
    const { logger, configPath } = this.opts;
    const outcome: ReloadOutcome = { ok: false, problems: [], applied: [], deferred: [], restartRequired: [] };
    let next: LoadedConfig;
    try {
      next = this.opts.load(configPath);
    } catch (err) {
      outcome.problems = err instanceof ConfigError ? [...err.problems] : [err instanceof Error ? err.message : String(err)];
      logger.error(
        { event: 'config.reload_failed', path: configPath, problems: outcome.problems },
        `config reload refused, the running config stays: ${outcome.problems.join('; ')}`,
      );
      return outcome;
    }
    const old = this.running;
    const cfg = next.config;
    outcome.ok = true;

    outcome.restartRequired = changedKeys(restartOnly(old), restartOnly(cfg));
    for (const key of outcome.restartRequired)
      logger.warn({ event: 'config.restart_required', path: configPath, key }, `${key} changed in the file; it takes effect after a restart`);

    if (cfg.log.level !== old.log.level) {
      logger.info({ event: 'log.level_changed', from: old.log.level, to: cfg.log.level }, `log level ${old.log.level} -> ${cfg.log.level}`);
      logger.level = cfg.log.level;
    }

    // Always handed over, changed or not: SIGHUP is also how an operator asks for a refused key to be re-checked.
    logger.info({ event: 'config.key_reloaded', source: next.source, changed: next.apiKey !== this.apiKey }, `API key re-read (${next.source})`);
    this.apiKey = next.apiKey;
    this.opts.target.setApiKey(next.apiKey);

    const ids = new Set([...Object.keys(old.stations), ...Object.keys(cfg.stations)]);
    for (const id of ids) {
      const before = old.stations[id];
      const after = cfg.stations[id];
      if (cfg.lab === old.lab && same(before, after)) continue;
      if (this.changeStation(id, after, cfg.lab)) outcome.applied.push(id);
      else outcome.deferred.push(id);
    }

    this.running = { ...old, lab: cfg.lab, log: cfg.log, stations: cfg.stations, api: { ...old.api, key_file: cfg.api.key_file } };
    logger.info(
      { event: 'config.reloaded', path: configPath, applied: outcome.applied, deferred: outcome.deferred, restart_required: outcome.restartRequired },
      `config reloaded: ${outcome.applied.length} station(s) applied, ${outcome.deferred.length} waiting for their cell, ${outcome.restartRequired.length} setting(s) need a restart`,
    );
    return outcome;
  }

  /** Forgets stations still waiting (the daemon is stopping). */
  stop(): void {
    for (const w of this.waiting.values()) w.off();
    this.waiting.clear();
  }

  /** Applies now when the station is between cells (true), else once its cell is saved or left (false). */
  private changeStation(id: string, cfg: StationConfig | undefined, lab: string): boolean {
    const { target, logger } = this.opts;
    const pending = this.waiting.get(id);
    if (pending) {
      pending.cfg = cfg;
      pending.lab = lab;
      return false;
    }
    const station = target.stations.get(id);
    const busy = station?.snapshot().activeCell;
    if (!station || !busy) {
      this.apply(id, cfg, lab);
      return true;
    }
    const onChanged = () => {
      // After the station's own call stack unwinds: it may still be inside the method that emitted 'changed'.
      queueMicrotask(() => {
        const w = this.waiting.get(id);
        if (!w || station.snapshot().activeCell) return;
        w.off();
        this.waiting.delete(id);
        this.apply(id, w.cfg, w.lab);
      });
    };
    station.on('changed', onChanged);
    this.waiting.set(id, { cfg, lab, off: () => station.off('changed', onChanged) });
    logger.info(
      { event: 'config.station_deferred', station: id, cell: busy.id },
      `station ${id} changes once cell ${busy.id} is saved, cancelled or expires`,
    );
    return false;
  }

  private apply(id: string, cfg: StationConfig | undefined, lab: string): void {
    const change = !this.opts.target.stations.has(id) ? 'added' : cfg === undefined ? 'removed' : 'changed';
    this.opts.target.setStation(id, cfg, lab);
    this.opts.logger.info({ event: 'config.station_applied', station: id, change }, `station ${id} ${change}`);
  }
}

/** The config without the parts a reload applies, for finding changes that need a restart. */
function restartOnly(c: Config): Record<string, unknown> {
  const { stations: _s, lab: _l, log: _g, ...rest } = c;
  const { key_file: _k, ...api } = c.api;
  return { ...rest, api };
}

/** Dotted paths where `a` and `b` differ, down to the first key that exists on one side only. */
export function changedKeys(a: unknown, b: unknown, at = ''): string[] {
  if (same(a, b)) return [];
  if (!isObject(a) || !isObject(b)) return [at || '(root)'];
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) out.push(...changedKeys(a[k], b[k], at ? `${at}.${k}` : k));
  return out;
}

/** Deep equality for parsed config (plain data); mapping key order does not count. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && same(a[k], b[k]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
