import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import type { Command } from './commands.js';
import { EX_CONFIG } from './run.js';

export const configCommand: Command = {
  summary: 'check a config file: config check <file>',
  async run(args) {
    const [sub, file] = args;
    if (sub !== 'check' || !file) {
      process.stderr.write('usage: ionworks-edge config check <file>\n');
      return 64;
    }
    try {
      const { config, apiKey } = loadConfig(file);
      const stations = Object.keys(config.stations).length;
      const devices = Object.keys(config.devices).length;
      process.stdout.write(
        `${file}: ok (${stations} station(s), ${devices} device(s), state_dir ${config.state_dir}, API key ${apiKey ? 'found' : 'NOT set'})\n`,
      );
      return 0;
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        return EX_CONFIG;
      }
      throw err;
    }
  },
};
