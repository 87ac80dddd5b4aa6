// What the operator sees: daemon state in, a view model out, with every message in the bench's words. Pure: the
// page, the SSE stream and `ionworks-edge status` all render this one model, so they never disagree.
import type { DeviceStatus } from '../devices/device.js';
import type { StationSnapshot } from '../station/station.js';
import type { OutboxCounts, RowState } from '../queue/types.js';
import type { UploaderState } from '../uploader/uploader.js';
import type { StorageLevel } from '../queue/storage-guard.js';

export type Tone = 'ok' | 'busy' | 'warn' | 'error';

/** The latest reading a device sent (taken or not): shows a value arriving and settling. */
export interface LiveReading {
  value: string;
  unit: string;
  stable: boolean;
  at: number;
}

/** Where a saved measurement is on its way to the API (its outbox row). */
export interface SavedRowState {
  state: RowState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  deadReason: string | null;
}

/** The last failed attempt of the oldest pending row: why the queue is not draining. */
export interface UploadTrouble {
  status: number | null;
  error: string | null;
}

export interface DaemonState {
  version: string;
  lab: string;
  stations: Array<{
    snapshot: StationSnapshot;
    scanner: string;
    /** Property -> device, in recipe order; optional ones never hold a cell back. */
    properties: Array<{ property: string; device: string; unit: string; required: boolean; minLoad?: number }>;
    /** The outbox row behind snapshot.lastSaved, when there is one. */
    lastSavedRow: SavedRowState | null;
  }>;
  devices: Array<DeviceStatus & { live?: LiveReading }>;
  outbox: OutboxCounts;
  /** Of outbox.dead, the rows an operator voided (#VOID): never sent on purpose, not failures. */
  voided?: number;
  hasApiKey: boolean;
  /** The upload loop's own verdict (offline, key refused, halted), when it is known. */
  uploader?: Pick<UploaderState, 'mode' | 'detail'>;
  uploadTrouble: UploadTrouble | null;
  /** The outbox cap (queue.max_rows / max_bytes) as last checked: at the cap new scans are refused. */
  storage?: { level: StorageLevel; rows: number; maxRows: number; bytes: number; maxBytes?: number };
}

export interface DeviceView {
  id: string;
  label: string;
  state: DeviceStatus['state'];
  tone: Tone;
  /** "Balance connected", "Balance disconnected — check the USB cable". */
  text: string;
  detail?: string;
}

export interface ReadingView {
  property: string;
  /** "Mass", or "Mass (optional)". */
  label: string;
  unit: string;
  /**
   * taken: the value for this cell; live: what the instrument shows now; waiting: nothing yet; unload: lift first;
   * rejected: the last value was outside the plausibility limits and was not taken.
   */
  state: 'taken' | 'live' | 'waiting' | 'unload' | 'rejected';
  value?: string;
  stable?: boolean;
  /** Multi-point properties while incomplete: points so far and needed. */
  points?: { taken: number; needed: number };
  /** "stable", "settling…", "press DATA on the gauge", "lift the cell off the balance". */
  text: string;
}

export interface UploadView {
  state: 'uploaded' | 'queued' | 'retrying' | 'dead' | 'voided';
  tone: Tone;
  text: string;
}

export interface StationView {
  id: string;
  tone: Tone;
  cell: string | null;
  /** The one line that tells the operator what to do now. */
  headline: string;
  readings: ReadingView[];
  /** Labels of the properties still missing, e.g. ["Thickness"]. */
  missing: string[];
  saved: { name: string; cell: string; at: number; voided: boolean; upload: UploadView | null } | null;
  /** A measurement that was NOT saved, in words. */
  error: string | null;
  /** The station's last word to the operator (cell expired, discarded, voided, unknown cell...). */
  notice: { tone: Tone; text: string } | null;
  /** How the scanned code stands with the API, when that is worth saying. */
  cellNote: string | null;
  operator: string | null;
  devices: DeviceView[];
}

export interface StatusView {
  version: string;
  lab: string;
  tone: Tone;
  /** `dead`: rows that could not be uploaded; `voided`: rows voided before upload (never sent, on purpose). */
  upload: { tone: Tone; text: string; queued: number; uploaded: number; dead: number; voided: number };
  /** Said only when the outbox is nearly full or full. */
  storage: { tone: Tone; text: string } | null;
  stations: StationView[];
  devices: DeviceView[];
}

