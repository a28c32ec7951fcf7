// The live deposits example on the Session 1 page (examples/messaging/browser/DepositsExample.vue), in the
// BUILT site: a link with a fixed seed reproduces the run that the real scenario gives in Node, attempt by
// attempt; it is accessible in light and dark mode, works from the keyboard and fits a 375 px phone.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { handleDepositIdempotent, handleDepositNaive } from '../../examples/messaging/core/account.ts';
import { runDepositScenario, type ScenarioOptions } from '../../examples/messaging/sim/deposit-scenario.ts';
import { buildDepositTimeline, describeStep } from '../../examples/messaging/sim/deposit-timeline.ts';
import { PHONE, siteForThisFile, startExample, watchLoads, withPage } from './example-checks.ts';
import { seriousViolations, watchProblems, type Appearance } from './harness.ts';

const PAGE = '/fundamentals/01-what-is-ds';
// A run with both kinds of loss, written out by hand (not with the component's own link helper).
const RUN: ScenarioOptions = { seed: 20261, deposits: 12, dropRequestRate: 0.2, dropReplyRate: 0.35 };
const RUN_QUERY = '?example=deposits&seed=20261&deposits=12&dropRequest=0.2&dropReply=0.35';
const NO_LOSS_QUERY = '?example=deposits&seed=777&deposits=8&dropRequest=0&dropReply=0';

const site = siteForThisFile();

