// The live work queue on the Session 2 page (examples/queue/browser/QueueExample.vue), in the BUILT site:
// the same seed and script give the same timeline in the browser as in Node; killing the worker that holds a
// job (from the buttons) gets the job redelivered; the page stays light until the example starts; axe, the
// keyboard and a 375 px phone are all fine with it running.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { encodeScript, faultTour, formatEvent, runToEnd } from '../../examples/queue/sim/world.ts';
import {
  expectGlideThenStill, expectLightUntilStart, expectNoSidewaysScroll, focusTitle, pauseRun, PHONE, siteForThisFile, startExample, tabTo, watchLoads, withPage,
} from './example-checks.ts';
import { seriousViolations, watchProblems, type Appearance } from './harness.ts';

const PAGE = '/fundamentals/02-queue-system';
// Written out by hand from the contract's text form, not with the component's own link helper.
const TOUR_QUERY = `?example=queue&seed=7&script=${encodeScript(faultTour)}`;

const site = siteForThisFile();

const TIMELINE = '[data-testid="queue-timeline"] li';

/** Open the page from a link; the shell starts the example by itself once the page is idle. */
async function openRun(page: Page, query: string): Promise<void> {
  await page.goto(site.server.url + PAGE + query);
  await page.getByRole('button', { name: 'Run to end' }).waitFor({ timeout: 60_000 });
}

interface Line {
  text: string;
  kind: string | null;
  job: string | null;
}
function timelineLines(page: Page): Promise<Line[]> {
  return page.$$eval(TIMELINE, (els) =>
    els.map((el) => ({ text: el.textContent ?? '', kind: el.getAttribute('data-kind'), job: el.getAttribute('data-job') })),
  );
}

