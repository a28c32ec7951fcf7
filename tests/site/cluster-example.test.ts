// The live cluster on the Session 4 and 5 pages (examples/store/browser/ClusterExample.vue), in the BUILT
// site: a partition cut by clicking nodes, strong and eventual writes on both sides, a heal and reads at every
// node show exactly what the store's core computes in Node for the same seed and script (run here with the
// simulator); the link reproduces the run; a bad link gets a clear message; the CAP tour; the pages stay light
// until the example starts; axe, the keyboard, reduced motion and a 375 px phone are fine with it running.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { answerLines, replicaRows, runTo, type Answers } from '../../examples/store/browser/cluster-run.ts';
import { createWorld, formatEvent, parseScript, timeline, type World } from '../../examples/store/sim/world.ts';
import { partitionTour } from '../../examples/store/sim/tours.ts';
import {
  expectGlideThenStill, expectLightUntilStart, expectNoSidewaysScroll, focusTitle, pauseRun, PHONE, siteForThisFile, sizesOf, startExample, tabTo, watchLoads, withPage,
} from './example-checks.ts';
import { seriousViolations, watchProblems, type Appearance } from './harness.ts';

const PAGE = '/data-store/05-consistency';
const PAGES = ['/data-store/04-replication', '/data-store/05-consistency'];

const site = siteForThisFile();

async function openRun(page: Page, query: string, path = PAGE): Promise<void> {
  await page.goto(site.server.url + path + query);
  await ex(page).getByRole('button', { name: 'Advance 1 s' }).waitFor({ timeout: 60_000 });
}

const pause = (page: Page): Promise<void> => pauseRun(ex(page));

async function advance(page: Page, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) await ex(page).getByRole('button', { name: 'Advance 1 s' }).click();
}

/** Simulated time shown, in ms. */
async function now(page: Page): Promise<number> {
  const text = (await page.getByTestId('cluster-now').textContent()) ?? '';
  return Math.round(Number.parseFloat(text) * 1000);
}

/** The example's own part of the page: the page has quizzes with buttons and labels of its own. */
const ex = (page: Page) => page.locator('[data-live-example="cluster"]');

async function write(page: Page, mode: 'strong' | 'eventual', node: string, value: string): Promise<void> {
  await ex(page).getByRole('radio', { name: mode, exact: true }).check();
  await ex(page).getByLabel('Through node', { exact: true }).selectOption(node);
  await ex(page).getByLabel('Value', { exact: true }).fill(value);
  await ex(page).getByRole('button', { name: 'Write', exact: true }).click();
}

interface Shown {
  status: string;
  request: string;
  text: string;
}
const shownAnswers = (page: Page): Promise<Shown[]> =>
  page.$$eval('[data-testid="cluster-answers"] li', (els) =>
    els.map((el) => ({
      status: el.getAttribute('data-status') ?? '',
      request: el.querySelector('.what')?.textContent?.trim() ?? '',
      text: el.querySelector('.text')?.textContent?.trim() ?? '',
    })),
  );

/** What the core computes for this seed and script, run in Node up to `until`. */
function replay(seed: number, script: string, until: number): { world: World; answers: Answers } {
  const world = createWorld({ seed, script: parseScript(script) });
  const answers: Answers = new Map();
  runTo(world, until, answers);
  return { world, answers };
}
const shownTimeline = (page: Page): Promise<string[]> =>
  page.$$eval('[data-testid="cluster-timeline"] li', (els) => els.map((el) => el.textContent ?? ''));

const expectedAnswers = (r: { world: World; answers: Answers }): Shown[] =>
  answerLines(r.world, r.answers).map((l) => ({ status: String(l.status), request: l.request, text: l.text }));

async function linkOf(page: Page): Promise<URL> {
  return new URL((await ex(page).getByRole('link', { name: 'Link to this run' }).getAttribute('href')) ?? '', site.server.url);
}

