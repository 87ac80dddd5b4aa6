// The generic line-instrument driver's rules, driven deterministically: mock binding for bytes, FakeClock for time.
import { afterEach, describe, expect, it } from 'vitest';
import { MockBinding, flush, mockDevice } from './mock-device.js';

const setup = (cfg: Record<string, unknown>) => mockDevice('dev1', '/dev/ttyINS0', cfg);

afterEach(() => MockBinding.reset());

describe('LineInstrument', () => {
  it('Sylvac: sets DTR on / RTS off after every open to power the Opto-RS cable, then polls "?"', async () => {
    const { device, lineSets, sent, reply, step } = setup({ kind: 'sylvac' });
    await device.start();
    await flush();
    expect(lineSets).toEqual([expect.objectContaining({ dtr: true, rts: false })]);
    expect(sent()).toBe('?\r');
    await reply('+12.345\r');
    expect(device.status().state).toBe('connected');
    await step(100); // next poll
    await step(300); // unanswered: polled again at once
    await step(300); // unanswered again: reconnect
    expect(device.status().state).toBe('disconnected');
    await step(1_000);
    expect(lineSets).toHaveLength(2);
    await device.stop();
  });

  it('asks every identity query once, tolerating silence, and never counts it as a missed poll', async () => {
    const { device, sent, reply, step, log } = setup({ kind: 'sartorius' });
    await device.start();
    await flush();
    expect(sent()).toBe('\x1bx1_\r\n');
    await step(300); // model query unanswered: fine
    expect(sent()).toBe('\x1bx1_\r\n\x1bx2_\r\n');
    await step(300); // serial query unanswered: fine, still not given up
    expect(sent()).toBe('\x1bx1_\r\n\x1bx2_\r\n\x1bP\r\n');
    expect(device.status().state).toBe('connecting');
    await reply('+    12.34 g  \r\n');
    expect(device.status().state).toBe('connected');
    expect(device.status().identity).toBeUndefined();
    expect(log.events('device.disconnected')).toHaveLength(0);
    await device.stop();
  });

  it('Sartorius: an autoprint line between identity answers is a reading, not the model or serial', async () => {
    const { device, readings, sent, reply, step } = setup({ kind: 'sartorius', mode: 'stream' });
    await device.start();
    await flush();
    await reply('+    12.34 g  \r\n'); // printed while ESC x1_ is out
    await reply('MSE1203S-100-DR     \r\n');
    await step(100);
    expect(sent()).toBe('\x1bx1_\r\n\x1bx2_\r\n');
    await reply('N     +    0.031    \r\n'); // unstable autoprint while ESC x2_ is out
    await reply('SerNo.    0031801165\r\n');
    expect(device.status().identity).toEqual({ model: 'MSE1203S-100-DR', serial: '0031801165' });
    expect(readings.map((r) => [r.value, r.unit, r.stable])).toEqual([
      ['12.34', 'g', true],
      ['0.031', '', false],
    ]);
    await device.stop();
  });

  it('stream mode: connected while the port is open, and silence is never a disconnect', async () => {
    const { device, sent, step, log } = setup({ kind: 'ohaus', mode: 'stream' });
    await device.start();
    await flush();
    expect(device.status().state).toBe('connected');
    await step(60_000);
    expect(sent()).toBe('');
    expect(device.status().state).toBe('connected');
    expect(log.events('device.disconnected')).toHaveLength(0);
    await device.stop();
  });

  it('garbage is logged at the 1st, 2nd, 4th, 8th... dropped frame, with the running total, not every time', async () => {
    const { device, readings, reply, log } = setup({ kind: 'ohaus', mode: 'stream' });
    await device.start();
    await flush();
    for (let i = 0; i < 9; i++) await reply('#garbage at the wrong baud rate#\r\n');
    expect(readings).toEqual([]);
    expect(log.events('frame.dropped').map((e) => e.dropped_total)).toEqual([1, 2, 4, 8]);
    await device.stop();
  });

  it('multiplexer: polls its channel digit and drops other inputs\' lines', async () => {
    const { device, readings, sent, reply, log } = setup({ kind: 'metro', channel: '3' });
    await device.start();
    await flush();
    expect(sent()).toBe('3');
    await reply('V2: mm       -00001.250000\r\n');
    await reply('V3: mm       +00000.500000\r\n');
    expect(readings.map((r) => r.value)).toEqual(['0.500000']);
    expect(log.events('frame.dropped')[0]).toMatchObject({ why: 'input 2, this device reads input 3' });
    await device.stop();
  });

  it('settle rule: a gauge without a stability flag gives stable readings only once N agree', async () => {
    const { device, readings, reply, step } = setup({ kind: 'mahr', settle: { count: 3, tolerance: '0.002' } });
    await device.start();
    await flush();
    await reply('ERR\r\n'); // not an answer to ID?: garbage, still waiting
    await step(300);
    for (const v of ['012.351', '012.346', '012.345', '012.344', '012.352']) {
      await reply(`${v}mm\r\n`);
      await step(100);
    }
    // Windows of 3: spread 0.006, then 0.002 (stable), then 0.008 (moving again).
    expect(readings.map((r) => [r.value, r.stable])).toEqual([
      ['12.351', false],
      ['12.346', false],
      ['12.345', false],
      ['12.344', true],
      ['12.352', false],
    ]);
    await device.stop();
  });

  it('logs a condition (overload, error) once per episode, and never as a reading', async () => {
    const { device, readings, reply, step, log } = setup({ kind: 'radwag' });
    await device.start();
    await flush();
    for (const line of ['SI ^   999.99 g  ', 'SI ^   999.99 g  ', 'SI E', 'SI       1.0000 g  ', 'ES']) {
      await reply(`${line}\r\n`);
      await step(100);
    }
    expect(log.events('device.condition').map((l) => [l.code, l.message])).toEqual([
      ['^', 'above maximum range'],
      ['E', 'no stable result in time'],
      ['ES', 'command not recognised'],
    ]);
    expect(readings.map((r) => r.value)).toEqual(['1.0000']);
    await device.stop();
  });
});
