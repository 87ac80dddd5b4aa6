// What the benchmarks feed the daemon: realistic measurement rows (the shape the station builds, valid for the
// stand-in's OpenAPI check), and the stand-in API as its own process so its CPU is not the measured process's.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NewMeasurement } from '../queue/types.js';

export const CLI_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const STANDIN_MAIN = fileURLToPath(new URL('../demo/standin/main.js', import.meta.url));

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

/** Row `i` of a benchmark backlog: a two-property measurement with a unique name, as the station would save it. */
export function benchMeasurement(i: number, prefix = 'bench'): NewMeasurement {
  const cell = `CELL-${String(i % 10_000).padStart(4, '0')}`;
  const at = T0 + i * 60_000;
  const name = `bench1_${cell}_${new Date(at + 5_000).toISOString()}_${prefix}${i}`;
  const body = {
    name,
    measurement_type: 'properties',
    properties: { mass: { value: 45 + (i % 1000) / 1000, unit: 'g' }, thickness: { value: 5.5 + (i % 100) / 1000, unit: 'mm' } },
    start_time: new Date(at).toISOString(),
    test_setup: { lab: 'Bench lab', station: 'bench1', software: 'ionworks-edge bench', instruments: { mass: { device: 'balance1' }, thickness: { device: 'gauge1' } } },
  };
  return { cellInstanceId: cell, name, body: JSON.stringify(body), station: 'bench1', createdAt: at };
}

export interface StandinProcess {
  url: string;
  stop(): Promise<void>;
}

/** The stand-in (dist/demo/standin/main.js) on a free 127.0.0.1 port, without faults. */
export async function spawnStandin(apiKey: string): Promise<StandinProcess> {
  // Its stderr (counters on exit) is kept out of the table; it is shown only if it fails to start.
  const child = spawn(process.execPath, [STANDIN_MAIN, '--port', '0', '--key', apiKey], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`stand-in exited (${code}) before printing its URL: ${stderr}`)));
  });
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`stand-in printed "${url}", expected a 127.0.0.1 URL`);
  return { url, stop: () => stopChild(child) };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
