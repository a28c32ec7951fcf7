// The live Raft cluster on the Session 8–10 pages (examples/raft/browser/RaftExample.vue), in the BUILT site:
// a leader appears; crashing it brings a new leader with a higher term; a put is committed on a majority; every
// node's state and every "what just happened" line is what the real core computes in Node for the same seed
// and actions (run here with the simulator); the link reproduces the run; the Figure 8 replay reaches its last
// step with the term-2 entry never committed; a bad link gets a clear message; the pages stay light until the
// example starts; axe (light and dark), the keyboard, reduced motion and a 375 px phone are fine with it running.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { createReplay, createRun, nodeViews, parseScript, runTo, type NodeView } from '../../examples/raft/browser/raft-run.ts';
import {
  expectGlideThenStill, expectLightUntilStart, expectNoSidewaysScroll, focusTitle, pauseRun, PHONE, siteForThisFile, sizesOf, startExample, tabTo, watchLoads, withPage,
} from './example-checks.ts';
import { pagesWhoseHtmlMatches, seriousViolations, watchProblems, type Appearance } from './harness.ts';

/** Every built page that carries the example; the Session 9 page (Figure 8) is the one the tests drive if built. */
const PAGES = pagesWhoseHtmlMatches(/data-live-example="raft"/);
const PAGE = PAGES.find((p) => p.includes('09-log-replication')) ?? PAGES[0] ?? '/consensus/09-log-replication';

const site = siteForThisFile();
const ex = (page: Page) => page.locator('[data-live-example="raft"]');
const button = (page: Page, name: string) => ex(page).getByRole('button', { name, exact: true });

async function openRun(page: Page, query: string, path = PAGE): Promise<void> {
  await page.goto(site.server.url + path + query);
  await button(page, 'Advance 100 ms').waitFor({ timeout: 60_000 });
}
const pause = (page: Page): Promise<void> => pauseRun(ex(page));
/** Presses `name` if it is enabled, in one go inside the page: a Figure 8 step that ends by itself meanwhile
 *  (its button turns disabled, or Pause turns Play) cannot leave the test waiting for a button that is gone. */
async function pressIfEnabled(page: Page, name: string): Promise<void> {
  await ex(page).locator('button').evaluateAll((buttons, label) => {
    for (const b of buttons as HTMLButtonElement[]) if (b.textContent?.trim() === label && !b.disabled) b.click();
  }, name);
}
async function advance(page: Page, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await button(page, 'Advance 100 ms').click();
}
async function now(page: Page): Promise<number> {
  return Number.parseInt((await page.getByTestId('raft-now').textContent()) ?? '', 10);
}
async function linkOf(page: Page): Promise<URL> {
  return new URL((await ex(page).getByRole('link', { name: 'Link to this run' }).getAttribute('href')) ?? '', site.server.url);
}

/** The "Each node now" table, a line per node. */
const shownStates = (page: Page): Promise<string[]> =>
  page.$$eval('[data-testid="raft-states"] tbody tr', (rows) => rows.map((r) => Array.from(r.children).map((c) => c.textContent?.trim()).join(' | ')));
const expectedStates = (nodes: NodeView[]): string[] =>
  nodes.map((n) => [n.id, n.up ? n.role : 'down', n.term, n.votedFor ?? '—', n.lastIndex, n.up ? n.commitIndex : '—', n.timerLeft === null ? '—' : `${n.timerLeft} ms`].join(' | '));
/** The "what just happened" lines. */
const shownHappened = (page: Page): Promise<string[]> =>
  page.$$eval('[data-testid="raft-happened"] li', (els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));
/** The leader as the run line shows it: id and term, or null. */
async function shownLeader(page: Page): Promise<{ id: string; term: number } | null> {
  const m = /^(n\d) \(term (\d+)\)$/.exec(((await page.getByTestId('raft-leader').textContent()) ?? '').trim());
  return m ? { id: m[1]!, term: Number(m[2]) } : null;
}
/** Every log entry drawn in the logs table. */
const shownEntries = (page: Page) =>
  page.$$eval('[data-testid="raft-logs"] tbody tr', (rows) =>
    rows.flatMap((r) =>
      Array.from(r.querySelectorAll('.entry')).map((e) => ({
        node: r.getAttribute('data-node'),
        index: Number(e.getAttribute('data-index')),
        term: Number(e.getAttribute('data-term')),
        committed: e.getAttribute('data-committed') === 'yes',
        title: e.getAttribute('title') ?? '',
      })),
    ),
  );

