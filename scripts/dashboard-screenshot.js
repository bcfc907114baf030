#!/usr/bin/env node
// Regenerates the README's dashboard screenshots (docs/images/dashboard.png, dashboard-compare.png):
// two runs in the embedded mode, then the dashboard in headless Chromium at a laptop's 1366×768.
//   npm run build && npm run screenshot
const { join } = require('node:path');
const { chromium } = require('playwright-core');
const { ensureChromiumInstalled } = require('@duet/stack');
const { EmbeddedTarget } = require('@duet/cli/dist/run/embedded.target');
const { runScenario } = require('@duet/cli/dist/run/run-scenario');
const { loadScenario } = require('@duet/cli/dist/scenario/scenario.loader');

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'docs', 'images');
const HANDSETS = '1000'; // enough for smooth curves, a minute or so on two cores

async function main() {
  const { executablePath } = await ensureChromiumInstalled();
  const target = await EmbeddedTarget.start(join(ROOT, '.duet', 'screenshot'));
  let browser;
  try {
    // The VPN what-if and the same fleet without the mandate, from midnight to 18:00 on day 2.
    const overrides = [`fleet.handsets=${HANDSETS}`, 'shards=2'];
    const runs = [
      ['no-vpn', [...overrides, 'policies.1.at=2d']],
      ['vpn-mandate', overrides],
    ];
    for (const [runId, set] of runs) {
      const { config } = loadScenario(join(ROOT, 'scenarios', 'vpn-mandate.yaml'), set);
      const outcome = await runScenario(target, { runId, scenario: 'vpn-mandate', config });
      process.stderr.write(`run ${runId}: ${outcome.phase}\n`);
    }
    browser = await chromium.launch({ executablePath, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${target.addresses.dashboard}#run=vpn-mandate`);
    await page.locator('#breakdown tbody tr').first().waitFor();
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    await page.goto(`${target.addresses.dashboard}#compare=no-vpn,vpn-mandate`);
    await page.locator('#compare-kpis tbody tr').first().waitFor();
    await page.screenshot({ path: join(OUT, 'dashboard-compare.png'), fullPage: true });
    process.stderr.write(`wrote ${join(OUT, 'dashboard.png')} and dashboard-compare.png\n`);
  } finally {
    await browser?.close();
    await target.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