describe('the live work queue', () => {
  test('seed 7 with the fault tour: the browser prints exactly the timeline Node prints', async () => {
    const expected = runToEnd({ seed: 7, script: faultTour }).timeline.map(formatEvent);
    // The tour must be a run worth comparing: its faults are all in it.
    expect(expected.length).toBeGreaterThan(30);
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, TOUR_QUERY);
      expect((await page.getByTestId('queue-seed').textContent())?.trim()).toBe('7');
      await page.getByRole('button', { name: 'Run to end' }).click();
      const shown = (await timelineLines(page)).map((l) => l.text);
      expect(shown).toEqual(expected);
      // The link reproduces this run: same seed, same script.
      const href = (await page.getByRole('link', { name: 'Link to this run' }).getAttribute('href')) ?? '';
      const link = new URL(href, site.server.url);
      expect(link.pathname).toBe(PAGE);
      expect(link.searchParams.get('example')).toBe('queue');
      expect(link.searchParams.get('seed')).toBe('7');
      expect(link.searchParams.get('script')).toBe(encodeScript(faultTour));
      expect(problems).toEqual([]);
    });
  });

  test('"Kill" on the worker holding a job: its lease expires and another worker gets the job', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=queue&seed=42');
      await pauseRun(page);
      // Step until a worker is busy with a job.
      const busy = page.locator('[data-testid="queue-worker"][data-state="working"]');
      for (let i = 0; i < 400 && (await busy.count()) === 0; i++) {
        await page.getByRole('button', { name: 'Step' }).click();
      }
      expect(await busy.count(), 'no worker took a job within 400 steps').toBeGreaterThan(0);
      const worker = (await busy.first().getAttribute('data-worker'))!;
      const job = (await busy.first().getAttribute('data-job'))!;
      expect(job).toMatch(/^job-\d+$/);
      const before = (await timelineLines(page)).length;

      await page.getByRole('button', { name: `Kill ${worker}` }).click();
      await expect.poll(() => page.getByRole('button', { name: `Restart ${worker}` }).count()).toBe(1);
      await page.getByRole('button', { name: 'Run to end' }).click();

      const after = (await timelineLines(page)).slice(before);
      const expiry = after.findIndex((l) => l.kind === 'lease-expired' && l.job === job);
      expect(expiry, `no lease-expired line for ${job} after the kill:\n${after.map((l) => l.text).join('\n')}`).toBeGreaterThanOrEqual(0);
      const again = after.slice(expiry + 1).find((l) => l.job === job && (l.kind === 'leased' || l.kind === 'redelivered'));
      expect(again, `${job} was not leased again after its lease expired`).toBeDefined();
      expect(again!.text).toMatch(/worker-\d+/);
      expect(again!.text).not.toContain(worker);
      // The job ends done (it was not poison), and the broker's table says so.
      expect(await page.locator(`tr[data-job="${job}"]`).getAttribute('data-status')).toBe('done');

      // The kill is in the link, and following the link replays the same run, line for line.
      const whole = (await timelineLines(page)).map((l) => l.text);
      const link = page.getByRole('link', { name: 'Link to this run' });
      expect(await link.getAttribute('href')).toMatch(new RegExp(`[?&]seed=42&script=\\d+:kill-worker:${worker.slice('worker-'.length)}$`));
      await page.evaluate(() => Object.assign(window, { oldRun: true }));
      await link.click();
      await page.waitForURL((url) => url.search.includes('kill-worker'));
      await page.waitForLoadState('load');
      // A new page, not the old run left on screen by the client-side router.
      expect(await page.evaluate(() => 'oldRun' in window)).toBe(false);
      await page.getByRole('button', { name: 'Run to end' }).waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Run to end' }).click();
      expect((await timelineLines(page)).map((l) => l.text)).toEqual(whole);
      expect(problems).toEqual([]);
    });
  });

  test('the page stays within the JS budget until the example starts; Start loads it', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      const { scripts } = watchLoads(page);
      const before = await expectLightUntilStart(page, site, PAGE, scripts, /QueueExample/);
      expect(await page.getByTestId('queue-timeline').count()).toBe(0);

      await startExample(page, 'queue', page.getByTestId('queue-timeline'));
      const loaded = scripts.slice(before).map((s) => s.url);
      expect(loaded.some((u) => /QueueExample/.test(u)), `chunks loaded on Start: ${loaded.join(', ')}`).toBe(true);
      // Without a seed in the link, one is picked and shown.
      expect((await page.getByTestId('queue-seed').textContent())?.trim()).toMatch(/^\d+$/);
      expect(problems).toEqual([]);
    });
  });

  test.each<Appearance>(['light', 'dark'])('axe finds no serious or critical issue with the example started (%s)', async (appearance) => {
    await withPage(site, { appearance }, async (page) => {
      await openRun(page, TOUR_QUERY);
      await pauseRun(page);
      for (let i = 0; i < 5; i++) await page.getByRole('button', { name: 'Step' }).click();
      expect(await seriousViolations(page)).toEqual([]);
      // At the end: a dead poison job, a restarted broker, done rows.
      await page.getByRole('button', { name: 'Run to end' }).click();
      expect(await seriousViolations(page)).toEqual([]);
    });
  });

  test('Tab reaches the controls; Enter and Space on Step each advance the timeline', async () => {
    await withPage(site, {}, async (page) => {
      await openRun(page, '?example=queue&seed=7');
      // Tab from the example's title to Pause and press it, then on to Step: the keyboard alone.
      await focusTitle(page, 'queue');
      await tabTo(page, 'Pause', 10);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
      await tabTo(page, 'Step', 5);
      const count0 = await page.locator(TIMELINE).count();
      await page.keyboard.press('Enter');
      const count1 = await page.locator(TIMELINE).count();
      expect(count1).toBeGreaterThan(count0);
      await page.keyboard.press('Space');
      expect(await page.locator(TIMELINE).count()).toBeGreaterThan(count1);
      expect(await page.getByTestId('queue-status').getAttribute('aria-live')).toBe('polite');
      expect((await page.getByTestId('queue-status').textContent())?.trim()).not.toBe('');
    });
  });

  test('pauses while the tab is hidden and plays on when it is shown again', async () => {
    await withPage(site, {}, async (page) => {
      await openRun(page, '?example=queue&seed=7');
      await page.getByRole('button', { name: 'Pause', exact: true }).waitFor();
      const setHidden = (hidden: boolean) =>
        page.evaluate((h) => {
          Object.defineProperty(document, 'hidden', { value: h, configurable: true });
          document.dispatchEvent(new Event('visibilitychange'));
        }, hidden);
      await setHidden(true);
      await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
      const now = await page.getByTestId('queue-now').textContent();
      await page.evaluate(() => new Promise((done) => setTimeout(done, 300)));
      expect(await page.getByTestId('queue-now').textContent()).toBe(now);
      await setHidden(false);
      await page.getByRole('button', { name: 'Pause', exact: true }).waitFor();
      await expect.poll(() => page.getByTestId('queue-now').textContent()).not.toBe(now);
    });
  });

  test('fits a 375 px phone without sideways scrolling', async () => {
    await withPage(site, PHONE, async (page) => {
      await openRun(page, TOUR_QUERY);
      await page.getByRole('button', { name: 'Run to end' }).click();
      await expectNoSidewaysScroll(page);
      // The stacked drawing is the one in use: the workers sit below the broker, not beside it.
      const box = (name: string) => page.locator(`[data-testid="queue-drawing"] [data-worker="${name}"] rect`).boundingBox();
      const broker = await page.locator('[data-testid="queue-drawing"] .broker rect').boundingBox();
      expect((await box('worker-1'))!.y).toBeGreaterThan(broker!.y + broker!.height);
    });
  });

  test('messages glide along the links, and stand still under prefers-reduced-motion', async () => {
    await withPage(site, {}, async (page) => {
      await openRun(page, '?example=queue&seed=7');
      expect(await page.locator('[data-motion="glide"]').count()).toBe(1);
      await page.getByLabel('Speed').selectOption('0.1');
      // Sample where each message in flight is drawn, twice a little apart, until a few were seen both times.
      const positions = (): Promise<[string, string][]> =>
        page.$$eval('[data-testid="queue-drawing"] [data-message]', (els) =>
          els.map((el) => {
            const c = el.querySelector('circle');
            return [el.getAttribute('data-message') ?? '', `${c?.getAttribute('cx')},${c?.getAttribute('cy')}`] as [string, string];
          }),
        );
      await expectGlideThenStill(page, positions, 300);
    });
  });
});
