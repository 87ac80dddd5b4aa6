// The status page in a real browser: the real Daemon on the bench rig (PTYs, simulators, stand-in API), headless
// Chromium from Debian, an operator scanning and measuring, and the page following each step without a reload.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { configSchema } from '../../src/config/schema.js';
import { Daemon } from '../../src/daemon.js';
import { startBenchRig, type BenchRig } from '../../src/demo/bench-rig.js';
import { waitFor } from '../../src/demo/wait.js';
import { silentLogger } from '../../src/ops/logger.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '../../docs/status-page.png');
const available = existsSync(CHROMIUM);
const HOW = `status page browser test needs Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium`;

if (!available && !process.env.CI) console.warn(`SKIPPED: ${HOW}`);

describe('status page in Chromium', () => {
  // In CI a missing browser is a failure, not a silent skip (registered only then, so it never shows as skipped).
  if (!available && process.env.CI)
    it('has Chromium in CI', () => {
      throw new Error(HOW);
    });

  describe.runIf(available)('on the bench rig', () => {
    let rig: BenchRig;
    let daemon: Daemon;
    let browser: Browser;
    let page: Page;
    let navigations = 0;

    beforeAll(async () => {
      rig = await startBenchRig();
      daemon = new Daemon({ config: configSchema.parse(rig.config()), configPath: '(test)', apiKey: rig.apiKey, logger: silentLogger() });
      await daemon.start();
      await waitFor('devices to connect', () => daemon.status().devices.every((d) => d.state === 'connected'));
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync'],
      });
      page = await browser.newPage({ viewport: { width: 1100, height: 780 }, deviceScaleFactor: 1 });
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) navigations++;
      });
      await page.goto(`${daemon.http.url}/station/bench1`);
      // Survives only if the page is never reloaded (the test's tsconfig has no DOM types, hence the string).
      await page.evaluate("window.marker = 'same page'");
    });

    afterAll(async () => {
      await browser?.close();
      await daemon?.stop();
      await rig?.close();
    });

    const text = (id: string) => page.getByTestId(id).first();
    const expectText = (id: string, want: string | RegExp) =>
      page.getByTestId(id).filter({ hasText: want }).first().waitFor({ timeout: 8_000 });
    const stateOf = (id: string) => text(id).getAttribute('data-state');

    it('follows a cell from scan to upload, live, without reloading', async () => {
      await expectText('headline', 'Scan a cell');
      await expectText('device-balance1', 'Balance connected');
      rig.scanner.scan('OP:Ana Lima');
      await expectText('operator', 'Operator: Ana Lima');

      rig.scanner.scan('CELL-0001');
      await expectText('cell-id', 'CELL-0001');
      await expectText('headline', 'Put the cell on the balance');
      await expectText('missing', 'Still needed: Mass, Thickness');

      rig.balance.load('45.112');
      await page.waitForSelector('[data-testid="reading-mass"][data-state="taken"]', { timeout: 8_000 });
      await expectText('reading-mass', /Mass\s*45\.112\s*g\s*✓ stable/);
      expect(await stateOf('reading-thickness')).toBe('waiting');
      await expectText('missing', 'Still needed: Thickness');
      await expectText('headline', 'Measure, then press DATA on the gauge');

      rig.gauge.send('5.523');
      await expectText('saved', /✓ Saved CELL-0001 at/);
      const name = daemon.stations.get('bench1')!.snapshot().lastSaved!.name;
      expect(await text('saved-name').textContent()).toBe(name);
      await page.waitForSelector('[data-testid="upload-state"][data-state="uploaded"]', { timeout: 10_000 });
      await expectText('upload-state', 'Uploaded to Ionworks');

      // The next cell while the last one is still on the pan: the capture rule waits for an unload.
      rig.scanner.scan('CELL-0002');
      await expectText('cell-id', 'CELL-0002');
      await expectText('headline', 'Lift the cell off the balance');
      expect(await stateOf('reading-mass')).toBe('unload');
      rig.balance.unload();
      await expectText('headline', 'Put the cell on the balance');
      rig.balance.load('45.087');
      await expectText('reading-mass', /45\.087/);
      await page.waitForSelector('[data-testid="reading-mass"][data-state="taken"]', { timeout: 8_000 });
      await expectText('saved', /Last saved CELL-0001/);

      expect(await page.evaluate('window.marker')).toBe('same page');
      expect(navigations).toBe(1);
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    });

    it('the overview shows the same station and links to its page', async () => {
      const overview = await browser.newPage({ viewport: { width: 1100, height: 700 } });
      await overview.goto(`${daemon.http.url}/`);
      await overview.waitForSelector('[data-testid="station-bench1"] [data-testid="cell-id"]:text("CELL-0002")', { timeout: 8_000 });
      expect(await overview.locator('[data-testid="station-bench1"] a.open').getAttribute('href')).toBe('/station/bench1');
      await overview.close();
    });
  });
});
