// decode: captured instrument bytes (a file, or stdin) -> one JSON line per frame, readings and errors alike,
// with the same decoder the daemon uses. For checking a capture from the bench, or a wrong-baud mystery.
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { streamDecoder, type DecodedRecord } from '../devices/protocols.js';
import type { Command } from './commands.js';
import { DEVICE_FLAGS_HELP, deviceConfigFromFlags, deviceFlags, EX_NOINPUT, EX_USAGE, protocolFlag } from './bench-options.js';

const USAGE = `usage: ionworks-edge decode --protocol X ${DEVICE_FLAGS_HELP} [file]\n(reads stdin without a file or with "-"; exit 0 whatever the input held, 66 unreadable file, 64 bad usage)\n`;

export const decodeCommand: Command = {
  summary: 'decode captured instrument bytes into JSON lines: decode --protocol X [file]',
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({ args, options: deviceFlags, allowPositionals: true });
    } catch (err) {
      process.stderr.write(`ionworks-edge decode: ${(err as Error).message}\n${USAGE}`);
      return EX_USAGE;
    }
    const { values, positionals } = parsed;
    const protocol = protocolFlag(values.protocol, 'decode');
    if (!protocol || positionals.length > 1) {
      if (protocol) process.stderr.write(USAGE);
      return EX_USAGE;
    }
    const file = positionals[0] ?? '-';
    const cfg = deviceConfigFromFlags(protocol, file, values, 'decode');
    if (!cfg) return EX_USAGE;
    const decoder = streamDecoder(cfg);
    const input = file === '-' ? process.stdin : createReadStream(file);
    try {
      for await (const chunk of input) print(decoder.push(chunk as Buffer));
    } catch (err) {
      process.stderr.write(`ionworks-edge decode: cannot read ${file}: ${(err as Error).message}\n`);
      return EX_NOINPUT;
    }
    print(decoder.end());
    return 0;
  },
};

function print(records: DecodedRecord[]): void {
  for (const { raw, frame } of records) process.stdout.write(`${JSON.stringify({ ...frame, raw })}\n`);
}
