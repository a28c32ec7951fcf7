// The checks every embedded example's browser test makes (queue, deposits, ring, cluster): a page in a fresh
// context, the JS budget before Start, Start and wait, the keyboard's Tab order, a 375 px phone, motion and
// reduced motion. Each test still says what it checks; these only do the repeated work.
import type { Locator, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { newContext, startSite, type Appearance, type Site } from './harness.ts';

/** The course's budget: every page ≤ 300 KB of decoded JS until an embedded example is started. */
export const JS_BUDGET = 300_000;

/** A phone-sized viewport (375 px wide). */
export const PHONE = { viewport: { width: 375, height: 800 } };

/**
 * The built site, served, with Chromium, for the tests of the calling file: started before them (beforeAll),
 * closed after (afterAll). Read its fields inside tests, not at the file's top level.
 */
export function siteForThisFile(): Site {
  const site = {} as Site;
  let started: Site | undefined;
  beforeAll(async () => {
    started = await startSite();
    Object.assign(site, started);
  });
  afterAll(async () => {
    await started?.close();
  });
  return site;
}

/** Run `body` on a new page in a fresh context (appearance, viewport as given), and close the context after. */
export async function withPage(
  site: Site,
  opts: { appearance?: Appearance; viewport?: { width: number; height: number } },
  body: (page: Page) => Promise<void>,
): Promise<void> {
  const context = await newContext(site.browser, opts);
  try {
    await body(await context.newPage());
  } finally {
    await context.close();
  }
}

/** A script the page loaded, with its decoded size (0 if the body could not be read). */
export interface Script {
  url: string;
  bytes: Promise<number>;
}

/** Every request the page makes, and every script it loads, from now on. */
export function watchLoads(page: Page): { requested: string[]; scripts: Script[] } {
  const requested: string[] = [];
  const scripts: Script[] = [];
  page.on('request', (r) => requested.push(r.url()));
  page.on('response', (res: Response) => {
    const isJs = res.request().resourceType() === 'script' || /javascript/.test(res.headers()['content-type'] ?? '');
    if (isJs) scripts.push({ url: res.url(), bytes: res.body().then((b) => b.length, () => 0) });
  });
  return { requested, scripts };
}

/** The scripts' file names and sizes. */
export function sizesOf(scripts: Script[]): Promise<{ url: string; bytes: number }[]> {
  return Promise.all(scripts.map(async (s) => ({ url: s.url.replace(/^.*\//, ''), bytes: await s.bytes })));
}

/**
 * Open `path` and wait for the network to be idle; expect its JS (everything `scripts` holds so far) to be
 * within the budget and no file of the example (`chunk`) among it. Returns how many scripts that was.
 */
export async function expectLightUntilStart(page: Page, site: Site, path: string, scripts: Script[], chunk: RegExp): Promise<number> {
  await page.goto(site.server.url + path);
  await page.waitForLoadState('networkidle');
  const before = scripts.length;
  const sizes = await sizesOf(scripts.slice(0, before));
  const js = sizes.reduce((a, b) => a + b.bytes, 0);
  const biggest = [...sizes].sort((a, b) => b.bytes - a.bytes).slice(0, 5).map((s) => `${s.url} ${s.bytes}`).join(', ');
  expect(js, `${path} runs ${js} bytes of JavaScript before the example starts (largest: ${biggest})`).toBeLessThanOrEqual(JS_BUDGET);
  expect(sizes.map((s) => s.url).filter((u) => chunk.test(u)), 'the example loaded before Start').toEqual([]);
  return before;
}

/** Press the Start button of the example `name` (a click, or from the keyboard: focus and Enter), and wait for `shown`. */
export async function startExample(page: Page, name: string, shown: Locator, how: 'click' | 'keyboard' = 'click'): Promise<void> {
  const start = page.locator(`[data-live-example="${name}"] button.live-example-start`);
  if (how === 'click') {
    await start.click();
  } else {
    await start.focus();
    await page.keyboard.press('Enter');
  }
  await shown.waitFor({ timeout: 60_000 });
}

/** The text of the element that has the keyboard focus. */
export function focusedText(page: Page): Promise<string> {
  return page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
}

/** Put the focus on the title of the example `name`, the place a learner tabs on from. */
export function focusTitle(page: Page, name: string): Promise<void> {
  return page.locator(`[data-live-example="${name}"] .live-example-title`).focus();
}

/**
 * Press Tab at most `most` times until the focused control's text is `want` (or passes the test `want`), and
 * return that text. A string `want` is expected to be reached.
 */
export async function tabTo(page: Page, want: string | ((text: string) => boolean), most: number): Promise<string> {
  const reached = typeof want === 'string' ? (t: string) => t === want : want;
  for (let i = 0; i < most && !reached(await focusedText(page)); i++) await page.keyboard.press('Tab');
  const text = await focusedText(page);
  if (typeof want === 'string') expect(text).toBe(want);
  return text;
}

/** Stop a playing example's clock (Pause, if it is shown), so that what the test reads next is its own doing. */
export async function pauseRun(scope: Page | Locator): Promise<void> {
  const button = scope.getByRole('button', { name: 'Pause', exact: true });
  if (await button.count()) await button.click();
  await scope.getByRole('button', { name: 'Play', exact: true }).waitFor();
}

/** Expect the page not to scroll sideways: its width is the viewport's. */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  expect(widths.page).toBeLessThanOrEqual(widths.viewport);
}

/**
 * Watch the messages in flight: sample where each is drawn (`positions`: id and place), twice `gapMs` apart,
 * until a few were seen both times (at most 40 rounds). How many were seen twice, and how many of those moved.
 */
export async function watchMessages(page: Page, positions: () => Promise<[string, string][]>, gapMs: number): Promise<{ seen: number; moved: number }> {
  let seen = 0;
  let moved = 0;
  for (let i = 0; i < 40 && seen < 4; i++) {
    const before = new Map(await positions());
    await page.waitForTimeout(gapMs);
    for (const [id, at] of await positions()) {
      if (!before.has(id)) continue;
      seen++;
      if (before.get(id) !== at) moved++;
    }
  }
  return { seen, moved };
}

/**
 * Expect messages to glide while the run plays, then switch the page to prefers-reduced-motion and expect them
 * to stand still (each drawn in one place until it arrives).
 */
export async function expectGlideThenStill(page: Page, positions: () => Promise<[string, string][]>, gapMs: number): Promise<void> {
  const normal = await watchMessages(page, positions, gapMs);
  expect(normal.seen).toBeGreaterThan(0);
  expect(normal.moved, 'messages should move while the run plays').toBeGreaterThan(0);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  // The example follows the setting as it changes; wait until it has, and one more frame is drawn.
  await page.locator('[data-motion="still"]').waitFor();
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const still = await watchMessages(page, positions, gapMs);
  expect(still.seen).toBeGreaterThan(0);
  expect(still.moved, 'under reduced motion a message is drawn in one place until it arrives').toBe(0);
}