/** Open the page from a link; the shell starts the example by itself (after the page is idle). */
async function openRun(page: Page, query: string): Promise<void> {
  await page.goto(site.server.url + PAGE + query);
  await page.locator('.deposits').waitFor({ timeout: 60_000 });
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

async function shownSide(page: Page, side: 'naive' | 'idempotent') {
  const box = `.deposits-server[data-side="${side}"]`;
  return {
    balance: Number(await text(page, `${box} .deposits-balance`)),
    shouldBe: Number(await text(page, `${box} .deposits-should`)),
    difference: await text(page, `${box} .deposits-diff`),
  };
}

const logLines = (page: Page) => page.locator('.deposits-log li').allTextContents();

describe('the live deposits example', () => {
  test('nothing of it is on the page until it is started; Start (from the keyboard) loads it', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      const { requested } = watchLoads(page);
      await page.goto(site.server.url + PAGE);
      await page.waitForLoadState('networkidle');
      expect(await page.locator('.deposits').count()).toBe(0);
      expect(requested.filter((u) => /DepositsExample/.test(u))).toEqual([]);
      await startExample(page, 'deposits', page.locator('.deposits'), 'keyboard');
      expect(requested.filter((u) => /DepositsExample/.test(u))).toHaveLength(1);
      // Without a seed in the link, a random one is picked and shown.
      expect(await text(page, '.deposits-seed')).toMatch(/^\d+$/);
      expect(problems).toEqual([]);
    });
  });

  test('a link with a seed replays the run the real scenario gives in Node: balances and step log', async () => {
    const naive = runDepositScenario(handleDepositNaive, RUN);
    const idem = runDepositScenario(handleDepositIdempotent, RUN);
    // The run must be one where the handlers differ, or the comparison proves little.
    expect(naive.state.balance).toBeGreaterThan(idem.state.balance);
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, RUN_QUERY);
      expect(await text(page, '.deposits-seed')).toBe('20261');
      expect(await page.locator('a.deposits-link').getAttribute('href')).toBe(RUN_QUERY);
      expect(await text(page, '.deposits-progress')).toBe(`Attempt 0 of ${naive.fates.length}`);

      await page.getByRole('button', { name: 'Run to end' }).click();
      expect(await shownSide(page, 'naive')).toEqual({
        balance: naive.state.balance,
        shouldBe: naive.distinctSum,
        difference: `+${naive.state.balance - naive.distinctSum} (too high)`,
      });
      expect(await shownSide(page, 'idempotent')).toEqual({ balance: idem.state.balance, shouldBe: idem.distinctSum, difference: '0 (correct)' });
      const lines = await logLines(page);
      expect(lines).toHaveLength(naive.fates.length);
      expect(lines).toEqual(buildDepositTimeline(RUN).steps.map(describeStep));
      expect(await text(page, '.deposits-status')).toContain(`naive balance ${naive.state.balance}`);
      expect(problems).toEqual([]);
    });
  });

  test('with no loss at all both balances agree', async () => {
    const expected = runDepositScenario(handleDepositIdempotent, { seed: 777, deposits: 8, dropRequestRate: 0, dropReplyRate: 0 });
    await withPage(site, {}, async (page) => {
      await openRun(page, NO_LOSS_QUERY);
      await page.getByRole('button', { name: 'Run to end' }).click();
      const naive = await shownSide(page, 'naive');
      const idem = await shownSide(page, 'idempotent');
      expect(naive).toEqual(idem);
      expect(naive).toEqual({ balance: expected.state.balance, shouldBe: expected.state.balance, difference: '0 (correct)' });
      expect(await logLines(page)).toHaveLength(8);
    });
  });

  test('Step works from the keyboard, one attempt at a time, and the status line says what happened', async () => {
    const steps = buildDepositTimeline(RUN).steps;
    await withPage(site, {}, async (page) => {
      await openRun(page, RUN_QUERY);
      await page.getByRole('button', { name: 'Play' }).focus();
      await page.keyboard.press('Tab'); // Play -> Step, in tab order
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Step');
      await page.keyboard.press('Enter');
      expect(await logLines(page)).toEqual([describeStep(steps[0]!)]);
      await page.keyboard.press('Space');
      expect(await logLines(page)).toEqual(steps.slice(0, 2).map(describeStep));
      expect(await text(page, '.deposits-progress')).toBe(`Attempt 2 of ${steps.length}`);
      expect(await page.locator('.deposits-status').getAttribute('aria-live')).toBe('polite');
      expect(await text(page, '.deposits-status')).not.toBe('');

      // The loss sliders work from the keyboard too, and a changed setting is a new run in the link.
      await page.getByLabel('Requests lost').focus();
      await page.keyboard.press('Home');
      expect(await page.locator('a.deposits-link').getAttribute('href')).toContain('dropRequest=0&');
      expect(await text(page, '.deposits-progress')).toMatch(/^Attempt 0 of /);

      // Following the link loads that run afresh: same seed, the new rate.
      const href = await page.locator('a.deposits-link').getAttribute('href');
      await page.locator('a.deposits-link').focus();
      await Promise.all([page.waitForURL((url) => url.search === href), page.keyboard.press('Enter')]);
      await page.locator('.deposits').waitFor({ timeout: 60_000 });
      expect(await text(page, '.deposits-seed')).toBe('20261');
      expect(await page.getByLabel('Requests lost').inputValue()).toBe('0');
      expect(await text(page, '.deposits-progress')).toBe(
        `Attempt 0 of ${buildDepositTimeline({ ...RUN, dropRequestRate: 0 }).steps.length}`,
      );
    });
  });

  test.each<Appearance>(['light', 'dark'])('axe finds no serious or critical issue with the example started (%s)', async (appearance) => {
    await withPage(site, { appearance }, async (page) => {
      await openRun(page, RUN_QUERY);
      // Mid-run (a lost message highlighted) and at the end (a wrong balance highlighted).
      for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Step' }).click();
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Run to end' }).click();
      expect(await seriousViolations(page)).toEqual([]);
    });
  });

  test('fits a 375 px phone without sideways scrolling, and stands still under reduced motion', async () => {
    await withPage(site, PHONE, async (page) => {
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await openRun(page, RUN_QUERY);
      await page.getByRole('button', { name: 'Run to end' }).click();
      const widths = await page.evaluate(() => {
        const example = document.querySelector('.deposits')!;
        const log = document.querySelector('.deposits-logbox')!;
        return {
          page: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          example: example.scrollWidth,
          exampleBox: example.clientWidth,
          log: log.scrollWidth,
          logBox: log.clientWidth,
        };
      });
      expect(widths.page).toBeLessThanOrEqual(widths.viewport);
      expect(widths.example).toBeLessThanOrEqual(widths.exampleBox);
      expect(widths.log).toBeLessThanOrEqual(widths.logBox); // the log wraps; no sideways scrolling inside it either
      // Things jump instead of gliding: the step log is already scrolled to its newest line (no smooth scroll)...
      const log = await page.locator('.deposits-logbox').evaluate((el) => ({ top: el.scrollTop, client: el.clientHeight, height: el.scrollHeight }));
      expect(log.height).toBeGreaterThan(log.client);
      expect(log.top + log.client).toBeGreaterThanOrEqual(log.height - 1);
      // ...and the highlighted boxes change colour without a transition (VitePress's theme also zeroes every
      // transition under reduced motion, so this part guards the outcome, not our own rule alone).
      const transition = await page.locator('.deposits-box').first().evaluate((el) => getComputedStyle(el).transitionDuration);
      expect(transition.split(',').every((d) => parseFloat(d) === 0)).toBe(true);
    });
  });
});
