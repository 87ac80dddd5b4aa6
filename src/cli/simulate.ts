// simulate: a simulated instrument on a new pseudo-terminal (serial families) or FIFO (keyboard-wedge ones,
// standing in for /dev/input/by-id/...-event-kbd), to try a config or `probe` without hardware. Prints the
// path on stdout, then takes commands on stdin ("load 12.345", "scan CELL-1", "send 1.234") until Ctrl-C.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { INPUT_EVENT_BYTES } from '../devices/hid/decode.js';
import { LAYOUTS, type Layout } from '../devices/hid/keymap.js';
import { isHidKind, SIMULATORS } from '../devices/protocols.js';
import { openPty } from '../devices/pty.js';
import type { SimLink } from '../devices/sim-link.js';
import type { Command } from './commands.js';
import { deviceConfigFromFlags, EX_UNAVAILABLE, EX_USAGE, protocolFlag } from './bench-options.js';

const USAGE = 'usage: ionworks-edge simulate --protocol X [--link PATH] [--layout us|de|fr]\n';

export const simulateCommand: Command = {
  summary: 'run a simulated instrument on a new PTY and print its path: simulate --protocol X [--link PATH]',
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({ args, options: { protocol: { type: 'string' }, link: { type: 'string' }, layout: { type: 'string' } } });
    } catch (err) {
      process.stderr.write(`ionworks-edge simulate: ${(err as Error).message}\n${USAGE}`);
      return EX_USAGE;
    }
    const { values } = parsed;
    const protocol = protocolFlag(values.protocol, 'simulate', Object.keys(SIMULATORS));
    if (!protocol) return EX_USAGE;
    const factory = SIMULATORS[protocol];

    // Only a keyboard wedge has a layout: its config (validated like the daemon's) says which.
    const hid = isHidKind(protocol);
    const fifoPath = values.link ?? join(tmpdir(), `ionworks-edge-sim-${process.pid}-event-kbd`);
    let layout: Layout = LAYOUTS.us;
    if (hid) {
      const cfg = deviceConfigFromFlags(protocol, fifoPath, { layout: values.layout }, 'simulate');
      if (cfg?.kind !== 'hid-scanner' && cfg?.kind !== 'hid-gauge') return EX_USAGE;
      layout = LAYOUTS[cfg.layout];
    } else if (values.layout !== undefined) {
      process.stderr.write(`ionworks-edge simulate: --layout applies to hid-scanner and hid-gauge only\n${USAGE}`);
      return EX_USAGE;
    }

    let wire: Wire;
    try {
      wire = hid ? openFifo(fifoPath) : await openSerial(values.link);
    } catch (err) {
      process.stderr.write(`ionworks-edge simulate: ${(err as Error).message}\n`);
      return EX_UNAVAILABLE;
    }
    const sim = factory.create(wire.link, { layout });
    process.stdout.write(`${wire.path}\n`);
    process.stderr.write(`simulating ${protocol} on ${wire.path}; commands on stdin: ${factory.commands}; Ctrl-C to stop\n`);

    // stdin ending (e.g. </dev/null) does not stop the instrument; only a signal does.
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      const complaint = sim.command(line);
      process.stderr.write(complaint ? `${complaint}\n` : `ok: ${line.trim()}\n`);
    });
    return new Promise<number>((resolve) => {
      const stop = () => {
        lines.close();
        sim.stop();
        void wire.close().then(() => resolve(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};

interface Wire {
  path: string;
  link: SimLink;
  close(): Promise<void>;
}

async function openSerial(link: string | undefined): Promise<Wire> {
  const pty = await openPty({ link });
  return { path: pty.path, link: pty, close: () => pty.close() };
}

// A FIFO is one-way: the keyboard only ever sends. Opened read-write and non-blocking so the simulator never
// waits for a reader, and a full pipe (nobody reading) drops a line with a message instead of hanging.
function openFifo(path: string): Wire {
  rmSync(path, { force: true });
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const link: SimLink = {
    write(data: Buffer | string) {
      const bytes = Buffer.from(data);
      try {
        // One input_event per write: writes up to PIPE_BUF are all-or-nothing, so a full pipe can cut a line
        // (the reader's inter-key timeout drops it) but never a record, which would misalign all that follows.
        for (let at = 0; at < bytes.length; at += INPUT_EVENT_BYTES) writeSync(fd, bytes, at, Math.min(INPUT_EVENT_BYTES, bytes.length - at));
      } catch (err) {
        process.stderr.write(`nobody is reading ${path} and the pipe is full; line dropped (${(err as Error).message})\n`);
      }
    },
    on: () => undefined,
    off: () => undefined,
  };
  return {
    path,
    link,
    close: async () => {
      closeSync(fd);
      rmSync(path, { force: true });
    },
  };
}

