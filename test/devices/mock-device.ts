// A device from createDevice on serialport's mock binding, driven deterministically: the test feeds reply bytes,
// reads what was sent, and moves a FakeClock. Shared by the driver-rule tests.
import type { BindingInterface, SetOptions } from '@serialport/bindings-cpp';
import { SerialPortMock } from 'serialport';
import { deviceSchema } from '../../src/config/schema.js';
import { FakeClock } from '../../src/core/fake-clock.js';
import type { Reading } from '../../src/core/types.js';
import { createDevice } from '../../src/devices/index.js';
import { captureLogger } from './helpers.js';

export const MockBinding = SerialPortMock.binding;
type MockPort = Awaited<ReturnType<typeof MockBinding.open>>;

/** Lets the mock binding's nextTick/promise work run; FakeClock.advance alone does not reach it. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

/** `cfg` is a device config without its port (fast poll/timeout/backoff defaults are filled in). */
export function mockDevice(id: string, path: string, cfg: Record<string, unknown>) {
  MockBinding.createPort(path, { record: true });
  const ports: MockPort[] = [];
  const lineSets: SetOptions[] = [];
  const binding: BindingInterface = {
    list: () => MockBinding.list(),
    open: async (o) => {
      const p = await MockBinding.open(o);
      const set = p.set.bind(p);
      p.set = (flags) => (lineSets.push(flags), set(flags));
      ports.push(p);
      return p;
    },
  };
  const clock = new FakeClock();
  const log = captureLogger();
  const parsed = deviceSchema.parse({
    port: { path },
    poll_ms: 100,
    reply_timeout_ms: 300,
    max_missed_replies: 2,
    reconnect: { initial_ms: 1_000, max_ms: 4_000 },
    ...cfg,
  });
  const device = createDevice(id, parsed, { clock, timers: clock, logger: log.logger, binding });
  const readings: Reading[] = [];
  device.on('reading', (r) => readings.push(r));
  const port = () => ports[ports.length - 1]!;
  const sent = () => port().recording.toString('latin1');
  const reply = async (text: string) => {
    port().emitData(text);
    await flush();
  };
  const step = async (ms: number) => {
    await clock.advance(ms);
    await flush();
  };
  return { clock, device, log, readings, ports, lineSets, sent, reply, step };
}
