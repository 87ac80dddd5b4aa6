import { describe, expect, it } from 'vitest';
import { statusView, type DaemonState, type SavedRowState } from '../../src/ops/status-model.js';
import type { DeviceStatus } from '../../src/devices/device.js';
import type { StationSnapshot } from '../../src/station/station.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function device(id: string, kind: string, extra: Partial<DeviceStatus> = {}): DeviceStatus {
  return { id, kind, state: 'connected', since: T0 - 60_000, ...extra };
}

function snapshot(extra: Partial<StationSnapshot> = {}): StationSnapshot {
  return {
    station: 'bench1', activeCell: null, readings: {}, points: {}, missing: [], rejected: [], operator: null, notice: null,
    unsaved: null, lastSaved: null, lastError: null, ...extra,
  };
}

const active = { id: 'CELL-0001', scannedAt: T0, cellInstanceId: 'CELL-0001', lookup: 'found' as const, expiresAt: null };
const want = { waitingFor: 'reading' as const, required: true, pointsTaken: 0, pointsNeeded: 1 };
const bothMissing = [
  { property: 'mass', device: 'balance1', ...want },
  { property: 'thickness', device: 'gauge1', ...want },
];
const massTaken = { mass: { value: '45.112', unit: 'g', device: 'balance1', at: T0 + 2_000 } };
const saved = { id: 7, name: 'bench1_CELL-0001_20260105T090005.000Z_1', cell: 'CELL-0001', at: T0 + 5_000 };

function state(opts: {
  snap?: Partial<StationSnapshot>;
  row?: SavedRowState | null;
  devices?: DaemonState['devices'];
  outbox?: Partial<DaemonState['outbox']>;
  hasApiKey?: boolean;
  uploadTrouble?: DaemonState['uploadTrouble'];
  uploader?: DaemonState['uploader'];
  storage?: DaemonState['storage'];
  voided?: number;
  thicknessRequired?: boolean;
} = {}): DaemonState {
  return {
    version: '0.1.0',
    lab: 'Cell Lab North',
    stations: [
      {
        snapshot: snapshot(opts.snap),
        scanner: 'scanner1',
        properties: [
          { property: 'mass', device: 'balance1', unit: 'g', required: true, minLoad: 1 },
          { property: 'thickness', device: 'gauge1', unit: 'mm', required: opts.thicknessRequired ?? true },
        ],
        lastSavedRow: opts.row ?? null,
      },
    ],
    devices: opts.devices ?? [device('scanner1', 'scanner'), device('balance1', 'mtsics'), device('gauge1', 'mitutoyo')],
    outbox: { pending: 0, delivered: 0, dead: 0, ...opts.outbox },
    hasApiKey: opts.hasApiKey ?? true,
    uploadTrouble: opts.uploadTrouble ?? null,
    ...(opts.uploader ? { uploader: opts.uploader } : {}),
    ...(opts.storage ? { storage: opts.storage } : {}),
    ...(opts.voided ? { voided: opts.voided } : {}),
  };
}

const row = (extra: Partial<SavedRowState>): SavedRowState => ({
  state: 'pending',
  attempts: 0,
  lastStatus: null,
  lastError: null,
  deadReason: null,
  ...extra,
});

