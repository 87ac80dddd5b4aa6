// Gathers daemon state for the status view and fans it out to Server-Sent-Event clients. It listens to stations
// and devices only while a client is connected, and polls the outbox (uploads finish without any event here),
// pushing a view only when it differs from the last one sent.
import type { EventEmitter } from 'node:events';
import type { TimerHandle, Timers } from '../../core/clock.js';
import type { Reading } from '../../core/types.js';
import type { Device, DeviceStatus } from '../../devices/device.js';
import type { OutboxCounts, OutboxRecord, RowState } from '../../queue/types.js';
import type { UploaderState } from '../../uploader/uploader.js';
import type { StationConfig } from '../../config/schema.js';
import type { StationSnapshot } from '../../station/station.js';
import type { StorageGuard } from '../../queue/storage-guard.js';
import type { Logger } from '../logger.js';
import { statusView, type DaemonState, type LiveReading, type StatusView } from '../status-model.js';

export interface StatusStation extends EventEmitter<{ changed: [StationSnapshot] }> {
  snapshot(): StationSnapshot;
}

export interface StatusOutbox {
  counts(): OutboxCounts;
  get(id: number): OutboxRecord | null;
  list(state: RowState, limit: number): OutboxRecord[];
}

export interface StatusParts {
  /** Read on every view: a config reload (SIGHUP) may change the lab name and add, change or remove stations. */
  lab: () => string;
  version: string;
  stationConfig: (id: string) => StationConfig | undefined;
  stations: ReadonlyMap<string, StatusStation>;
  devices: ReadonlyMap<string, Device>;
  outbox: StatusOutbox;
  hasApiKey: () => boolean;
  /** The upload loop's mode (offline, key refused, ...); the page polls it with the outbox. */
  uploader?: () => UploaderState;
  /** Dead rows an operator voided before upload (TraceStore.voidedBeforeUpload): not counted as failures. */
  voided?: () => number;
  /** The outbox cap as last checked (StorageGuard.status). */
  storage?: () => ReturnType<StorageGuard['status']>;
  timers: Timers;
  logger: Logger;
  /** Outbox poll while clients are connected: how soon "uploaded" shows. */
  pollMs?: number;
  /** SSE comment interval, so proxies and the browser keep an idle stream open. */
  keepAliveMs?: number;
}

/** Receives SSE text chunks ("data: ...\n\n" or ": keep-alive\n\n"). */
export type StatusClient = (chunk: string) => void;

export class StatusHub {
  private readonly clients = new Set<StatusClient>();
  private readonly live = new Map<string, LiveReading>();
  private lastSent = '';
  private poll?: TimerHandle;
  private keepAlive?: TimerHandle;
  private readonly detach: Array<() => void> = [];
  /** Stations listened to while clients are connected; re-synced on each poll, as a reload replaces stations. */
  private readonly watched = new Map<StatusStation, () => void>();

  constructor(private readonly parts: StatusParts) {}

  /** The view now, computed on demand (the CLI's /api/status). */
  view(): StatusView {
    return statusView(this.state());
  }

  /** Sends the current view at once, then every change; returns the unsubscribe function. */
  subscribe(client: StatusClient): () => void {
    const text = JSON.stringify(this.view());
    if (this.clients.size === 0) this.attach();
    // Clients already connected get the same view first, so every client has seen lastSent.
    if (text !== this.lastSent) this.broadcast(sseData(text));
    this.lastSent = text;
    this.clients.add(client);
    client(sseData(text));
    return () => {
      if (!this.clients.delete(client)) return;
      if (this.clients.size === 0) this.release();
    };
  }

  get clientCount(): number {
    return this.clients.size;
  }

