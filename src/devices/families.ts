// Each line-instrument family as the generic driver needs it: decoder, identity queries, request. Defaults for
// serial settings and requests live in the config schema (so `config check` shows them); the rest is here.
import type { DeviceConfig } from '../config/schema.js';
import { decodeAdeptMux } from './adept/decode.js';
import { decodeAnd } from './and/decode.js';
import { decodeGeneric } from './generic/decode.js';
import { decodeHioki } from './hioki/decode.js';
import type { IdentityQuery, LineInstrumentSpec } from './line-instrument.js';
import { decodeMahr } from './mahr/decode.js';
import { decodeMetroMux } from './metro/decode.js';
import { decodeDigimatic } from './mitutoyo/decode.js';
import { decodeMtSics } from './mtsics/decode.js';
import { decodeOhaus } from './ohaus/decode.js';
import { decodeRadwag } from './radwag/decode.js';
import { decodeSartorius } from './sartorius/decode.js';
import { decodeSylvac } from './sylvac/decode.js';

export type LineDeviceConfig = Exclude<DeviceConfig, { kind: 'scanner' | 'hid-scanner' | 'hid-gauge' }>;
export type LineKind = LineDeviceConfig['kind'];

export const LINE_KINDS: readonly LineKind[] = ['mtsics', 'sartorius', 'and', 'ohaus', 'kern', 'radwag', 'hioki', 'sylvac', 'mahr', 'metro', 'adept', 'generic', 'mitutoyo'];

// Identity where the protocol has it (instruments.md 10.6): MT-SICS/KCP I4, SBI ESC x1_/x2_, *IDN?, Mahr ID?.
const I4: IdentityQuery[] = [{ command: 'I4\r\n' }];
const SBI: IdentityQuery[] = [
  { command: '\x1bx1_\r\n', expect: 'model' },
  { command: '\x1bx2_\r\n', expect: 'serial' },
];

export function lineSpec(cfg: LineDeviceConfig): LineInstrumentSpec {
  const base = {
    kind: cfg.kind,
    mode: cfg.mode,
    pollMs: cfg.poll_ms,
    replyTimeoutMs: cfg.reply_timeout_ms,
    maxMissedReplies: cfg.max_missed_replies,
    settle: cfg.settle,
    identity: [] as IdentityQuery[],
  };
  switch (cfg.kind) {
    case 'mtsics':
    case 'kern':
      return { ...base, request: cfg.request, decode: decodeMtSics, identity: I4 };
    case 'sartorius':
      return { ...base, request: cfg.request, decode: (line, expect) => decodeSartorius(line, { expect }), identity: SBI };
    case 'and':
      return { ...base, request: cfg.request, decode: decodeAnd };
    case 'ohaus':
      return { ...base, request: cfg.request, decode: decodeOhaus };
    case 'radwag':
      return { ...base, request: cfg.request, decode: decodeRadwag };
    case 'hioki':
      return { ...base, request: cfg.request, decode: (line) => decodeHioki(line, { mode: cfg.measure }), identity: [{ command: '*IDN?\r\n' }] };
    case 'sylvac':
      // DTR on / RTS off by default: the duplex Opto-RS cable's +supply and -supply rails (schema `lines`, 4.4).
      return { ...base, request: cfg.request, decode: (line) => decodeSylvac(line, { unit: cfg.unit }), lines: cfg.lines };
    case 'mahr':
      return { ...base, request: cfg.request, decode: decodeMahr, identity: [{ command: 'ID?\r' }] };
    case 'metro':
      // The channel digit alone (no terminator) reads that input.
      return { ...base, request: cfg.channel, channel: cfg.channel, decode: decodeMetroMux };
    case 'adept':
      return { ...base, request: cfg.channel, channel: cfg.channel, decode: decodeAdeptMux };
    case 'mitutoyo':
      return { ...base, request: cfg.request, decode: (line) => decodeDigimatic(line, { unit: cfg.unit }) };
    case 'generic': {
      const opts = { pattern: new RegExp(cfg.pattern), unit: cfg.unit, stableWhen: cfg.stable_when, quantity: cfg.quantity, maxLength: cfg.max_line_bytes };
      return { ...base, request: cfg.request, decode: (line) => decodeGeneric(line, opts) };
    }
  }
}