describe('statusView: stations', () => {
  it('idle: asks for a scan, everything connected', () => {
    const v = statusView(state());
    expect(v.tone).toBe('ok');
    expect(v.stations[0]).toMatchObject({ id: 'bench1', tone: 'ok', cell: null, headline: 'Scan a cell', missing: [], saved: null, error: null });
    expect(v.stations[0]!.devices.map((d) => d.text)).toEqual(['Scanner connected', 'Balance connected', 'Gauge connected']);
    expect(v.upload).toEqual({ tone: 'ok', text: 'Nothing to upload yet', queued: 0, uploaded: 0, dead: 0, voided: 0 });
  });

  it('active cell: says how to give each missing reading', () => {
    const s = statusView(state({ snap: { activeCell: active, missing: bothMissing } })).stations[0]!;
    expect(s).toMatchObject({ cell: 'CELL-0001', tone: 'busy', headline: 'Put the cell on the balance', missing: ['Mass', 'Thickness'] });
    expect(s.readings).toEqual([
      { property: 'mass', label: 'Mass', unit: 'g', state: 'waiting', text: 'put the cell on the balance' },
      { property: 'thickness', label: 'Thickness', unit: 'mm', state: 'waiting', text: 'measure, then press DATA on the gauge' },
    ]);
  });

  it('capture rule waiting for an unload: "lift the cell off the balance" comes first', () => {
    const missing = [{ ...bothMissing[0]!, waitingFor: 'unload' as const }, bothMissing[1]!];
    const s = statusView(state({ snap: { activeCell: active, missing } })).stations[0]!;
    expect(s.headline).toBe('Lift the cell off the balance');
    expect(s.readings[0]).toMatchObject({ state: 'unload', text: 'lift the cell off the balance' });
  });

  it('a value arriving since the scan is shown live with its stability; an older one is not', () => {
    const devices = (at: number, stable: boolean) => [
      device('scanner1', 'scanner'),
      { ...device('balance1', 'mtsics'), live: { value: '45.4', unit: 'g', stable, at } },
      device('gauge1', 'mitutoyo'),
    ];
    const settling = statusView(state({ snap: { activeCell: active, missing: bothMissing }, devices: devices(T0 + 500, false) })).stations[0]!;
    expect(settling.headline).toBe('Mass: settling…');
    expect(settling.readings[0]).toMatchObject({ state: 'live', value: '45.4', unit: 'g', stable: false, text: 'settling…' });
    const steady = statusView(state({ snap: { activeCell: active, missing: bothMissing }, devices: devices(T0 + 600, true) })).stations[0]!;
    expect(steady.readings[0]).toMatchObject({ state: 'live', stable: true, text: 'stable' });
    const old = statusView(state({ snap: { activeCell: active, missing: bothMissing }, devices: devices(T0 - 1, true) })).stations[0]!;
    expect(old.readings[0]!.state).toBe('waiting');
    const empty = [device('scanner1', 'scanner'), { ...device('balance1', 'mtsics'), live: { value: '0.002', unit: 'g', stable: true, at: T0 + 1 } }];
    const emptyPan = statusView(state({ snap: { activeCell: active, missing: bothMissing }, devices: empty })).stations[0]!;
    expect(emptyPan).toMatchObject({ headline: 'Put the cell on the balance', readings: [{ state: 'waiting' }, {}] });
  });

  it('a taken reading shows value, unit and stable; the rest is still needed', () => {
    const s = statusView(state({ snap: { activeCell: active, readings: massTaken, missing: [bothMissing[1]!] } })).stations[0]!;
    expect(s.readings[0]).toEqual({ property: 'mass', label: 'Mass', unit: 'g', state: 'taken', value: '45.112', stable: true, text: 'stable' });
    expect(s).toMatchObject({ headline: 'Measure, then press DATA on the gauge', missing: ['Thickness'] });
  });

  it('an optional property is labelled so and never listed as missing', () => {
    const optional = { ...bothMissing[1]!, required: false };
    const s = statusView(state({ thicknessRequired: false, snap: { activeCell: active, readings: massTaken, missing: [optional] } })).stations[0]!;
    expect(s.readings[1]!.label).toBe('Thickness (optional)');
    expect(s.missing).toEqual([]);
  });

  it('everything taken, save not yet reported: "Saving…"', () => {
    const readings = { ...massTaken, thickness: { value: '5.523', unit: 'mm', device: 'gauge1', at: T0 + 3_000 } };
    expect(statusView(state({ snap: { activeCell: active, readings } })).stations[0]!.headline).toBe('Saving…');
  });

  it('saved: names the measurement; the last saved stays visible under the next cell', () => {
    const s = statusView(state({ snap: { lastSaved: saved }, row: row({}), outbox: { pending: 1 } })).stations[0]!;
    expect(s).toMatchObject({ tone: 'ok', headline: 'Saved — scan the next cell' });
    expect(s.saved).toEqual({ name: saved.name, cell: 'CELL-0001', at: saved.at, voided: false, upload: { state: 'queued', tone: 'busy', text: 'Saved here, uploading…' } });
    const next = statusView(state({ snap: { lastSaved: saved, activeCell: { ...active, id: 'CELL-0002', scannedAt: T0 + 6_000 }, missing: bothMissing } })).stations[0]!;
    expect(next).toMatchObject({ cell: 'CELL-0002', saved: { name: saved.name, cell: 'CELL-0001' } });
  });

  it('multi-point: which point is next', () => {
    const missing = [{ ...bothMissing[1]!, pointsTaken: 2, pointsNeeded: 5 }];
    const s = statusView(state({ snap: { activeCell: active, readings: massTaken, missing } })).stations[0]!;
    expect(s.readings[1]).toMatchObject({ state: 'waiting', points: { taken: 2, needed: 5 }, text: 'point 3 of 5: measure, then press DATA on the gauge' });
    expect(s.headline).toBe('Point 3 of 5: measure, then press DATA on the gauge');
  });

  it('a value outside the limits is shown, not taken, and asked again', () => {
    const rejected = [{ property: 'thickness', value: '9.120', unit: 'mm', message: 'thickness: 9.120 mm is above the maximum 6 mm', at: T0 + 3_000 }];
    const s = statusView(state({ snap: { activeCell: active, readings: massTaken, missing: [bothMissing[1]!], rejected } })).stations[0]!;
    expect(s.readings[1]).toMatchObject({ state: 'rejected', value: '9.120', text: 'not taken: thickness: 9.120 mm is above the maximum 6 mm — measure again' });
    expect(s).toMatchObject({ tone: 'warn', headline: 'Not taken: thickness: 9.120 mm is above the maximum 6 mm — measure again' });
  });

  it('notice, operator, cell lookup and a voided measurement', () => {
    const notice = { level: 'warn' as const, message: 'CELL-0009 expired after 10 minutes without a reading; nothing was saved', at: T0 };
    const idle = statusView(state({ snap: { notice, operator: 'alice', lastSaved: { ...saved, voided: true } } })).stations[0]!;
    expect(idle).toMatchObject({ tone: 'warn', headline: 'Scan a cell', notice: { tone: 'warn', text: notice.message }, operator: 'alice', cellNote: null });
    expect(idle.saved!.voided).toBe(true);
    const lookup = (l: 'pending' | 'offline') => statusView(state({ snap: { activeCell: { ...active, lookup: l }, missing: bothMissing } })).stations[0]!.cellNote;
    expect(lookup('pending')).toBe('checking the cell with Ionworks…');
    expect(lookup('offline')).toBe('not checked with Ionworks (offline): it is checked before upload');
  });

  it('NOT SAVED: says so, and how to retry', () => {
    const lastError = { cell: 'CELL-0001', name: 'n1', message: 'disk full (SQLITE_FULL)', at: T0 + 5_000 };
    const s = statusView(state({ snap: { activeCell: active, readings: massTaken, unsaved: { name: 'n1' }, lastError } })).stations[0]!;
    expect(s).toMatchObject({ tone: 'error', headline: 'CELL-0001 NOT SAVED' });
    expect(s.error).toBe(
      'NOT SAVED: CELL-0001 — disk full (SQLITE_FULL). Scan CELL-0001 again to retry. Call the administrator if it happens again.',
    );
    const abandoned = statusView(state({ snap: { lastError } })).stations[0]!;
    expect(abandoned).toMatchObject({ tone: 'error', headline: 'Scan a cell' });
    expect(abandoned.error).toBe('NOT SAVED: CELL-0001 — disk full (SQLITE_FULL). Call the administrator if it happens again.');
  });

  it('a scan refused before measuring is an error about the cell, not a lost measurement', () => {
    const lastError = { cell: 'CELL-0002', message: 'scan refused: the outbox is full', at: T0 };
    expect(statusView(state({ snap: { lastError } })).stations[0]!.error).toBe(
      'Cell CELL-0002: scan refused: the outbox is full. Call the administrator.',
    );
  });
});

