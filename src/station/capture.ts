// Which reading belongs to the scanned cell: a pure state machine, one per station property (each property has
// its own device, see the config schema). A polled balance keeps reporting the last cell's weight until it is
// lifted off, so with `min_load` a weight is taken only after the pan has been seen empty since the scan.

export type Pan = 'unknown' | 'empty' | 'loaded';

/**
 * `idle`: no cell is waiting for this property (none scanned, or already captured).
 * `await_unload`: a cell is waiting, but the pan has not been seen below min_load since the scan.
 * `armed`: a cell is waiting and the next stable reading at or above min_load (or any stable one) is its value.
 */
export type Phase = 'idle' | 'await_unload' | 'armed';

export interface CaptureState {
  phase: Phase;
  /** Last stable load seen (min_load properties only). */
  pan: Pan;
}

export type CaptureEvent = { kind: 'scan' } | { kind: 'reading'; value: number; stable: boolean };

export interface CaptureStep {
  state: CaptureState;
  /** True when this reading is the value for the waiting cell. */
  take: boolean;
  /** Why a reading was not taken, in words for the log and the operator. */
  reason?: string;
}

export const initialCapture: CaptureState = { phase: 'idle', pan: 'unknown' };

export function captureStep(state: CaptureState, event: CaptureEvent, minLoad?: number): CaptureStep {
  if (event.kind === 'scan') {
    // An unknown pan (no stable reading yet) may hold the previous cell: demand an unload, never guess.
    const phase: Phase = minLoad === undefined || state.pan === 'empty' ? 'armed' : 'await_unload';
    return { state: { ...state, phase }, take: false };
  }
  // Unstable readings change nothing: neither a capture nor evidence that the pan was unloaded.
  if (!event.stable) return { state, take: false, reason: 'unstable' };
  if (minLoad === undefined) {
    if (state.phase !== 'armed') return { state, take: false, reason: 'already taken for this cell' };
    return { state: { ...state, phase: 'idle' }, take: true };
  }
  if (event.value < minLoad) {
    const phase: Phase = state.phase === 'await_unload' ? 'armed' : state.phase;
    return { state: { phase, pan: 'empty' }, take: false, reason: `below min_load ${minLoad}` };
  }
  const loaded: CaptureState = { ...state, pan: 'loaded' };
  switch (state.phase) {
    case 'armed':
      return { state: { phase: 'idle', pan: 'loaded' }, take: true };
    case 'await_unload':
      return { state: loaded, take: false, reason: 'pan still loaded since before the scan: lift it off, then weigh again' };
    case 'idle':
      return { state: loaded, take: false, reason: 'already taken for this cell' };
  }
}
