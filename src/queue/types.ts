// The outbox's contract with the station (writer) and the uploader (reader).

export type RowState = 'pending' | 'delivered' | 'dead';

export interface NewMeasurement {
  /** Path parameter of the POST. */
  cellInstanceId: string;
  /** The measurement name: the de-duplication handle, set once here. */
  name: string;
  /** Serialized CreatePropertiesMeasurementRequest, sent byte for byte on every attempt. */
  body: string;
  station: string;
  createdAt: number;
}

export interface OutboxRow {
  id: number;
  cellInstanceId: string;
  name: string;
  body: string;
  station: string;
  state: RowState;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  /** True when the last attempt was committed but its outcome never recorded (crash, timeout, reset). */
  outcomeUnknown: boolean;
  lastError: string | null;
  lastStatus: number | null;
  serverId: string | null;
  finishedAt: number | null;
}

export interface AttemptOutcome {
  /** HTTP status, or null when no answer came (network error, timeout). */
  status: number | null;
  /** Response body text (kept whole for dead letters) or the error message. */
  detail: string | null;
  correlationId?: string | null;
}

export interface OutboxCounts {
  pending: number;
  delivered: number;
  dead: number;
}

/** A row as the Outbox returns it: the contract row plus fields the CLI and uploader policy need. */
export interface OutboxRecord extends OutboxRow {
  /** Why the row was dead-lettered (uploader's words); null unless state is 'dead'. */
  deadReason: string | null;
  /** Attempts since the row was last re-queued from dead (all attempts if never re-queued): the retry budget. */
  attemptsSinceRequeue: number;
}

/** One delivery attempt, committed before the request is sent. */
export interface AttemptRecord {
  attempt: number;
  startedAt: number;
  /** Null while in flight, or forever if the process stopped before an outcome was recorded. */
  finishedAt: number | null;
  status: number | null;
  detail: string | null;
  correlationId: string | null;
}

export interface OutboxRecordWithAttempts extends OutboxRecord {
  attemptLog: AttemptRecord[];
}