describe('statusView: uploads', () => {
  const savedWith = (r: SavedRowState, extra: Parameters<typeof state>[0] = {}) => statusView(state({ snap: { lastSaved: saved }, row: r, ...extra }));

  it('uploaded', () => {
    const v = savedWith(row({ state: 'delivered', attempts: 1, lastStatus: 201 }), { outbox: { delivered: 3 } });
    expect(v.stations[0]!.saved!.upload).toEqual({ state: 'uploaded', tone: 'ok', text: 'Uploaded to Ionworks' });
    expect(v.upload).toMatchObject({ tone: 'ok', text: 'All measurements uploaded', uploaded: 3 });
  });

  it('offline: saved here, retrying, in words', () => {
    const r = row({ attempts: 2, lastError: 'connect ECONNREFUSED 10.0.0.5:443' });
    const v = savedWith(r, { outbox: { pending: 2 }, uploadTrouble: { status: null, error: r.lastError } });
    expect(v.stations[0]!.saved!.upload).toEqual({ state: 'retrying', tone: 'warn', text: 'Saved here, upload will retry: no connection to Ionworks (offline?)' });
    expect(v.upload).toMatchObject({ tone: 'warn', text: '2 measurements saved here, waiting to upload: no connection to Ionworks (offline?).' });
    expect(v.tone).toBe('warn');
  });

  it('server trouble and rate limiting', () => {
    expect(savedWith(row({ attempts: 1, lastStatus: 503 })).stations[0]!.saved!.upload!.text).toBe(
      'Saved here, upload will retry: Ionworks is not answering properly (HTTP 503)',
    );
    const v = savedWith(row({ attempts: 1, lastStatus: 429 }), { outbox: { pending: 1 }, uploadTrouble: { status: 429, error: null } });
    expect(v.upload.text).toBe('1 measurement saved here, waiting to upload: Ionworks asked us to slow down.');
  });

  it('the API key refused, while retrying or as a dead letter', () => {
    expect(savedWith(row({ attempts: 1, lastStatus: 401 })).stations[0]!.saved!.upload!.text).toBe(
      'Saved here, upload will retry: the API key was refused — call the administrator',
    );
    const v = savedWith(row({ state: 'dead', attempts: 1, lastStatus: 403, deadReason: 'HTTP 403 rejected by the API' }), { outbox: { dead: 1 } });
    expect(v.stations[0]!.saved!.upload).toEqual({ state: 'dead', tone: 'error', text: 'Upload failed: the API key was refused — call the administrator' });
    expect(v.stations[0]!.tone).toBe('error');
    expect(v.upload).toMatchObject({ tone: 'error', text: 'Uploads working. 1 measurement could not be uploaded — call the administrator.' });
  });

  it('a dead letter for another reason carries the reason', () => {
    const r = row({ state: 'dead', attempts: 1, lastStatus: 422, deadReason: 'HTTP 422 rejected by the API: body.name: too long' });
    expect(savedWith(r).stations[0]!.saved!.upload!.text).toBe('Upload failed: HTTP 422 rejected by the API: body.name: too long — call the administrator');
    expect(savedWith(r, { outbox: { pending: 2, dead: 1 } }).upload.text).toBe(
      'Uploading 2 measurements. 1 measurement could not be uploaded — call the administrator.',
    );
  });

  it('a measurement voided before upload is not an upload failure', () => {
    const r = row({ state: 'dead', attempts: 1, deadReason: 'voided by alice at 2026-01-05T09:00:05.000Z' });
    const v = statusView(state({ snap: { lastSaved: { ...saved, voided: true } }, row: r, outbox: { dead: 2 }, voided: 1 }));
    expect(v.stations[0]!.saved!.upload).toEqual({ state: 'voided', tone: 'ok', text: 'Voided: it will not be uploaded' });
    expect(v.stations[0]!.tone).toBe('ok');
    // One real dead letter remains, and only it is reported.
    expect(v.upload).toMatchObject({ dead: 1, voided: 1, text: 'Uploads working. 1 measurement could not be uploaded — call the administrator.' });
    // Voided after upload: it was uploaded (the notice says whether Ionworks was updated).
    const after = statusView(state({ snap: { lastSaved: { ...saved, voided: true } }, row: row({ state: 'delivered', attempts: 1, lastStatus: 201 }) }));
    expect(after.stations[0]!.saved!.upload).toMatchObject({ state: 'uploaded' });
  });

  it('the upload loop\'s own verdict: offline, key refused, halted, no key', () => {
    const mode = (m: 'offline' | 'auth_failed' | 'halted' | 'no_key', pending = 2) =>
      statusView(state({ outbox: { pending }, uploader: { mode: m, detail: 'HTTP 500 on 5 rows in a row' } })).upload;
    expect(mode('offline')).toMatchObject({ tone: 'warn', text: '2 measurements saved here, waiting to upload: no connection to Ionworks (offline?).' });
    expect(mode('offline', 0).text).toBe('Measurements are saved here and uploaded later: no connection to Ionworks (offline?).');
    expect(mode('auth_failed')).toMatchObject({ tone: 'error', text: '2 measurements saved here, not uploading: Ionworks refused the API key — call the administrator.' });
    expect(mode('halted', 0).text).toBe('Not uploading: uploads are halted (HTTP 500 on 5 rows in a row) — call the administrator.');
    expect(mode('no_key', 1).text).toBe('1 measurement saved here, not uploading: no API key is set — call the administrator.');
  });

  it('uploading, and no API key', () => {
    expect(statusView(state({ outbox: { pending: 1 } })).upload).toMatchObject({ tone: 'busy', text: 'Uploading 1 measurement…' });
    expect(statusView(state({ outbox: { pending: 3 }, hasApiKey: false })).upload).toMatchObject({
      tone: 'error',
      text: '3 measurements saved here, not uploading: no API key is set — call the administrator.',
    });
  });
});

