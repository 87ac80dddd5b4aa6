import { runDemo } from '../demo/demo.js';
import type { Command } from './commands.js';

export const demoCommand: Command = {
  summary: 'run the daemon on simulated instruments and a local stand-in API, then reconcile',
  run: () => runDemo(),
};