const BALANCES = new Set(['mtsics', 'sartorius', 'and', 'ohaus', 'kern', 'radwag']);
const GAUGES = new Set(['mitutoyo', 'sylvac', 'mahr', 'hid-gauge']);
const KIND_LABEL: Record<string, string> = {
  scanner: 'Scanner',
  'hid-scanner': 'Scanner',
  hioki: 'Battery tester',
  metro: 'Gauge interface',
  adept: 'Gauge interface',
  generic: 'Instrument',
  ...Object.fromEntries([...BALANCES].map((k) => [k, 'Balance'])),
  ...Object.fromEntries([...GAUGES].map((k) => [k, 'Gauge'])),
};
const TONE_RANK: Record<Tone, number> = { ok: 0, busy: 1, warn: 2, error: 3 };

export function statusView(s: DaemonState): StatusView {
  const kindCount = new Map<string, number>();
  for (const d of s.devices) kindCount.set(d.kind, (kindCount.get(d.kind) ?? 0) + 1);
  // "Balance" when the PC has one; "Balance balance2" when the operator must know which.
  const labelOf = (d: DeviceStatus) => {
    const kind = KIND_LABEL[d.kind] ?? d.kind;
    return (kindCount.get(d.kind) ?? 0) > 1 ? `${kind} ${d.id}` : kind;
  };
  const byId = new Map(s.devices.map((d) => [d.id, d]));
  const deviceViews = new Map(s.devices.map((d) => [d.id, deviceView(d, labelOf(d))]));

  const stations = s.stations.map((st): StationView => {
    const snap = st.snapshot;
    const cell = snap.activeCell;
    const missingBy = new Map(snap.missing.map((m) => [m.property, m]));
    const readings = st.properties.map(({ property, device, unit, required, minLoad }): ReadingView => {
      const label = `${propertyLabel(property)}${required ? '' : ' (optional)'}`;
      const taken = snap.readings[property];
      if (taken) return { property, label, unit: taken.unit, state: 'taken', value: taken.value, stable: true, text: 'stable' };
      const dev = byId.get(device);
      const devLabel = dev ? labelOf(dev) : device;
      const wait = missingBy.get(property);
      const points = wait && wait.pointsNeeded > 1 ? { points: { taken: wait.pointsTaken, needed: wait.pointsNeeded } } : {};
      const progress = points.points ? `point ${points.points.taken + 1} of ${points.points.needed}: ` : '';
      if (cell && wait?.waitingFor === 'unload')
        return { property, label, unit, state: 'unload', ...points, text: `lift the cell off the ${devLabel.toLowerCase()}` };
      const rejected = snap.rejected.filter((r) => r.property === property).at(-1);
      const arrived = (at: number) => cell !== null && at >= cell.scannedAt;
      // Only what arrived since the scan (an older value belongs to the previous cell), and not an empty pan.
      const live = dev?.live;
      const onPan = !live || minLoad === undefined || Number(live.value) >= minLoad;
      if (live && onPan && arrived(live.at) && live.unit === unit && (!rejected || live.at > rejected.at))
        return { property, label, unit, state: 'live', value: live.value, stable: live.stable, ...points, text: `${progress}${live.stable ? 'stable' : 'settling…'}` };
      if (rejected && arrived(rejected.at))
        return { property, label, unit, state: 'rejected', value: rejected.value, ...points, text: `not taken: ${rejected.message} — measure again` };
      return { property, label, unit, state: 'waiting', ...points, text: cell ? `${progress}${waitingText(dev?.kind, devLabel)}` : '' };
    });
    const missing = cell ? snap.missing.filter((m) => m.required).map((m) => readings.find((r) => r.property === m.property)?.label ?? m.property) : [];
    const devices = [st.scanner, ...st.properties.map((p) => p.device)]
      .filter((id, i, all) => all.indexOf(id) === i)
      .map((id) => deviceViews.get(id))
      .filter((d): d is DeviceView => d !== undefined);
    const last = snap.lastSaved;
    const saved = last
      ? { name: last.name, cell: last.cell, at: last.at, voided: last.voided === true, upload: st.lastSavedRow ? uploadOf(st.lastSavedRow, last.voided === true) : null }
      : null;
    const error = notSavedText(snap);
    const { headline, tone } = stationHeadline(snap, readings, error, saved?.upload ?? null);
    const notice: StationView['notice'] = snap.notice
      ? { tone: snap.notice.level === 'info' ? 'ok' : snap.notice.level, text: snap.notice.message }
      : null;
    const worstDevice = devices.reduce<Tone>((t, d) => worst(t, d.tone), 'ok');
    return {
      id: snap.station,
      tone: [notice?.tone ?? 'ok', worstDevice === 'busy' ? 'ok' : worstDevice].reduce(worst, tone),
      cell: cell?.id ?? null,
      headline,
      readings,
      missing,
      saved,
      error,
      notice,
      cellNote: cell ? lookupNote(cell.lookup) : null,
      operator: snap.operator,
      devices,
    };
  });

  const upload = uploadSummary(s);
  const storage = storageNote(s.storage);
  const devices = [...deviceViews.values()];
  const tone = [upload.tone, storage?.tone ?? 'ok', ...stations.map((x) => x.tone), ...devices.map((d) => d.tone)].reduce<Tone>(worst, 'ok');
  return { version: s.version, lab: s.lab, tone: tone === 'busy' ? 'ok' : tone, upload, storage, stations, devices };
}

