// page_clock.mjs opens the demo page in headless Chromium and reads what it
// shows, for TestDemo to judge: for each player tab, the box over the picture
// (the wall-clock time of the frame playing, the page's clock) once it shows
// a frame time, and the rows of the ingest status panel.
//
//   node page_clock.mjs E2E_DIR PAGE_URL [SCREENSHOT]
//
// E2E_DIR is the repository's e2e/ directory, whose node_modules has
// playwright-core. It prints one JSON object on stdout; a tab whose box shows
// no frame time within a minute is reported with frame null.

import { createRequire } from 'node:module';
import path from 'node:path';

const [e2e, pageURL, screenshot] = process.argv.slice(2);
if (!e2e || !pageURL) {
  process.stderr.write('usage: node page_clock.mjs E2E_DIR PAGE_URL [SCREENSHOT]\n');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(e2e), 'package.json'));
const { chromium } = require('playwright-core');

const browser = await chromium.launch({
  executablePath: process.env.BOXCAR_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required'],
});
const report = { tabs: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  for (const kind of ['hls', 'cmaf', 'dash']) {
    // A fresh document per tab, so nothing of the previous player remains.
    await page.goto('about:blank');
    await page.goto(pageURL + '#' + kind);
    const tab = { kind, frame: null };
    try {
      // Generous: the player starts on a loaded machine.
      await page.waitForFunction(() => document.getElementById('clock').dataset.frame, null, { timeout: 60000, polling: 250 });
      // Let it play a moment past start-up before reading.
      await page.waitForTimeout(2000);
    } catch (e) {
      tab.error = String(e.message || e).split('\n')[0];
    }
    Object.assign(tab, await page.evaluate(() => {
      const c = document.getElementById('clock');
      const text = (id) => document.getElementById(id).textContent;
      return {
        player: c.dataset.player,
        frame: c.dataset.frame ? Number(c.dataset.frame) : null,
        now: Number(c.dataset.now),
        browserNow: Date.now(),
        shown: { frame: text('clockFrame'), now: text('clockNow'), latency: text('clockLatency'), picture: text('clockPicture') },
        status: [...document.querySelectorAll('#status tr')].map((tr) => ({
          head: tr.querySelector('th') ? tr.querySelector('th').textContent : '',
          lines: tr.querySelector('td') ? tr.querySelector('td').innerText.split('\n') : [],
        })),
      };
    }));
    report.tabs.push(tab);
    if (kind === 'hls' && screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  }
} catch (e) {
  report.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report) + '\n');