  private state(): DaemonState {
    const { outbox } = this.parts;
    const oldest = outbox.list('pending', 1)[0];
    const storage = this.parts.storage?.();
    return {
      version: this.parts.version,
      lab: this.parts.lab(),
      stations: [...this.parts.stations].map(([id, station]) => {
        const snapshot = station.snapshot();
        const cfg = this.parts.stationConfig(id);
        const row = snapshot.lastSaved ? outbox.get(snapshot.lastSaved.id) : null;
        return {
          snapshot,
          scanner: cfg?.scanner ?? '',
          properties: Object.entries(cfg?.properties ?? {}).map(([property, src]) => ({
            property,
            device: src.device,
            unit: src.unit,
            required: src.required !== false,
            ...(src.min_load === undefined ? {} : { minLoad: src.min_load }),
          })),
          lastSavedRow: row
            ? { state: row.state, attempts: row.attempts, lastStatus: row.lastStatus, lastError: row.lastError, deadReason: row.deadReason }
            : null,
        };
      }),
      devices: [...this.parts.devices.values()].map((d): DeviceStatus & { live?: LiveReading } => {
        const live = this.live.get(d.id);
        return live ? { ...d.status(), live } : d.status();
      }),
      outbox: outbox.counts(),
      ...(this.parts.voided ? { voided: this.parts.voided() } : {}),
      hasApiKey: this.parts.hasApiKey(),
      ...(this.parts.uploader ? { uploader: this.parts.uploader() } : {}),
      uploadTrouble: oldest && oldest.attempts > 0 && (oldest.lastStatus !== null || oldest.lastError !== null)
        ? { status: oldest.lastStatus, error: oldest.lastError }
        : null,
      ...(storage
        ? {
            storage: {
              level: storage.level,
              rows: storage.usage.rows,
              maxRows: storage.limits.maxRows,
              bytes: storage.usage.bytes,
              ...(storage.limits.maxBytes === undefined ? {} : { maxBytes: storage.limits.maxBytes }),
            },
          }
        : {}),
    };
  }

  private readonly refresh = (): void => {
    let text: string;
    try {
      text = JSON.stringify(this.view());
    } catch (err) {
      // The outbox is unreadable (disk error): the page keeps its last view; the log says why.
      this.parts.logger.error({ event: 'status.view_failed', err }, 'status view could not be built');
      return;
    }
    if (text === this.lastSent) return;
    this.lastSent = text;
    this.broadcast(sseData(text));
  };

  private broadcast(chunk: string): void {
    for (const client of this.clients) client(chunk);
  }

  private attach(): void {
    this.watchStations();
    for (const device of this.parts.devices.values()) {
      const onReading = (r: Reading) => {
        this.live.set(device.id, { value: r.value, unit: r.unit, stable: r.stable, at: r.at });
        this.refresh();
      };
      device.on('status', this.refresh);
      device.on('reading', onReading);
      this.detach.push(() => {
        device.off('status', this.refresh);
        device.off('reading', onReading);
      });
    }
    this.schedulePoll();
    this.scheduleKeepAlive();
  }

  /** Listens to stations added or replaced since the last call, and lets go of those removed. */
  private watchStations(): void {
    const current = new Set(this.parts.stations.values());
    for (const [station, off] of this.watched)
      if (!current.has(station)) {
        off();
        this.watched.delete(station);
      }
    for (const station of current)
      if (!this.watched.has(station)) {
        station.on('changed', this.refresh);
        this.watched.set(station, () => station.off('changed', this.refresh));
      }
  }

  private release(): void {
    for (const off of this.detach.splice(0)) off();
    for (const off of this.watched.values()) off();
    this.watched.clear();
    this.live.clear();
    if (this.poll) this.parts.timers.clearTimeout(this.poll);
    if (this.keepAlive) this.parts.timers.clearTimeout(this.keepAlive);
    this.poll = this.keepAlive = undefined;
  }

  private schedulePoll(): void {
    this.poll = this.parts.timers.setTimeout(() => {
      this.watchStations();
      this.refresh();
      if (this.clients.size > 0) this.schedulePoll();
    }, this.parts.pollMs ?? 1_000);
  }

  private scheduleKeepAlive(): void {
    this.keepAlive = this.parts.timers.setTimeout(() => {
      this.broadcast(': keep-alive\n\n');
      if (this.clients.size > 0) this.scheduleKeepAlive();
    }, this.parts.keepAliveMs ?? 15_000);
  }
}

/** One SSE message; JSON.stringify never emits a raw newline, so one data line suffices. */
function sseData(json: string): string {
  return `data: ${json}\n\n`;
}
