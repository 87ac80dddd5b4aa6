// The instrument's side of a wire as simulators see it: a PTY master (PtyPair), a mock port, or any duplex.

export interface SimLink {
  write(data: Buffer | string): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
}