describe('statusView: storage (the outbox cap)', () => {
  const storage = (level: 'ok' | 'nearly_full' | 'full', rows: number, extra: { bytes?: number; maxBytes?: number } = {}) =>
    statusView(state({ storage: { level, rows, maxRows: 1_000, bytes: extra.bytes ?? 0, ...(extra.maxBytes ? { maxBytes: extra.maxBytes } : {}) } }));

  it('says nothing while there is room', () => {
    expect(storage('ok', 10).storage).toBeNull();
    expect(statusView(state()).storage).toBeNull();
  });

  it('nearly full: a warning before scans are refused', () => {
    const v = storage('nearly_full', 850);
    expect(v.storage).toEqual({
      tone: 'warn',
      text: 'Storage nearly full (850 of 1000 measurements are waiting to upload or failed); when it is full, new cells cannot be started. Call the administrator.',
    });
    expect(v.tone).toBe('warn');
  });

  it('full: new cells are refused, in words; the byte cap speaks in MB when it is the closer one', () => {
    expect(storage('full', 1_000)).toMatchObject({
      tone: 'error',
      storage: { tone: 'error', text: 'Storage full: new cells cannot be started (1000 of 1000 measurements are waiting to upload or failed). Call the administrator.' },
    });
    expect(storage('full', 20, { bytes: 50_000_000, maxBytes: 50_000_000 }).storage?.text).toBe(
      'Storage full: new cells cannot be started (50.0 of 50.0 MB used by measurements waiting to upload or failed). Call the administrator.',
    );
  });
});

