// The command table: each command lives in its own file and says in one line what it is for.
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { configCommand } from './config.js';

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  run: runCommand,
  demo: demoCommand,
  config: configCommand,
};

export function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: ionworks-edge <command> [options]\n\ncommands:\n${lines.join('\n')}\n  --version  print the version\n`;
}
