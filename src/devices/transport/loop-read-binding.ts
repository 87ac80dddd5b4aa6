// The native serial binding, with each read done on the event loop's thread. @serialport/bindings-cpp reads a
// port with fs.read, a job for libuv's threadpool: a pool thread wakes to read, then wakes the loop. That pool is
// shared with getaddrinfo (the API's host name), which holds a thread for seconds while DNS is down, so during an
// outage serial reads could queue behind lookups. The port is opened O_NONBLOCK, so a read on the loop's thread
// never blocks: it returns the bytes or EAGAIN, and on EAGAIN it waits for the binding's own poller, as the
// binding does. Anything else (0 bytes, an error) goes to the binding's own read, so hang-ups and unplugs are
// classified exactly as before. (On the bench rig, wire to `data` event: p50 0.12-0.18 ms instead of 0.21-0.25.)
import { readSync } from 'node:fs';
import { autoDetect, BindingsError, type BindingInterface, type BindingPortInterface } from '@serialport/bindings-cpp';

/** What a unix port of bindings-cpp exposes (LinuxPortBinding, DarwinPortBinding); Windows and mock ports do not. */
interface PolledPort {
  fd: number | null;
  readonly isOpen: boolean;
  poller: { once(event: 'readable', callback: (err: Error | null) => void): unknown };
}

function isPolled(port: BindingPortInterface): port is BindingPortInterface & PolledPort {
  const p = port as Partial<PolledPort>;
  return typeof p.fd === 'number' && typeof p.poller?.once === 'function';
}

function wouldBlock(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR';
}

/** Resolves when the poller reports the port readable; rejects with its error (canceled when the port closes). */
function readable(port: PolledPort): Promise<void> {
  return new Promise((resolve, reject) => port.poller.once('readable', (err) => (err ? reject(err) : resolve())));
}

/** `binding` with every unix port's read() done on the loop's thread; other ports are returned as they are. */
export function loopReadBinding(binding: BindingInterface): BindingInterface {
  return {
    list: () => binding.list(),
    async open(options) {
      const port = await binding.open(options);
      if (!isPolled(port)) return port;
      const ownRead = port.read.bind(port);
      port.read = async (buffer, offset, length) => {
        for (;;) {
          if (!port.isOpen || port.fd === null) throw new BindingsError('Port is not open', { canceled: true });
          let bytesRead: number;
          try {
            bytesRead = readSync(port.fd, buffer, offset, length, null);
          } catch (err) {
            if (!wouldBlock(err)) return ownRead(buffer, offset, length);
            await readable(port);
            continue;
          }
          // 0 bytes: a hung-up tty; the binding's own read deals with it off the loop's thread.
          return bytesRead > 0 ? { bytesRead, buffer } : ownRead(buffer, offset, length);
        }
      };
      return port;
    },
  };
}

/** The serial binding the daemon uses unless one is injected: the platform's, read on the loop's thread. */
export function nativeBinding(): BindingInterface {
  return loopReadBinding(autoDetect());
}
