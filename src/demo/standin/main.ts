// The stand-in as its own process, for crash tests that run the daemon as a child:
//   node dist/demo/standin/main.js --port P --key K --state FILE --faults '<json FaultOptions>'
// Prints its URL as the first line on stdout. SIGUSR1 opens a 401 window, SIGUSR2 closes it; SIGTERM/SIGINT stop it.
import { parseArgs } from 'node:util';
import { startStandin } from './server.js';
import type { FaultOptions } from './faults.js';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      key: { type: 'string' },
      state: { type: 'string' },
      faults: { type: 'string', default: '{}' },
      openapi: { type: 'string' },
    },
  });
  if (!values.key) throw new Error('--key <api key> is required');
  const faults = JSON.parse(values.faults) as FaultOptions;
  const standin = await startStandin({
    apiKey: values.key,
    port: Number(values.port),
    faults,
    ...(values.state ? { statePath: values.state } : {}),
    ...(values.openapi ? { openapiPath: values.openapi } : {}),
  });
  process.stdout.write(`${standin.url}\n`);
  process.on('SIGUSR1', () => standin.setAuthFailing(true));
  process.on('SIGUSR2', () => standin.setAuthFailing(false));
  const stop = () => {
    process.stderr.write(`${JSON.stringify({ event: 'standin.stopped', counters: standin.counters() })}\n`);
    void standin.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`stand-in: ${(err as Error).message}\n`);
  process.exit(64);
});
