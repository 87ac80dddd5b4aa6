// Real kernel pseudo-terminals with no extra package: a small python3 relay owns the PTY master and shuttles
// bytes between it and our pipes. The daemon opens the slave path like any serial port; killing the relay
// hangs the slave up, which the serial binding reports exactly like an unplugged USB adapter.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rm, symlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { SimLink } from './sim-link.js';

// Prints the slave path, then relays master <-> stdin/stdout unbuffered. It keeps its own slave fd open so the
// master never sees EIO while the daemon closes and reopens the port. Exits when stdin closes (parent gone).
// With "times" as its argument it also reports on fd 3, as a decimal line, the CLOCK_MONOTONIC time (ns; the
// clock of Node's process.hrtime) at which each write into the master returned: when those bytes were on the
// wire. The latency benchmark times from there, so the relay's own hop is not counted as the daemon's.
const RELAY = `
import os, pty, select, sys, time, tty
times = sys.argv[1:] == ["times"]
m, s = pty.openpty()
tty.setraw(s)
os.write(1, (os.ttyname(s) + "\\n").encode())
while True:
    r, _, _ = select.select([m, 0], [], [])
    if m in r:
        os.write(1, os.read(m, 4096))
    if 0 in r:
        d = os.read(0, 4096)
        if not d:
            break
        while d:
            d = d[os.write(m, d):]
        if times:
            os.write(3, b"%d\\n" % time.monotonic_ns())
`;

export interface PtyEvents {
  data: [Buffer];
  /** With `writeTimes`: the process.hrtime.bigint() time at which the relay finished writing bytes to the slave. */
  wrote: [bigint];
}

export class PtyPair extends EventEmitter<PtyEvents> implements SimLink {
  private exited: Promise<void>;

  constructor(
    /** The slave path (or the symlink to it) for the daemon to open. */
    readonly path: string,
    private readonly child: ChildProcess,
    private readonly link: string | undefined,
  ) {
    super();
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Bytes for the daemon (they arrive on the slave side). */
  write(data: Buffer | string): void {
    this.child.stdin?.write(data);
  }

  /** Kills the relay: the slave side sees a hangup, like an unplug, and the symlink (if any) disappears. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    if (this.link) await rm(this.link, { force: true });
  }
}

export interface OpenPtyOptions {
  /** Create (or replace) a symlink here pointing at the slave, like a udev /dev/serial/by-id name. */
  link?: string;
  /** Bound on how long the relay may take to report its slave path. */
  timeoutMs?: number;
  /** Emit 'wrote' with the time each write reached the slave side (for latency measurements). */
  writeTimes?: boolean;
}

export async function openPty(opts: OpenPtyOptions = {}): Promise<PtyPair> {
  const child = opts.writeTimes
    ? spawn('python3', ['-u', '-c', RELAY, 'times'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
    : spawn('python3', ['-u', '-c', RELAY], { stdio: ['pipe', 'pipe', 'pipe'] });
  const slave = await readSlavePath(child, opts.timeoutMs ?? 5_000);
  if (opts.link) {
    await rm(opts.link, { force: true });
    await symlink(slave.path, opts.link);
  }
  const pair = new PtyPair(opts.link ?? slave.path, child, opts.link);
  child.stdout?.on('data', (chunk: Buffer) => pair.emit('data', chunk));
  if (opts.writeTimes) {
    const times = child.stdio[3] as Readable;
    createInterface({ input: times }).on('line', (line) => pair.emit('wrote', BigInt(line)));
  }
  // The relay stops on its own only if our stdin pipe breaks; ignore the EPIPE that follows a kill.
  child.stdin?.on('error', () => undefined);
  return pair;
}

// Nothing can be written to the slave before its path is known, so the first line is all there is to read.
function readSlavePath(child: ChildProcess, timeoutMs: number): Promise<{ path: string }> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let stderr = '';
    const fail = (why: string) => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`openPty: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) return;
      cleanup();
      resolve({ path: head.subarray(0, nl).toString('utf8') });
    };
    const onStderr = (chunk: Buffer) => (stderr += chunk.toString());
    const onExit = (code: number | null) => fail(`python3 relay exited (code ${code})`);
    const onError = (err: Error) => fail(`cannot start python3 (${err.message})`);
    const timer = setTimeout(() => fail(`no slave path within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onStderr);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
