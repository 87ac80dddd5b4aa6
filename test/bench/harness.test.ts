// The benchmark harness itself (npm run bench) must not rot between the runs someone makes by hand: a --quick run
// (small sizes, figures not meaningful, bench/results.md not written) goes through every benchmark and prints
// every row. No figure is asserted: timings are for `npm run bench`, never for tests.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUN = fileURLToPath(new URL('../../dist/bench/run.js', import.meta.url));

describe('npm run bench -- --quick', () => {
  it('runs every benchmark against its baseline and prints each row', () => {
    const res = spawnSync(process.execPath, [RUN, '--quick'], { encoding: 'utf8', timeout: 120_000 });
    expect(res.status, res.stderr).toBe(0);
    for (const row of [
      'Save rate',
      'Scan-to-saved latency',
      'Drain rate, concurrency 1',
      'Drain rate, concurrency 2',
      'Memory, backlog held',
      'Memory, draining',
      'Restart ',
    ])
      expect(res.stdout).toContain(row);
    expect(res.stdout).toMatch(/Restart, cold page cache +not measured: not in a --quick run/);
  }, 150_000);
});