describe('statusView: devices', () => {
  const balance = (extra: Partial<DeviceStatus>) =>
    statusView(state({ devices: [device('scanner1', 'scanner'), device('balance1', 'mtsics', extra), device('gauge1', 'mitutoyo')] }));

  it.each([
    ['port /dev/ttyUSB0 disappeared (unplugged?): EIO', 'Balance disconnected — check the USB cable'],
    ['no reply to 5 polls in a row (balance off or cable out?)', 'Balance not answering — check it is switched on and the cable is plugged in'],
    ['cannot open /dev/ttyUSB0: Error: EACCES: permission denied', 'Balance cannot be opened (no permission) — call the administrator'],
    ['cannot open /dev/ttyUSB0: Error Resource busy, cannot lock port', 'Balance is in use by another program — close that program'],
  ])('disconnected (%s) -> %s', (lastError, text) => {
    const v = balance({ state: 'disconnected', lastError });
    const d = v.stations[0]!.devices[1]!;
    expect(d).toMatchObject({ id: 'balance1', tone: 'error', text, detail: lastError });
    expect(v.stations[0]!.tone).toBe('error');
    expect(v.tone).toBe('error');
  });

  it('connecting and stopped', () => {
    expect(balance({ state: 'connecting' }).stations[0]!.devices[1]).toMatchObject({ tone: 'busy', text: 'Balance connecting…' });
    expect(balance({ state: 'connecting' }).stations[0]!.tone).toBe('ok');
    expect(balance({ state: 'stopped' }).stations[0]!.devices[1]).toMatchObject({ tone: 'warn', text: 'Balance stopped' });
  });

  it('speaks of balances and gauges whatever their protocol', () => {
    const v = statusView(
      state({ snap: { activeCell: active, missing: bothMissing }, devices: [device('scanner1', 'hid-scanner'), device('balance1', 'sartorius'), device('gauge1', 'sylvac')] }),
    );
    expect(v.stations[0]!.devices.map((d) => d.text)).toEqual(['Scanner connected', 'Balance connected', 'Gauge connected']);
    expect(v.stations[0]!.readings.map((r) => r.text)).toEqual(['put the cell on the balance', 'measure, then press DATA on the gauge']);
    expect(statusView(state({ devices: [device('t1', 'hioki', { state: 'disconnected' })] })).devices[0]!.text).toBe(
      'Battery tester disconnected — check the USB cable',
    );
  });

  it('names the device when the PC has two of a kind', () => {
    const v = statusView(
      state({ devices: [device('scanner1', 'scanner'), device('balance1', 'mtsics'), device('balance2', 'mtsics', { state: 'disconnected' }), device('gauge1', 'mitutoyo')] }),
    );
    expect(v.stations[0]!.devices.map((d) => d.text)).toEqual(['Scanner connected', 'Balance balance1 connected', 'Gauge connected']);
    expect(v.devices.find((d) => d.id === 'balance2')!.text).toBe('Balance balance2 disconnected — check the USB cable');
    expect(v.stations[0]!.tone).toBe('ok');
    expect(v.tone).toBe('error');
  });
});
