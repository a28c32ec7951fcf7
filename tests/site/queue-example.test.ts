// The live work queue on the Session 2 page (examples/queue/browser/QueueExample.vue), in the BUILT site:
// the same seed and script give the same timeline in the browser as in Node; killing the worker that holds a
// job (from the buttons) gets the job redelivered; the page stays light until the example starts; axe, the
// keyboard and a 375 px phone are all fine with it running.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page, Response } from 'playwright-core';
import { encodeScript, faultTour, formatEvent, runToEnd } from '../../examples/queue/sim/world.ts';
import { newContext, seriousViolations, startSite, watchProblems, type Appearance, type Site } from './harness.ts';

const PAGE = '/fundamentals/02-queue-system';
const JS_BUDGET = 300_000;
// Written out by hand from the contract's text form, not with the component's own link helper.
const TOUR_QUERY = `?example=queue&seed=7&script=${encodeScript(faultTour)}`;

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

const TIMELINE = '[data-testid="queue-timeline"] li';

/** Open the page from a link; the shell starts the example by itself once the page is idle. */
async function openRun(page: Page, query: string): Promise<void> {
  await page.goto(site.server.url + PAGE + query);
  await page.getByRole('button', { name: 'Run to end' }).waitFor({ timeout: 60_000 });
}

/** Stop the clock, so that what the test reads next is caused by the test alone. */
async function pause(page: Page): Promise<void> {
  const button = page.getByRole('button', { name: 'Pause', exact: true });
  if (await button.count()) await button.click();
  await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
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
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
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
    } finally {
      await context.close();
    }
  });

  test('"Kill" on the worker holding a job: its lease expires and another worker gets the job', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      await openRun(page, '?example=queue&seed=42');
      await pause(page);
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
    } finally {
      await context.close();
    }
  });

  test('the page stays within the JS budget until the example starts; Start loads it', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      const scripts: { url: string; bytes: Promise<number> }[] = [];
      page.on('response', (res: Response) => {
        const isJs = res.request().resourceType() === 'script' || /javascript/.test(res.headers()['content-type'] ?? '');
        if (isJs) scripts.push({ url: res.url(), bytes: res.body().then((b) => b.length, () => 0) });
      });
      await page.goto(site.server.url + PAGE);
      await page.waitForLoadState('networkidle');
      const before = scripts.length;
      const sizes = await Promise.all(scripts.map(async (s) => ({ url: s.url.replace(/^.*\//, ''), bytes: await s.bytes })));
      const js = sizes.reduce((a, b) => a + b.bytes, 0);
      const biggest = [...sizes].sort((a, b) => b.bytes - a.bytes).slice(0, 5).map((s) => `${s.url} ${s.bytes}`).join(', ');
      expect(js, `${PAGE} runs ${js} bytes of JavaScript before the example starts (largest: ${biggest})`).toBeLessThanOrEqual(JS_BUDGET);
      expect(sizes.map((s) => s.url).filter((u) => /QueueExample/.test(u)), 'the example loaded before Start').toEqual([]);
      expect(await page.getByTestId('queue-timeline').count()).toBe(0);

      await page.locator('[data-live-example="queue"] button.live-example-start').click();
      await page.getByTestId('queue-timeline').waitFor({ timeout: 60_000 });
      const loaded = scripts.slice(before).map((s) => s.url);
      expect(loaded.some((u) => /QueueExample/.test(u)), `chunks loaded on Start: ${loaded.join(', ')}`).toBe(true);
      // Without a seed in the link, one is picked and shown.
      expect((await page.getByTestId('queue-seed').textContent())?.trim()).toMatch(/^\d+$/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test.each<Appearance>(['light', 'dark'])('axe finds no serious or critical issue with the example started (%s)', async (appearance) => {
    const context = await newContext(site.browser, { appearance });
    try {
      const page = await context.newPage();
      await openRun(page, TOUR_QUERY);
      await pause(page);
      for (let i = 0; i < 5; i++) await page.getByRole('button', { name: 'Step' }).click();
      expect(await seriousViolations(page)).toEqual([]);
      // At the end: a dead poison job, a restarted broker, done rows.
      await page.getByRole('button', { name: 'Run to end' }).click();
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('Tab reaches the controls; Enter and Space on Step each advance the timeline', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      await openRun(page, '?example=queue&seed=7');
      // Tab from the example's title to Pause and press it, then on to Step: the keyboard alone.
      await page.locator('[data-live-example="queue"] .live-example-title').focus();
      const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
      for (let i = 0; i < 10 && (await focused()) !== 'Pause'; i++) await page.keyboard.press('Tab');
      expect(await focused()).toBe('Pause');
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
      for (let i = 0; i < 5 && (await focused()) !== 'Step'; i++) await page.keyboard.press('Tab');
      expect(await focused()).toBe('Step');
      const count0 = await page.locator(TIMELINE).count();
      await page.keyboard.press('Enter');
      const count1 = await page.locator(TIMELINE).count();
      expect(count1).toBeGreaterThan(count0);
      await page.keyboard.press('Space');
      expect(await page.locator(TIMELINE).count()).toBeGreaterThan(count1);
      expect(await page.getByTestId('queue-status').getAttribute('aria-live')).toBe('polite');
      expect((await page.getByTestId('queue-status').textContent())?.trim()).not.toBe('');
    } finally {
      await context.close();
    }
  });

  test('pauses while the tab is hidden and plays on when it is shown again', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
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
    } finally {
      await context.close();
    }
  });

  test('fits a 375 px phone without sideways scrolling', async () => {
    const context = await newContext(site.browser, { viewport: { width: 375, height: 800 } });
    try {
      const page = await context.newPage();
      await openRun(page, TOUR_QUERY);
      await page.getByRole('button', { name: 'Run to end' }).click();
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
      }));
      expect(widths.page).toBeLessThanOrEqual(widths.viewport);
      // The stacked drawing is the one in use: the workers sit below the broker, not beside it.
      const box = (name: string) => page.locator(`[data-testid="queue-drawing"] [data-worker="${name}"] rect`).boundingBox();
      const broker = await page.locator('[data-testid="queue-drawing"] .broker rect').boundingBox();
      expect((await box('worker-1'))!.y).toBeGreaterThan(broker!.y + broker!.height);
    } finally {
      await context.close();
    }
  });

  test('messages glide along the links, and stand still under prefers-reduced-motion', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
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
      const watch = async (): Promise<{ seen: number; moved: number }> => {
        let seen = 0;
        let moved = 0;
        for (let i = 0; i < 40 && seen < 4; i++) {
          const before = new Map(await positions());
          await page.waitForTimeout(300);
          for (const [id, at] of await positions()) {
            if (!before.has(id)) continue;
            seen++;
            if (before.get(id) !== at) moved++;
          }
        }
        return { seen, moved };
      };
      const normal = await watch();
      expect(normal.seen).toBeGreaterThan(0);
      expect(normal.moved, 'messages should move while the run plays').toBeGreaterThan(0);

      await page.emulateMedia({ reducedMotion: 'reduce' });
      // The example follows the setting as it changes; wait until it has, and one more frame is drawn.
      await page.locator('[data-motion="still"]').waitFor();
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      const still = await watch();
      expect(still.seen).toBeGreaterThan(0);
      expect(still.moved, 'under reduced motion a message is drawn in one place until it arrives').toBe(0);
    } finally {
      await context.close();
    }
  });
});
