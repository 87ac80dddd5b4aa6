// The command table: each command lives in its own file and says in one line what it is for.
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { configCommand } from './config.js';
import { queueCommand } from './queue.js';
import { statusCommand } from './status.js';
import { portsCommand } from './ports.js';
import { probeCommand } from './probe.js';
import { decodeCommand } from './decode.js';
import { simulateCommand } from './simulate.js';

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  run: runCommand,
  demo: demoCommand,
  config: configCommand,
  queue: queueCommand,
  status: statusCommand,
  ports: portsCommand,
  probe: probeCommand,
  decode: decodeCommand,
  simulate: simulateCommand,
};

export function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: ionworks-edge <command> [options]\n\ncommands:\n${lines.join('\n')}\n  --version  print the version\n`;
}
