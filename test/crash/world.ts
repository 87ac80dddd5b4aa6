// The crash test's world: two real PTYs (scanner, thickness gauge) driven from the test process, the faulty stand-in
// API in the test process, and the daemon as a child process (`node dist/cli/main.js run`) that opens the PTYs,
// logs JSON lines on stdout and can be killed and started again on the same state directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { openPty, type PtyPair } from '../../src/devices/pty.js';
import { ScannerSimulator } from '../../src/devices/scanner/simulator.js';
import { DigimaticSimulator } from '../../src/devices/mitutoyo/simulator.js';
import { startStandin, type Standin } from '../../src/demo/standin/server.js';
import { gaugeOnlyBench } from '../../src/demo/bench-rig.js';
import { outboxPath } from '../../src/queue/db.js';
import { CRASH_ENV } from '../../src/ops/crash-points.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Scenario } from './scenario.js';

export const MAIN = resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface World {
  dir: string;
  stateDir: string;
  outboxFile: string;
  configPath: string;
  apiKey: string;
  standin: Standin;
  scanner: ScannerSimulator;
  gauge: DigimaticSimulator;
  close(): Promise<void>;
}

/** The crash test passes its whole scenario; other tests of the spawned daemon need only the stand-in's faults. */
export async function startWorld(s: Pick<Scenario, 'faults'>): Promise<World> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (\`npm test\` does)`);
  const dir = await mkdtemp(join(tmpdir(), 'ionworks-crash-'));
  const apiKey = `iwk_crash_${randomBytes(8).toString('hex')}`;
  const standin = await startStandin({ apiKey, faults: s.faults });
  const [scannerPty, gaugePty] = await Promise.all([openPty({ link: join(dir, 'scanner.tty') }), openPty({ link: join(dir, 'gauge.tty') })]);
  const ptys: PtyPair[] = [scannerPty, gaugePty];
  const stateDir = join(dir, 'state');
  const config: ConfigInput = {
    lab: 'Crash lab',
    state_dir: stateDir,
    api: {
      base_url: standin.url,
      // Shorter than the stand-in's slowMs, so a slow answer is a timeout with the POST already stored.
      timeout_ms: 600,
      retry: { base_ms: 50, cap_ms: 400, max_retry_after_ms: 1_000 },
      concurrency: 2,
      // The breaker has its own tests; here a seeded cluster of chosen 422s must be dead-lettered, not halt the run.
      halt_after_same_failures: 100,
      auth_recheck_ms: 1_000,
      probe_cap_ms: 300,
    },
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    ...gaugeOnlyBench(scannerPty.path, gaugePty.path),
  };
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, JSON.stringify(config, null, 2)); // JSON is YAML
  return {
    dir,
    stateDir,
    outboxFile: outboxPath(stateDir),
    configPath,
    apiKey,
    standin,
    scanner: new ScannerSimulator(scannerPty),
    gauge: new DigimaticSimulator(gaugePty),
    close: async () => {
      await Promise.all(ptys.map((p) => p.close()));
      await standin.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type LogLine = Record<string, unknown> & { event?: string };

/** One run of the daemon as a child process, with its JSON log lines collected as they arrive. */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  /** Resolves once the process has exited and its output is read to the end. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  killedByTest = false;
  private done = false;
  private readonly waiters = new Set<() => void>();
  private readonly stderr: string[] = [];

  constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        this.lines.push({ event: '(not json)', text });
      }
      this.notify();
    });
    child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')));
    this.closed = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.done = true;
        this.notify();
        resolve({ code, signal });
      }),
    );
  }

  /** `main`: another build's entry (the release test runs the unpacked tarball's); `env`: the base environment. */
  static spawn(world: World, crashAt: string | null, opts: { main?: string; env?: NodeJS.ProcessEnv } = {}): DaemonProcess {
    const env: NodeJS.ProcessEnv = {};
    // Nothing from the test's environment steers the daemon: no config overrides, no proxy for 127.0.0.1.
    for (const [k, v] of Object.entries(opts.env ?? process.env))
      if (!/^(IONWORKS_|https?_proxy$|all_proxy$|no_proxy$|NOTIFY_SOCKET$|WATCHDOG_)/i.test(k)) env[k] = v;
    env.NO_PROXY = '127.0.0.1,localhost';
    env.IONWORKS_API_KEY = world.apiKey;
    if (crashAt) env[CRASH_ENV] = crashAt;
    const child = spawn(process.execPath, [opts.main ?? MAIN, 'run', '--config', world.configPath, '--log-format', 'json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new DaemonProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return !this.done;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    // Already dead (say by its own crash point) but not yet reaped: not the test's kill.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (signal === 'SIGKILL') this.killedByTest = true;
    this.child.kill(signal);
  }

  /**
   * The first line from index `from` on that matches, or null if the process ends first. Throws after `timeoutMs`
   * (the daemon is alive but never did it: a hang, which the test reports with the log tail).
   */
  waitFor(match: (l: LogLine) => boolean, what: string, timeoutMs: number, from = 0): Promise<LogLine | null> {
    return new Promise((resolve, reject) => {
      let i = from;
      const finish = (line: LogLine | null) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(line);
      };
      const check = () => {
        for (; i < this.lines.length; i++) if (match(this.lines[i]!)) return finish(this.lines[i]!);
        if (this.done) finish(null);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The last log lines and stderr, for a failure message. */
  tail(n = 25): string {
    const lines = this.lines.slice(-n).map((l) => JSON.stringify(l));
    return [...lines, ...(this.stderr.length > 0 ? ['stderr:', this.stderr.join('').slice(-4_000)] : [])].join('\n');
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
