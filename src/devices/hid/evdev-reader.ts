// Reads one evdev node through a tiny python3 helper, because Node's fs has no ioctl and EVIOCGRAB (exclusive
// access, so a scan does not also type into the focused window) is an ioctl. The helper opens the node, tries
// the grab if asked, reports the outcome as its first stderr line, then relays the raw input_event bytes on
// stdout until the node goes away (read error, e.g. ENODEV on unplug, or end of file). It exits when its stdin
// closes, so a grab can never outlive the daemon. Spawn is injected so tests can stand in for python.
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';

const HELPER = `
import errno, fcntl, os, select, sys
path, want_grab = sys.argv[1], sys.argv[2] == "1"
def why(e): return "%s %s" % (errno.errorcode.get(e.errno, "E?"), e.strerror)
try:
    fd = os.open(path, os.O_RDONLY)
except OSError as e:
    sys.stderr.write("open-failed %s\\n" % why(e)); sys.exit(2)
grab = "off"
if want_grab:
    try:
        fcntl.ioctl(fd, 0x40044590, 1)  # EVIOCGRAB = _IOW('E', 0x90, int)
        grab = "ok"
    except OSError as e:
        grab = "failed " + why(e)
sys.stderr.write("opened grab=%s\\n" % grab); sys.stderr.flush()
while True:
    r, _, _ = select.select([fd, 0], [], [])
    if 0 in r and not os.read(0, 4096): sys.exit(0)
    if fd in r:
        try:
            d = os.read(fd, 24 * 64)
        except OSError as e:
            sys.stderr.write("gone %s\\n" % why(e)); sys.exit(3)
        if not d:
            sys.stderr.write("gone end of file\\n"); sys.exit(3)
        while d:
            d = d[os.write(1, d):]
`;

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** Whether the helper took the device exclusively; `detail` says why not ("EBUSY ...", "ENOTTY ..."). */
export type GrabOutcome = { state: 'ok' } | { state: 'off' } | { state: 'failed'; detail: string };

export interface EvdevReaderEvents {
  /** The node is open and being read. */
  open: [GrabOutcome];
  data: [Buffer];
  /** The helper ended (could not open, device gone, killed); emitted once. */
  end: [reason: string];
}

export class EvdevReader extends EventEmitter<EvdevReaderEvents> {
  private child: ChildProcess | undefined;
  private stderr = '';
  private opened = false;
  private ended = false;

  constructor(
    private readonly path: string,
    private readonly grab: boolean,
    private readonly spawn: SpawnFn = nodeSpawn,
  ) {
    super();
  }

  start(): void {
    const child = this.spawn('python3', ['-u', '-c', HELPER, this.path, this.grab ? '1' : '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.emit('data', chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.onStderr(chunk.toString('utf8')));
    child.stdin?.on('error', () => undefined); // EPIPE after the helper exited; 'exit' reports it
    child.once('error', (err) => this.finish(`cannot start python3 for ${this.path}: ${err.message}`));
    // 'close', not 'exit': by then every stdout and stderr byte has been delivered.
    child.once('close', (code, signal) => this.finish(this.exitReason(code, signal)));
  }

  /** Ends the helper (closing stdin is enough; the kill covers a helper blocked in open()). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    child.kill('SIGTERM');
    await exited;
  }

  private onStderr(text: string): void {
    this.stderr = (this.stderr + text).slice(-2_000);
    if (this.opened) return;
    const m = /^opened grab=(ok|off|failed (.*))$/m.exec(this.stderr);
    if (!m) return;
    this.opened = true;
    this.emit('open', m[1] === 'ok' ? { state: 'ok' } : m[1] === 'off' ? { state: 'off' } : { state: 'failed', detail: m[2] ?? '' });
  }

  private exitReason(code: number | null, signal: NodeJS.Signals | null): string {
    const failed = /^open-failed (.*)$/m.exec(this.stderr);
    if (failed) return `cannot open ${this.path}: ${failed[1]}`;
    const gone = /^gone (.*)$/m.exec(this.stderr);
    if (gone) return `input device ${this.path} disappeared (unplugged?): ${gone[1]}`;
    const tail = this.stderr.trim().split('\n').pop();
    return `reader for ${this.path} exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`;
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('end', reason);
  }
}
