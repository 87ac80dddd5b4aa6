// The unit of the latency goal, "an fsync", measured two ways in the benchmark directory:
//  - raw: append 4 KiB (about one WAL frame) and fdatasync;
//  - as SQLite pays it: one single-row INSERT committed on a connection from openDatabase (WAL, synchronous=FULL),
//    which also writes the WAL frame header and grows the file. The goal is checked against this one;
//  - the same commit after a 10 ms pause each, as saves come in the latency benchmark (for context: on some
//    disks, virtual ones especially, a sync after an idle moment costs more than one in a tight loop).
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../queue/db.js';
import { benchMeasurement } from './fixtures.js';
import { distribution, type Distribution } from './stats.js';
import { pause } from '../demo/wait.js';

export interface FsyncResult {
  fdatasync: Distribution;
  commit: Distribution;
  spacedCommit: Distribution;
}

export async function benchFsync(dir: string, samples: number): Promise<FsyncResult> {
  const fd = openSync(join(dir, 'fsync.bin'), 'w');
  const page = Buffer.alloc(4096, 7);
  const raw: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const start = performance.now();
      writeSync(fd, page);
      fdatasyncSync(fd);
      raw.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
  }
  const db = openDatabase(join(dir, 'fsync-commit.db'));
  const commits: number[] = [];
  const spaced: number[] = [];
  try {
    db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
    const commit = (i: number) => {
      const body = benchMeasurement(i).body;
      const start = performance.now();
      insert.run(body);
      return performance.now() - start;
    };
    for (let i = 0; i < samples; i++) commits.push(commit(i));
    for (let i = 0; i < Math.ceil(samples / 5); i++) {
      await pause(10);
      spaced.push(commit(samples + i));
    }
  } finally {
    db.close();
  }
  return { fdatasync: distribution(raw), commit: distribution(commits), spacedCommit: distribution(spaced) };
}
