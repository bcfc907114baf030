import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { EmbeddedTarget } from '@duet/cli/dist/run/embedded.target';
import { runScenario } from '@duet/cli/dist/run/run-scenario';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { REPOSITORY_ROOT } from '../cli/duet-cli';
import { CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium } from '../support/browser';

const QUICKSTART = join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml');
const SCREENSHOT = join(REPOSITORY_ROOT, '.duet', 'dashboard.png');
const LAPTOP = { width: 1366, height: 768 }; // CSS pixels

// The built-in dashboard in real headless Chromium, against the embedded stack: panels follow a
// run live over server-sent events, then the comparison view shows two runs side by side.
describe('the built-in dashboard in a browser', () => {
  let target: EmbeddedTarget;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    target = await EmbeddedTarget.start(join(REPOSITORY_ROOT, '.duet', 'test-dashboard'));
  }, CHROMIUM_INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await target?.close();
  });

  function tickStat(page: Page): Promise<number> {
    return page
      .locator('#stat-tick')
      .innerText()
      .then((text) => Number(text.split('/')[0].replace(/[^\d]/g, '') || -1));
  }

  it('follows a run live, then compares it with an earlier one', async () => {
    const first = loadScenario(QUICKSTART, ['fleet.handsets=200', 'duration=2h', 'start=08:00']).config;
    expect((await runScenario(target, { runId: 'dashboard-first', scenario: 'quickstart', config: first })).phase).toBe('COMPLETED');

    // Real-time pacing × 240: a 60 s tick every 0.25 wall seconds, 180 ticks, so about 45 s to watch.
    const second = loadScenario(QUICKSTART, [
      'fleet.handsets=300',
      'duration=3h',
      'start=08:00',
      'seed=7',
      'pacing.mode=real-time',
      'pacing.speedFactor=240',
    ]).config;
    let ticksCompleted = 0;
    const running = runScenario(target, { runId: 'dashboard-second', scenario: 'quickstart', config: second }, (progress) => {
      ticksCompleted = progress.ticksCompleted;
    });
    for (let wait = 0; ticksCompleted < 3 && wait < 600; wait++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ticksCompleted).toBeGreaterThanOrEqual(3);

    const page = await browser.newPage({ viewport: LAPTOP });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(`${target.addresses.dashboard}#run=dashboard-second`);
    await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#run-title').innerText()).toBe('Run dashboard-second');

    // The tick stat moves several times within 4 s: that is the event stream (the panels are
    // reloaded only every 5 s).
    const seen: number[] = [];
    for (let sample = 0; sample < 16; sample++) {
      seen.push(await tickStat(page));
      await page.waitForTimeout(250);
    }
    const distinct = [...new Set(seen)];
    expect(distinct.length, `tick stat over 4 s: ${seen.join(' ')}`).toBeGreaterThanOrEqual(3);
    expect([...distinct].sort((a, b) => a - b)).toEqual(distinct); // only ever forward
    expect(await page.locator('#chart-compliance-summary').innerText()).toMatch(/compliant ÷ enrolled: last/);
    expect(await page.locator('#chart-leaks-summary').innerText()).toMatch(/copy work→personal: last/);
    // Readable on a laptop: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(LAPTOP.width);

    expect((await running).phase).toBe('COMPLETED');
    await page.locator('#connection', { hasText: 'Run completed' }).waitFor({ timeout: 20_000 });
    await page.locator('#stat-tick', { hasText: '180 / 180' }).waitFor({ timeout: 10_000 });

    // Compare, with the keyboard-usable controls.
    await page.locator('#tab-compare').click();
    await page.locator('#compare-a').selectOption('dashboard-first');
    await page.locator('#compare-b').selectOption('dashboard-second');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const handsets = page.locator('#compare-kpis tr[data-kpi="handsets"]');
    await handsets.waitFor();
    expect(await handsets.locator('td').allInnerTexts()).toEqual(['200', '300', '▲ +100', '+50.0 %']);
    const header = await page.locator('#compare-kpis thead').innerText();
    expect(header).toContain('A: dashboard-first');
    expect(header).toContain('B: dashboard-second');
    const ticks = await page.locator('#compare-kpis tr[data-kpi="ticksCompleted"] td').allInnerTexts();
    expect(ticks.slice(0, 3)).toEqual(['120', '180', '▲ +60']);
    expect(await page.locator('#compare-compliance-summary').innerText()).toMatch(/A: last .*; B: last /);

    mkdirSync(join(REPOSITORY_ROOT, '.duet'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  }, 300_000);
});
