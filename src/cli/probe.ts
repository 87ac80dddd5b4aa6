// probe: talk to one real instrument with the daemon's own driver and print what it says, live, as JSON
// lines on stdout (readings, scans, status changes) until Ctrl-C. Logs go to stderr. For setting up a bench:
// right port, right protocol, right line settings?
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock, systemTimers } from '../core/clock.js';
import type { DeviceStatus } from '../devices/device.js';
import { createDevice } from '../devices/index.js';
import { createLogger } from '../ops/logger.js';
import type { Command } from './commands.js';
import { DEVICE_FLAGS_HELP, deviceConfigFromFlags, deviceFlags, EX_TEMPFAIL, EX_USAGE, protocolFlag } from './bench-options.js';

const USAGE = `usage: ionworks-edge probe --port PATH --protocol X ${DEVICE_FLAGS_HELP}\n`;

// The serial binding's flock failure, and the HID driver's message when another process holds the grab.
const HELD = /Cannot lock port|another process holds/;

export const probeCommand: Command = {
  summary: 'print a real instrument\'s readings live: probe --port P --protocol X [serial options]',
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({ args, options: { ...deviceFlags, port: { type: 'string' } } });
    } catch (err) {
      process.stderr.write(`ionworks-edge probe: ${(err as Error).message}\n${USAGE}`);
      return EX_USAGE;
    }
    const { values } = parsed;
    const protocol = protocolFlag(values.protocol, 'probe');
    if (!protocol) return EX_USAGE;
    if (!values.port) {
      process.stderr.write(`ionworks-edge probe: --port is required\n${USAGE}`);
      return EX_USAGE;
    }
    const cfg = deviceConfigFromFlags(protocol, values.port, values, 'probe');
    if (!cfg) return EX_USAGE;

    const logger = createLogger({ level: 'info', destination: pino.destination({ fd: 2, sync: true }) });
    const device = createDevice('probe', cfg, { clock: systemClock, timers: systemTimers, logger });
    const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
    return new Promise<number>((resolve) => {
      let done = false;
      const finish = (code: number) => {
        if (done) return;
        done = true;
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        void device.stop().finally(() => resolve(code));
      };
      const onSignal = () => finish(0);
      device.on('reading', (r) => out({ event: 'reading', ...r }));
      device.on('scan', (s) => out({ event: 'scan', ...s }));
      device.on('status', (s: DeviceStatus) => {
        if (done) return;
        out({ event: 'status', ...s });
        if (!s.lastError || !HELD.test(s.lastError)) return;
        // Retrying would never succeed while the holder runs: say who it probably is and stop.
        process.stderr.write(
          `ionworks-edge probe: ${values.port} is held by another program (most likely the ionworks-edge daemon; ` +
            `stop it first, e.g. "sudo systemctl stop ionworks-edge"): ${s.lastError}\n`,
        );
        finish(EX_TEMPFAIL);
      });
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      void device.start();
    });
  },
};
