// A real AF_UNIX SOCK_DGRAM socket standing in for systemd's notify socket (a python3 receiver), shared by the
// SdNotify tests and the daemon's READY/WATCHDOG/STOPPING wiring tests.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

// Binds the address ("@name" = abstract namespace), prints "bound", then one JSON string per datagram.
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = sys.argv[1]
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print('bound', flush=True)
while True:
    data = s.recv(4096)
    print(json.dumps(data.decode()), flush=True)
`;

export class Receiver {
  readonly datagrams: string[] = [];
  private isBound = false;
  private readonly proc: ChildProcessWithoutNullStreams;
  private waiters: (() => void)[] = [];

  constructor(address: string) {
    this.proc = spawn('python3', ['-c', RECEIVER, address]);
    let buf = '';
    this.proc.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        // systemd-notify follows each message with a BARRIER=1 datagram (it waits until it is read).
        if (line === 'bound') this.isBound = true;
        else if (JSON.parse(line) !== 'BARRIER=1') this.datagrams.push(JSON.parse(line) as string);
        this.waiters.splice(0).forEach((w) => w());
      }
    });
  }

  /** Resolves once the socket is bound; bounded so a broken python3 fails the test instead of hanging. */
  bound(): Promise<void> {
    return this.until(() => this.isBound, 'receiver did not bind');
  }

  async until(done: () => boolean, what: string, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms; got ${JSON.stringify(this.datagrams)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  stop(): void {
    this.proc.kill();
  }
}
