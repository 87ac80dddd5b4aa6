// The disk's fsync time, the unit of the latency goal: append 4 KiB (about one WAL frame) and fdatasync, as a
// WAL commit with synchronous=FULL does.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Distribution } from './latency.js';
import { percentile } from './stats.js';

export function benchFsync(dir: string, samples: number): Distribution {
  const fd = openSync(join(dir, 'fsync.bin'), 'w');
  const page = Buffer.alloc(4096, 7);
  const ms: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const start = performance.now();
      writeSync(fd, page);
      fdatasyncSync(fd);
      ms.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), samples };
}