/** Nearly full: a warning while there is still room; full: no new cell can be started. */
function storageNote(st: DaemonState['storage']): StatusView['storage'] {
  if (!st || st.level === 'ok') return null;
  // Whichever cap is closer says how full it is.
  const byBytes = st.maxBytes !== undefined && st.bytes / st.maxBytes > st.rows / st.maxRows;
  const mb = (n: number) => (n / 1_000_000).toFixed(1);
  const used = byBytes
    ? `${mb(st.bytes)} of ${mb(st.maxBytes!)} MB used by measurements waiting to upload or failed`
    : `${st.rows} of ${st.maxRows} measurements are waiting to upload or failed`;
  if (st.level === 'full')
    return { tone: 'error', text: `Storage full: new cells cannot be started (${used}). Call the administrator.` };
  return { tone: 'warn', text: `Storage nearly full (${used}); when it is full, new cells cannot be started. Call the administrator.` };
}

function worst(a: Tone, b: Tone): Tone {
  return TONE_RANK[b] > TONE_RANK[a] ? b : a;
}

/** "thickness_min" -> "Thickness min". */
function propertyLabel(property: string): string {
  const words = property.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function lookupNote(lookup: NonNullable<StationSnapshot['activeCell']>['lookup']): string | null {
  if (lookup === 'pending') return 'checking the cell with Ionworks…';
  if (lookup === 'offline') return 'not checked with Ionworks (offline): it is checked before upload';
  return null;
}

function waitingText(kind: string | undefined, devLabel: string): string {
  if (kind !== undefined && BALANCES.has(kind)) return `put the cell on the ${devLabel.toLowerCase()}`;
  if (kind !== undefined && GAUGES.has(kind)) return `measure, then press DATA on the ${devLabel.toLowerCase()}`;
  return `waiting for the ${devLabel.toLowerCase()}`;
}

function deviceView(d: DeviceStatus, label: string): DeviceView {
  const base = { id: d.id, label, state: d.state, ...(d.lastError ? { detail: d.lastError } : {}) };
  switch (d.state) {
    case 'connected':
      return { ...base, tone: 'ok', text: `${label} connected` };
    case 'connecting':
      return { ...base, tone: 'busy', text: `${label} connecting…` };
    case 'stopped':
      return { ...base, tone: 'warn', text: `${label} stopped` };
    case 'disconnected':
      return { ...base, tone: 'error', text: `${label} ${disconnectedAdvice(d.lastError ?? '')}` };
  }
}

/** Turns the driver's technical reason into what the operator can do about it. */
function disconnectedAdvice(reason: string): string {
  if (/no reply|not answer/i.test(reason)) return 'not answering — check it is switched on and the cable is plugged in';
  if (/EACCES|permission denied/i.test(reason)) return 'cannot be opened (no permission) — call the administrator';
  if (/EBUSY|resource busy|cannot lock/i.test(reason)) return 'is in use by another program — close that program';
  return 'disconnected — check the USB cable';
}

function uploadOf(row: SavedRowState, voided: boolean): UploadView {
  // A voided row that was queued is dead on purpose: not a failure to report.
  if (voided && row.state !== 'delivered') return { state: 'voided', tone: 'ok', text: 'Voided: it will not be uploaded' };
  switch (row.state) {
    case 'delivered':
      return { state: 'uploaded', tone: 'ok', text: 'Uploaded to Ionworks' };
    case 'dead':
      return { state: 'dead', tone: 'error', text: `Upload failed: ${deadAdvice(row.lastStatus, row.deadReason)}` };
    case 'pending':
      if (row.attempts > 0 && (row.lastStatus !== null || row.lastError !== null))
        return { state: 'retrying', tone: 'warn', text: `Saved here, upload will retry: ${troubleWords(row.lastStatus)}` };
      return { state: 'queued', tone: 'busy', text: 'Saved here, uploading…' };
  }
}

function deadAdvice(status: number | null, reason: string | null): string {
  if (status === 401 || status === 403) return 'the API key was refused — call the administrator';
  return `${reason ?? 'rejected by the API'} — call the administrator`;
}

function troubleWords(status: number | null): string {
  if (status === null) return 'no connection to Ionworks (offline?)';
  if (status === 401 || status === 403) return 'the API key was refused — call the administrator';
  if (status === 429) return 'Ionworks asked us to slow down';
  return `Ionworks is not answering properly (HTTP ${status})`;
}

function uploadSummary(s: DaemonState): StatusView['upload'] {
  const { pending, delivered } = s.outbox;
  const voided = s.voided ?? 0;
  const dead = s.outbox.dead - voided;
  const counts = { queued: pending, uploaded: delivered, dead, voided };
  const n = (k: number) => `${k} measurement${k === 1 ? '' : 's'}`;
  const deadNote = dead > 0 ? ` ${n(dead)} could not be uploaded — call the administrator.` : '';
  const held = pending > 0 ? `${n(pending)} saved here, not uploading` : 'Not uploading';
  const mode = s.uploader?.mode;
  if (mode === 'no_key' || (pending > 0 && !s.hasApiKey))
    return { tone: 'error', text: `${held}: no API key is set — call the administrator.${deadNote}`, ...counts };
  if (mode === 'auth_failed')
    return { tone: 'error', text: `${held}: Ionworks refused the API key — call the administrator.${deadNote}`, ...counts };
  if (mode === 'halted')
    return { tone: 'error', text: `${held}: uploads are halted (${s.uploader?.detail ?? 'see the log'}) — call the administrator.${deadNote}`, ...counts };
  if (mode === 'offline') {
    const what = pending > 0 ? `${n(pending)} saved here, waiting to upload` : 'Measurements are saved here and uploaded later';
    return { tone: 'warn', text: `${what}: no connection to Ionworks (offline?).${deadNote}`, ...counts };
  }
  if (pending > 0 && s.uploadTrouble)
    return { tone: 'warn', text: `${n(pending)} saved here, waiting to upload: ${troubleWords(s.uploadTrouble.status)}.${deadNote}`, ...counts };
  if (dead > 0) return { tone: 'error', text: `${pending > 0 ? `Uploading ${n(pending)}.` : 'Uploads working.'}${deadNote}`, ...counts };
  if (pending > 0) return { tone: 'busy', text: `Uploading ${n(pending)}…`, ...counts };
  return { tone: 'ok', text: delivered > 0 ? 'All measurements uploaded' : 'Nothing to upload yet', ...counts };
}

function notSavedText(snap: StationSnapshot): string | null {
  const e = snap.lastError;
  if (!e) return null;
  const call = 'Call the administrator if it happens again.';
  // Without a name nothing was built: the cell was refused before measuring, not lost.
  if (e.name === undefined) return `Cell ${e.cell}: ${e.message}. Call the administrator.`;
  const retry = snap.unsaved && snap.activeCell?.id === e.cell ? ` Scan ${e.cell} again to retry.` : '';
  return `NOT SAVED: ${e.cell} — ${e.message}.${retry} ${call}`;
}

function stationHeadline(
  snap: StationSnapshot,
  readings: ReadingView[],
  error: string | null,
  upload: UploadView | null,
): { headline: string; tone: Tone } {
  if (snap.unsaved) return { headline: `${snap.activeCell?.id ?? 'Cell'} NOT SAVED`, tone: 'error' };
  if (snap.activeCell) {
    const next =
      readings.find((r) => r.state === 'unload') ?? readings.find((r) => r.state === 'rejected') ?? readings.find((r) => r.state !== 'taken');
    const what = !next ? 'Saving…' : next.state === 'live' ? `${next.label}: ${next.text}` : next.text;
    const tone: Tone = error ? 'error' : next?.state === 'rejected' ? 'warn' : 'busy';
    return { headline: what.charAt(0).toUpperCase() + what.slice(1), tone };
  }
  if (error) return { headline: 'Scan a cell', tone: 'error' };
  if (snap.lastSaved?.voided) return { headline: 'Scan a cell', tone: 'ok' };
  if (snap.lastSaved) return { headline: 'Saved — scan the next cell', tone: upload?.tone === 'error' ? 'error' : 'ok' };
  return { headline: 'Scan a cell', tone: 'ok' };
}
