import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../src/devices/framing/line-framer.js';

const framer = (max = 32) => new LineFramer({ maxLineBytes: max });
const b = (s: string) => Buffer.from(s, 'latin1');

describe('LineFramer', () => {
  it('ends lines on CR, LF and CR LF and drops empty lines', () => {
    const f = framer();
    expect(f.push(b('a\rb\nc\r\nd\r\n\r\n\n'))).toEqual(['a', 'b', 'c', 'd']);
    expect(f.buffered).toBe(0);
  });

  it('joins a frame split across chunks, byte by byte', () => {
    const f = framer();
    const out = [...b('S S      100.00 g\r\n')].flatMap((byte) => f.push(Buffer.from([byte])));
    expect(out).toEqual(['S S      100.00 g']);
  });

  it('yields no empty line when CR LF is split across chunks', () => {
    const f = framer();
    expect(f.push(b('S D 1.234 g\r'))).toEqual(['S D 1.234 g']);
    expect(f.push(b('\nS S 1.240 g\r'))).toEqual(['S S 1.240 g']);
    expect(f.push(b('\n'))).toEqual([]);
  });

  it('returns several frames merged in one chunk, keeping the unfinished tail', () => {
    const f = framer();
    expect(f.push(b('01A+0000.123\r01A+0000.124\r01A+00'))).toEqual(['01A+0000.123', '01A+0000.124']);
    expect(f.buffered).toBe(6);
    expect(f.push(b('00.125\r'))).toEqual(['01A+0000.125']);
  });

  it('decodes as latin1 so any byte is a character and nothing throws', () => {
    const f = framer();
    expect(f.push(Buffer.from([0xff, 0xfe, 0x41, 0x0d]))).toEqual(['\u00ff\u00feA']);
  });

  it('accepts a line of exactly maxLineBytes and discards one byte more', () => {
    const f = framer(8);
    expect(f.push(b('12345678\r123456789\rok\r'))).toEqual(['12345678', 'ok']);
    expect(f.discarded).toBe(1);
  });

  it('keeps its buffer bounded on a 1 MB chunk without a terminator and resyncs at the next one', () => {
    const f = framer(256);
    const junk = Buffer.alloc(1024 * 1024, 0x55);
    expect(f.push(junk)).toEqual([]);
    expect(f.buffered).toBeLessThanOrEqual(256);
    expect(f.push(junk)).toEqual([]);
    expect(f.buffered).toBeLessThanOrEqual(256);
    // The rest of the overlong line is thrown away up to its terminator; the next line is whole.
    expect(f.push(b('tail of junk\r\nS S 5.000 g\r\n'))).toEqual(['S S 5.000 g']);
    expect(f.discarded).toBe(1);
    expect(f.buffered).toBe(0);
  });

  it('grows past max only by discarding, when a long line arrives in small pieces', () => {
    const f = framer(16);
    for (let i = 0; i < 100; i++) {
      f.push(b('0123456789'));
      expect(f.buffered).toBeLessThanOrEqual(16);
    }
    expect(f.push(b('\nnext\n'))).toEqual(['next']);
    expect(f.discarded).toBe(1);
  });

  it('reset() forgets a partial line', () => {
    const f = framer();
    f.push(b('S S 12'));
    f.reset();
    expect(f.push(b('S S 1.0 g\r\n'))).toEqual(['S S 1.0 g']);
  });
});