describe('the live cluster', () => {
  test('cut by clicking n1 and n2, write on both sides in both modes, heal, read: what the core computes; the link replays it', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=cluster&seed=7');
      expect((await page.getByTestId('cluster-seed').textContent())?.trim()).toBe('7');
      await pause(page);
      await advance(page, 3); // elections
      expect((await page.getByTestId('cluster-group').textContent())).toContain('n1, n3, n4');

      // The partition, with the mouse on the drawing.
      const node = (n: string) => page.locator(`[data-testid="cluster-node"][data-node="${n}"]`);
      await node('n1').click();
      await node('n2').click();
      expect(await node('n1').getAttribute('data-chosen')).toBe('yes');
      expect(await node('n3').getAttribute('data-chosen')).toBe('no');
      await ex(page).getByRole('button', { name: 'Cut n3 n4 n5 | n1 n2', exact: true }).click();
      expect(await page.locator('[data-testid="cluster-drawing"] [data-cut="yes"]').count()).toBe(6); // 2 × 3 links
      expect(await node('n2').getAttribute('data-side')).toBe('B');
      await advance(page, 3); // n1 loses its majority; n3 n4 n5 elect

      await write(page, 'strong', 'n1', 'red');
      await write(page, 'strong', 'n4', 'green');
      await write(page, 'eventual', 'n1', 'left');
      await write(page, 'eventual', 'n4', 'right');
      await advance(page, 2);
      const during = await shownAnswers(page);
      expect(during.map((a) => [a.request, a.status])).toEqual([
        ['put k1=red (strong) via n1', '503'],
        ['put k1=green (strong) via n4', '200'],
        ['put k1=left (eventual) via n1', '200'],
        ['put k1=right (eventual) via n4', '200'],
      ]);
      // The refusal carries the core's reason, in words.
      expect(during[0]!.text).toMatch(/no-leader.*has no leader that n1 can reach/);

      await ex(page).getByRole('button', { name: 'Heal', exact: true }).click();
      expect(await page.locator('[data-testid="cluster-drawing"] [data-cut="yes"]').count()).toBe(0);
      await advance(page, 3);
      await ex(page).getByRole('button', { name: 'Read at every node', exact: true }).click();
      await advance(page, 1);

      // The whole run, in Node: the same seed and the script the link carries.
      const link = await linkOf(page);
      expect(link.pathname).toBe(PAGE);
      expect(link.searchParams.get('example')).toBe('cluster');
      expect(link.searchParams.get('seed')).toBe('7');
      const script = link.searchParams.get('script') ?? '';
      expect(script).toMatch(/^\d+:partition:n3\.n4\.n5\/n1\.n2,\d+:put:n1:strong:k1:red,/);
      const at = await now(page);
      const expected = replay(7, script, at);
      const shown = await shownAnswers(page);
      expect(shown).toEqual(expectedAnswers(expected));
      expect(shown).toHaveLength(4 + 10);
      // Every event too, to the millisecond: the network's delays are the seed's, so another seed differs here.
      const events = timeline(expected.world).map(formatEvent);
      expect(events.length).toBeLessThanOrEqual(400); // all of them are on screen
      expect(await shownTimeline(page)).toEqual(events);
      expect(shown.every((a) => a.status !== 'waiting')).toBe(true);

      // Reads now: every node, strong and eventual, as the core answered them.
      const reads = await page.$$eval('[data-testid="cluster-reads"] tbody tr', (rows) =>
        rows.map((r) => ({ node: r.getAttribute('data-node'), strong: r.children[1]?.getAttribute('data-status'), eventual: r.children[2]?.getAttribute('data-values') })),
      );
      const eventualReads = answerLines(expected.world, expected.answers).filter((l) => l.op === 'get' && l.consistency === 'eventual');
      expect(reads.map((r) => r.eventual)).toEqual(eventualReads.map((l) => l.values!.join('|')));
      // What the core does: the eventual writes of both sides come back together as siblings.
      expect(reads.every((r) => r.eventual!.split('|').sort().join('|') === 'left|right')).toBe(true);
      expect(reads.every((r) => r.strong === '200')).toBe(true);

      // What each replica holds: the core's state in Node at the same moment.
      const held = await page.$$eval('[data-testid="cluster-replicas"][data-key="k1"] tbody tr', (rows) =>
        rows.map((r) => ({ node: r.getAttribute('data-node'), strong: r.getAttribute('data-strong'), eventual: r.getAttribute('data-eventual') })),
      );
      expect(held).toEqual(
        replicaRows(expected.world, ['n1', 'n3', 'n4'], 'k1').map((r) => ({ node: r.node, strong: r.strong?.value ?? '', eventual: r.eventual?.values.join('|') ?? '' })),
      );
      expect(held.every((h) => h.strong === 'green')).toBe(true);

      // Following the link replays the run: a new page, the same answers.
      await page.evaluate(() => Object.assign(window, { oldRun: true }));
      await ex(page).getByRole('link', { name: 'Link to this run' }).click();
      await page.waitForURL((url) => url.search.includes('partition'));
      await page.waitForLoadState('load');
      expect(await page.evaluate(() => 'oldRun' in window)).toBe(false);
      await ex(page).getByRole('button', { name: 'Advance 1 s' }).waitFor({ timeout: 60_000 });
      await pause(page);
      for (let i = 0; i < 30 && (await now(page)) < at; i++) await advance(page, 1);
      expect(await shownAnswers(page)).toEqual(shown);
      expect((await shownTimeline(page)).slice(0, events.length)).toEqual(events);
      expect(problems).toEqual([]);
    });
  });

  test('the CAP tour: the answers the core gives for the tour, at the seed shown', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=cluster&seed=21');
      await ex(page).getByRole('button', { name: 'Play the CAP tour', exact: true }).click();
      await pause(page);
      for (let i = 0; i < 20 && (await now(page)) < 14_000; i++) await advance(page, 1);
      const seed = Number((await page.getByTestId('cluster-seed').textContent())?.trim());
      expect(seed).toBe(21);
      const link = await linkOf(page);
      expect(parseScript(link.searchParams.get('script') ?? '')).toEqual(partitionTour);
      const run = replay(seed, link.searchParams.get('script') ?? '', await now(page));
      const expected = expectedAnswers(run);
      expect(await shownAnswers(page)).toEqual(expected);
      expect(await shownTimeline(page)).toEqual(timeline(run.world).map(formatEvent).slice(-400));
      // The tour shows what it is meant to: a strong write refused on n1's side, siblings for k2.
      expect(expected.find((a) => a.request === 'put k1=red (strong) via n1')?.status).toBe('503');
      expect(expected.find((a) => a.request === 'get k2 (eventual) via n2')?.text).toMatch(/^2 siblings/);
      expect(problems).toEqual([]);
    });
  });

  test('a bad link: a clear message, and the run starts without the bad part', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=cluster&seed=7&script=1000:crash:n9');
      expect((await page.getByTestId('cluster-problem').textContent())?.trim()).toMatch(/^The link's script was ignored: there is no node n9/);
      expect((await page.getByTestId('cluster-seed').textContent())?.trim()).toBe('7');
      expect((await linkOf(page)).searchParams.get('script')).toBeNull();
      await page.goto(site.server.url + PAGE + '?example=cluster&seed=x&script=oops');
      await page.getByTestId('cluster-problem').waitFor({ timeout: 60_000 });
      const text = (await page.getByTestId('cluster-problem').textContent()) ?? '';
      expect(text).toMatch(/seed "x" is not a whole number, so seed \d+ was picked/);
      expect(text).toMatch(/script was ignored: script item 1 "oops"/);
      expect(problems).toEqual([]);
    });
  });

  test.each(PAGES)('%s stays within the JS budget until the example starts; Start loads it', async (path) => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      const { scripts } = watchLoads(page);
      const before = await expectLightUntilStart(page, site, path, scripts, /ClusterExample/);
      const js = (await sizesOf(scripts.slice(0, before))).reduce((a, b) => a + b.bytes, 0);

      await startExample(page, 'cluster', page.getByTestId('cluster-drawing'));
      const loaded = await sizesOf(scripts.slice(before));
      expect(loaded.some((s) => /ClusterExample/.test(s.url)), `chunks loaded on Start: ${loaded.map((s) => s.url).join(', ')}`).toBe(true);
      const started = loaded.reduce((a, b) => a + b.bytes, 0);
      console.log(`${path}: ${js} bytes of JS before Start; Start loads ${started} bytes (${loaded.map((s) => `${s.url} ${s.bytes}`).join(', ')})`);
      expect((await page.getByTestId('cluster-seed').textContent())?.trim()).toMatch(/^\d+$/);
      expect(problems).toEqual([]);
    });
  });

  test.each<Appearance>(['light', 'dark'])('axe finds no serious or critical issue with the example started (%s)', async (appearance) => {
    await withPage(site, { appearance }, async (page) => {
      await openRun(page, '?example=cluster&seed=7');
      await pause(page);
      await advance(page, 3);
      await ex(page).getByRole('button', { name: 'n1 on side B', exact: true }).click();
      await ex(page).getByRole('button', { name: 'Cut n2 n3 n4 n5 | n1', exact: true }).click();
      await ex(page).getByRole('button', { name: 'Crash n5', exact: true }).click();
      await advance(page, 3);
      await write(page, 'strong', 'n1', 'red');
      await write(page, 'eventual', 'n1', 'left');
      await ex(page).getByLabel('Value', { exact: true }).fill('not a value!');
      await ex(page).getByRole('button', { name: 'Write', exact: true }).click();
      await advance(page, 2);
      await page.locator('[data-live-example="cluster"] details summary').click();
      expect(await seriousViolations(page)).toEqual([]);
    });
  });

  test('the keyboard alone: Pause, pick side B, cut, and the status line speaks', async () => {
    await withPage(site, {}, async (page) => {
      await openRun(page, '?example=cluster&seed=7');
      await focusTitle(page, 'cluster');
      await tabTo(page, 'Pause', 10);
      await page.keyboard.press('Enter');
      await ex(page).getByRole('button', { name: 'Play', exact: true }).waitFor();
      await tabTo(page, 'n2 on side B', 20);
      await page.keyboard.press('Space');
      expect(await ex(page).getByRole('button', { name: 'n2 on side B', exact: true }).getAttribute('aria-pressed')).toBe('true');
      const status = page.getByTestId('cluster-status');
      expect(await status.getAttribute('aria-live')).toBe('polite');
      expect((await status.textContent())?.trim()).toBe('Side B of the next cut: n2.');
      expect(await tabTo(page, (t) => t.startsWith('Cut n1'), 10)).toBe('Cut n1 n3 n4 n5 | n2');
      await page.keyboard.press('Enter');
      await expect.poll(() => status.textContent()).toMatch(/partition: n1 n3 n4 n5 \| n2/);
      expect(await ex(page).getByRole('button', { name: 'Heal', exact: true }).isEnabled()).toBe(true);
    });
  });

  test('fits a 375 px phone without sideways scrolling', async () => {
    await withPage(site, PHONE, async (page) => {
      await openRun(page, '?example=cluster&seed=21');
      await ex(page).getByRole('button', { name: 'Play the CAP tour', exact: true }).click();
      await pause(page);
      for (let i = 0; i < 20 && (await now(page)) < 14_000; i++) await advance(page, 1);
      await ex(page).getByRole('button', { name: 'Read at every node', exact: true }).click();
      await advance(page, 1);
      await page.locator('[data-live-example="cluster"] details summary').click();
      await expectNoSidewaysScroll(page);
      const drawing = await page.getByTestId('cluster-drawing').boundingBox();
      expect(drawing!.width).toBeLessThanOrEqual(375);
    });
  });

  test('messages glide between nodes, and stand still under prefers-reduced-motion', async () => {
    await withPage(site, {}, async (page) => {
      await openRun(page, '?example=cluster&seed=7');
      expect(await page.locator('[data-motion="glide"]').count()).toBe(1);
      // Leaders first (before the first election no message flies), then slow motion.
      await pause(page);
      await advance(page, 2);
      await ex(page).getByLabel('Speed').selectOption('0.1');
      await ex(page).getByRole('button', { name: 'Play', exact: true }).click();
      const positions = (): Promise<[string, string][]> =>
        page.$$eval('[data-testid="cluster-drawing"] [data-message]', (els) =>
          els.map((el) => [el.getAttribute('data-message') ?? '', `${el.getAttribute('cx')},${el.getAttribute('cy')}`] as [string, string]),
        );
      await expectGlideThenStill(page, positions, 150);
    });
  });
});
