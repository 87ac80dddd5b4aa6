// The line-instrument driver's polling rules on an MT-SICS balance, driven deterministically: mock binding for
// bytes, FakeClock for time.
import { afterEach, describe, expect, it } from 'vitest';
import { MockBinding, flush, mockDevice } from './mock-device.js';

const setup = () => mockDevice('balance1', '/dev/ttyBAL0', { kind: 'mtsics' });

afterEach(() => MockBinding.reset());

describe('LineInstrument polling an MT-SICS balance', () => {
  it('asks I4 once, tolerates ES, then polls SI with one command in flight', async () => {
    const { device, sent, reply, step } = setup();
    await device.start();
    await flush();
    expect(sent()).toBe('I4\r\n');
    expect(device.status().state).toBe('connecting');

    await reply('ES\r\n'); // a balance without I4: no serial, but it answered
    expect(device.status().state).toBe('connected');
    expect(device.status().identity).toBeUndefined();

    await step(100);
    expect(sent()).toBe('I4\r\nSI\r\n');
    // No reply yet: however long the poll period passes, nothing more is sent before the reply timeout.
    await step(250);
    expect(sent()).toBe('I4\r\nSI\r\n');
    await reply('S S     12.34 g\r\n');
    await step(0);
    expect(sent()).toBe('I4\r\nSI\r\nSI\r\n'); // the period had already passed: poll again at once
    await device.stop();
  });

  it('decodes replies split across chunks, skips garbage between frames, and takes merged frames', async () => {
    const { device, readings, reply, step, log } = setup();
    await device.start();
    await flush();
    await reply('I4 A "B207696838"\r\n');
    expect(device.status().identity).toEqual({ serial: 'B207696838' });

    await step(100);
    await reply('S S   ');
    await reply('  5.120 g\r');
    await reply('\n');
    await step(100);
    await reply('\u00ff\u0013garbage\r\nS D 5.1');
    await reply('19 g\r\n');
    await step(100);
    await reply('S S 5.120 g\r\nS S 5.120 g\r\n'); // a late duplicate is still a valid weight
    expect(readings.map((r) => [r.value, r.stable])).toEqual([
      ['5.120', true],
      ['5.119', false],
      ['5.120', true],
      ['5.120', true],
    ]);
    expect(readings[0]).toMatchObject({ device: 'balance1', quantity: 'mass', unit: 'g', raw: 'S S     5.120 g' });
    expect(log.events('frame.dropped')).toHaveLength(1);
    await device.stop();
  });

  it('logs an overload once per episode, not per poll, and never turns it into a reading', async () => {
    const { device, readings, reply, step, log } = setup();
    await device.start();
    await flush();
    await reply('ES\r\n');
    for (const line of ['S +', 'S +', 'S S     Error 10t', 'S S 1.000 g', 'S +']) {
      await step(100);
      await reply(`${line}\r\n`);
    }
    expect(log.events('device.condition').map((l) => l.reply)).toEqual(['S +', 'S S     Error 10t', 'S +']);
    expect(readings.map((r) => r.value)).toEqual(['1.000']);
    await device.stop();
  });

  it('after max_missed_replies unanswered polls it reports disconnected once and recreates the port', async () => {
    const { device, sent, reply, step, ports, log } = setup();
    await device.start();
    await flush();
    await reply('ES\r\n');
    await step(100); // SI 1
    await step(300); // timeout 1, SI 2 at once
    expect(sent()).toBe('I4\r\nSI\r\nSI\r\n');
    expect(device.status().state).toBe('connected');
    await step(300); // timeout 2: give up on this port
    expect(device.status()).toMatchObject({ state: 'disconnected', lastError: expect.stringMatching(/no reply to 2 polls in a row/) });
    expect(log.events('device.disconnected')).toHaveLength(1);

    await step(999);
    expect(ports).toHaveLength(1);
    await step(1);
    expect(ports).toHaveLength(2);
    expect(sent()).toBe('I4\r\n');
    // Port open but balance still silent: stays disconnected, no new log line.
    expect(device.status().state).toBe('disconnected');
    await reply('I4 A "B207696838"\r\n');
    expect(device.status().state).toBe('connected');
    expect(log.events('device.disconnected')).toHaveLength(1);
    expect(log.events('device.connected')).toHaveLength(2);
    await device.stop();
    expect(device.status().state).toBe('stopped');
  });
});
