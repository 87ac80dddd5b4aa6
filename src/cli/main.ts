#!/usr/bin/env node
// ionworks-edge command line: one entry, one small module per command.
import { VERSION } from '../version.js';
import { commands, usage } from './commands.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 64;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`ionworks-edge: unknown command "${name}"\n\n${usage()}`);
    return 64; // EX_USAGE
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ionworks-edge: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70; // EX_SOFTWARE
  },
);