/** The same run in Node: the seed and script the link carries, up to tick `until`. */
function replay(link: URL, until: number) {
  const run = createRun(Number(link.searchParams.get('seed')), parseScript(link.searchParams.get('script') ?? ''));
  runTo(run, until);
  return run;
}

async function untilTrue(page: Page, done: () => Promise<boolean>, most: number): Promise<void> {
  for (let i = 0; i < most && !(await done()); i++) await advance(page, 1);
  expect(await done()).toBe(true);
}

describe('the live Raft cluster', () => {
  test('a page carries the example', () => {
    expect(PAGES.length).toBeGreaterThan(0);
  });

  test('a leader appears; a put is committed on a majority; crash the leader: a new one with a higher term; all as the core computes; the link replays it', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=raft&seed=7');
      expect((await page.getByTestId('raft-seed').textContent())?.trim()).toBe('7');
      await pause(page);
      await untilTrue(page, async () => (await shownLeader(page)) !== null, 20);
      const first = (await shownLeader(page))!;
      expect(await page.locator(`[data-testid="raft-node"][data-node="${first.id}"]`).getAttribute('data-role')).toBe('leader');

      // A put: the client finds the leader; answered once committed.
      await ex(page).getByLabel('Key', { exact: true }).selectOption('x');
      await ex(page).getByLabel('Value', { exact: true }).fill('hello');
      await button(page, 'Put to the leader').click();
      await untilTrue(page, async () => (await page.locator('[data-testid="raft-requests"] li[data-done="yes"]').count()) === 1, 20);
      // The leader answers once a majority stores the entry; each follower marks it committed when the next
      // AppendEntries tells it the leader's commit index (a heartbeat later at most). When the page was paused
      // depends on how fast the machine opened it, so wait for that, in simulated time.
      const committedPut = async () => (await shownEntries(page)).filter((e) => e.committed && e.title.includes('put x=hello'));
      await untilTrue(page, async () => (await committedPut()).length >= 3, 5);
      const holders = await committedPut();
      expect(holders.length).toBeGreaterThanOrEqual(3); // a majority of five
      expect(new Set(holders.map((e) => e.index)).size).toBe(1);

      // Crash the leader: another node is elected, in a higher term.
      await button(page, `Crash ${first.id}`).click();
      expect(await page.locator(`[data-testid="raft-node"][data-node="${first.id}"]`).getAttribute('data-role')).toBe('down');
      await untilTrue(page, async () => ((await shownLeader(page))?.id ?? first.id) !== first.id, 30);
      const second = (await shownLeader(page))!;
      expect(second.term).toBeGreaterThan(first.term);
      const lines = await shownHappened(page);
      expect(lines.some((l) => l.includes(`${first.id} is leader of term ${first.term}`))).toBe(true);
      expect(lines.some((l) => l.includes(`${first.id} crashes`))).toBe(true);
      expect(lines.some((l) => l.includes(`${second.id} is leader of term ${second.term}`))).toBe(true);
      expect(lines.some((l) => /entry \d+ \(put x=hello, term \d+\) is committed by n\d: a majority stores it/.test(l))).toBe(true);

      // The same seed and script in Node: every node's state and every line, to the millisecond.
      const link = await linkOf(page);
      expect(link.pathname).toBe(PAGE);
      expect(link.searchParams.get('example')).toBe('raft');
      expect(link.searchParams.get('seed')).toBe('7');
      expect(link.searchParams.get('script')).toMatch(new RegExp(`^\\d+:put:x:hello,\\d+:crash:${first.id}$`));
      const at = await now(page);
      const expected = replay(link, at);
      expect(await shownStates(page)).toEqual(expectedStates(nodeViews(expected.world)));
      expect(lines).toEqual(expected.happenings.map((h) => `${h.at} ms ${h.text}`));

      // Following the link replays the run: the same lines up to the same moment, the same state after it.
      await ex(page).getByRole('link', { name: 'Link to this run' }).click();
      await page.waitForURL((url) => url.search.includes('crash'));
      await button(page, 'Advance 100 ms').waitFor({ timeout: 60_000 });
      await pause(page);
      for (let i = 0; i < 40 && (await now(page)) < at; i++) await advance(page, 1);
      const later = await now(page);
      expect(later).toBeGreaterThanOrEqual(at);
      const again = replay(link, later);
      expect(await shownStates(page)).toEqual(expectedStates(nodeViews(again.world)));
      const replayed = await shownHappened(page);
      expect(replayed.slice(0, lines.length)).toEqual(lines);
      expect(await shownLeader(page)).toEqual(second);
      expect(problems).toEqual([]);
    });
  });

  test('the Figure 8 replay: step by step with captions; in (c) the term-2 entry is on a majority, uncommitted; at the last step it was never committed', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=raft&scenario=figure8');
      const panel = page.getByTestId('raft-figure8');
      const steps = Number(await panel.getAttribute('data-steps'));
      const expected = createReplay('figure8');
      expect(steps).toBe(expected.steps.length);
      expect(await panel.getAttribute('data-step')).toBe('0');
      let sawC = false;
      for (let k = 1; k <= steps; k++) {
        await button(page, 'Next step').click();
        await pressIfEnabled(page, "Show the step's end");
        await expect.poll(() => button(page, "Show the step's end").isDisabled()).toBe(true);
        await button(page, 'Play').waitFor(); // the step's end pauses the clock
        expect(await panel.getAttribute('data-step')).toBe(String(k));
        const step = expected.steps[k - 1]!;
        expect(await panel.getAttribute('data-label')).toBe(step.label);
        expect((await page.getByTestId('raft-caption').textContent())?.trim()).toBe(step.caption);
        if (step.label === '(c)') {
          sawC = true;
          const at2 = (await shownEntries(page)).filter((e) => e.index === 2);
          expect(at2.filter((e) => e.term === 2).map((e) => e.node).sort()).toHaveLength(3);
          expect(at2.filter((e) => e.committed)).toEqual([]);
        }
      }
      expect(sawC).toBe(true);
      expect(await button(page, 'Next step').isDisabled()).toBe(true);
      // The last step: index 2 holds the term-3 entry everywhere, committed; no term-2 entry is committed anywhere.
      const entries = await shownEntries(page);
      expect(entries.filter((e) => e.index === 2 && e.term === 2 && e.committed)).toEqual([]);
      expect(entries.filter((e) => e.index === 2).map((e) => [e.node, e.term, e.committed])).toEqual(
        ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => [n, 3, true]),
      );
      // Its link opens the replay at the same step, showing the same.
      const link = await linkOf(page);
      expect(link.searchParams.get('scenario')).toBe('figure8');
      expect(link.searchParams.get('step')).toBe(String(steps));
      const states = await shownStates(page);
      await page.goto(link.toString());
      await page.getByTestId('raft-figure8').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('raft-figure8').getAttribute('data-step')).toBe(String(steps));
      expect(await shownStates(page)).toEqual(states);
      expect(problems).toEqual([]);
    });
  });

  test('a bad link: a clear message, and the run starts without the bad part', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=raft&seed=x&script=100:crash:n9');
      const text = (await page.getByTestId('raft-problem').textContent()) ?? '';
      expect(text).toMatch(/seed "x" is not a whole number, so seed \d+ was picked/);
      expect(text).toMatch(/script was ignored: script item 1 "100:crash:n9" names no node "n9"/);
      expect((await linkOf(page)).searchParams.get('script')).toBeNull();
      expect(problems).toEqual([]);
    });
  });

  test.each(PAGES)('%s stays within the JS budget until the example starts; Start loads it', async (path) => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      const { scripts } = watchLoads(page);
      const before = await expectLightUntilStart(page, site, path, scripts, /RaftExample/);
      const js = (await sizesOf(scripts.slice(0, before))).reduce((a, b) => a + b.bytes, 0);
      await startExample(page, 'raft', page.getByTestId('raft-drawing'));
      const loaded = await sizesOf(scripts.slice(before));
      expect(loaded.some((s) => /RaftExample/.test(s.url)), `chunks loaded on Start: ${loaded.map((s) => s.url).join(', ')}`).toBe(true);
      console.log(`${path}: ${js} bytes of JS before Start; Start loads ${loaded.reduce((a, b) => a + b.bytes, 0)} bytes (${loaded.map((s) => `${s.url} ${s.bytes}`).join(', ')})`);
      expect((await page.getByTestId('raft-seed').textContent())?.trim()).toMatch(/^\d+$/);
      expect(problems).toEqual([]);
    });
  });

  test.each<Appearance>(['light', 'dark'])('axe finds no serious or critical issue with the example started (%s)', async (appearance) => {
    await withPage(site, { appearance }, async (page) => {
      await openRun(page, '?example=raft&seed=7&script=300:put:x:hello,400:partition:n1.n2/n3.n4.n5,500:crash:n4');
      await pause(page);
      await advance(page, 8);
      await ex(page).getByLabel('Value', { exact: true }).fill('not a value!');
      await button(page, 'Put to the leader').click(); // refused: the form says why
      expect(await seriousViolations(page)).toEqual([]);
      await button(page, 'Replay Figure 8').click();
      await button(page, 'Next step').click();
      await pressIfEnabled(page, 'Pause');
      await button(page, 'Play').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
    });
  });

  test('the keyboard alone: Pause, crash a node, pick side B, and the status line speaks', async () => {
    await withPage(site, {}, async (page) => {
      await openRun(page, '?example=raft&seed=7');
      await focusTitle(page, 'raft');
      await tabTo(page, 'Pause', 10);
      await page.keyboard.press('Enter');
      await button(page, 'Play').waitFor();
      const status = page.getByTestId('raft-status');
      expect(await status.getAttribute('aria-live')).toBe('polite');
      await tabTo(page, 'Crash n3', 20);
      await page.keyboard.press('Enter');
      await expect.poll(() => status.textContent()).toMatch(/n3 crashed/);
      expect(await page.locator('[data-testid="raft-node"][data-node="n3"]').getAttribute('data-role')).toBe('down');
      await tabTo(page, 'n2 on side B', 20);
      await page.keyboard.press('Space');
      expect(await button(page, 'n2 on side B').getAttribute('aria-pressed')).toBe('true');
      expect((await status.textContent())?.trim()).toBe('Side B of the next cut: n2.');
      expect(await tabTo(page, (t) => t.startsWith('Cut n1'), 10)).toBe('Cut n1 n3 n4 n5 | n2');
      await page.keyboard.press('Enter');
      await expect.poll(() => status.textContent()).toMatch(/The network is cut: n1 n3 n4 n5 \| n2/);
      expect(await page.locator('[data-testid="raft-drawing"] [data-cut="yes"]').count()).toBe(4);
      expect(await button(page, 'Heal').isEnabled()).toBe(true);
    });
  });

  test('fits a 375 px phone without sideways scrolling, in a free run and in the Figure 8 replay', async () => {
    await withPage(site, PHONE, async (page) => {
      await openRun(page, '?example=raft&seed=7&script=300:put:x:hello,350:put:y:world,400:put:z:again');
      await pause(page);
      await advance(page, 10);
      await expectNoSidewaysScroll(page);
      expect((await page.getByTestId('raft-drawing').boundingBox())!.width).toBeLessThanOrEqual(375);
      await openRun(page, '?example=raft&scenario=figure8&step=4');
      await expectNoSidewaysScroll(page);
    });
  });

  test('messages glide along the links, and stand still under prefers-reduced-motion', async () => {
    await withPage(site, {}, async (page) => {
      await openRun(page, '?example=raft&seed=7');
      expect(await page.locator('[data-motion="glide"]').count()).toBe(1);
      await pause(page);
      await advance(page, 5); // a leader first: its heartbeats keep messages on the wire
      await ex(page).getByLabel('Speed').selectOption('0.02');
      await button(page, 'Play').click();
      const positions = (): Promise<[string, string][]> =>
        page.$$eval('[data-testid="raft-drawing"] [data-message]', (els) =>
          els.map((el) => [el.getAttribute('data-message') ?? '', el.getAttribute('transform') ?? ''] as [string, string]),
        );
      await expectGlideThenStill(page, positions, 150);
    });
  });
});
