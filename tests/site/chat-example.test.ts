// The live chat on the Session 6 and 7 pages (examples/chat/browser/ChatExample.vue), in the BUILT site: what
// each client shows is what the chat's cores compute in Node for the same seed and script (run here with the
// simulator); killing a server moves its clients to the other with no gap and no duplicate; with the sequencer
// off the clients of the two servers disagree, highlighted; the link reproduces the run; a bad link gets a
// clear message; the pages stay light until the example starts; axe, the keyboard, reduced motion and a 375 px
// phone are fine with it running.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { createWorld, formatEvent, orders, parseScript, runUntil, timeline, view, type World } from '../../examples/chat/sim/world.ts';
import {
  expectGlideThenStill, expectLightUntilStart, expectNoSidewaysScroll, focusTitle, pauseRun, PHONE, siteForThisFile, sizesOf, startExample, tabTo, watchLoads, withPage,
} from './example-checks.ts';
import { pagesWhoseHtmlMatches, seriousViolations, watchProblems, type Appearance } from './harness.ts';

const PAGE = '/real-time/07-chat-system';
/** Every built page that carries the example (Session 7 does; Session 6 once its page has the tag). */
const PAGES = pagesWhoseHtmlMatches(/data-live-example="chat"/);

const site = siteForThisFile();
const ex = (page: Page) => page.locator('[data-live-example="chat"]');

async function openRun(page: Page, query: string, path = PAGE): Promise<void> {
  await page.goto(site.server.url + path + query);
  await ex(page).getByRole('button', { name: 'Advance 1 s' }).waitFor({ timeout: 60_000 });
}
const pause = (page: Page): Promise<void> => pauseRun(ex(page));
async function advance(page: Page, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) await ex(page).getByRole('button', { name: 'Advance 1 s' }).click();
}
async function now(page: Page): Promise<number> {
  return Math.round(Number.parseFloat((await page.getByTestId('chat-now').textContent()) ?? '') * 1000);
}
async function linkOf(page: Page): Promise<URL> {
  return new URL((await ex(page).getByRole('link', { name: 'Link to this run' }).getAttribute('href')) ?? '', site.server.url);
}

/** What each client's screen shows: its state and its lines (keys, seq, conflict mark). */
const screens = (page: Page) =>
  page.$$eval('[data-testid="chat-client"]', (els) =>
    els.map((el) => ({
      client: el.getAttribute('data-client'),
      state: el.getAttribute('data-state'),
      keys: Array.from(el.querySelectorAll('[data-testid="chat-lines"] li')).map((li) => li.getAttribute('data-key')),
      conflicts: Array.from(el.querySelectorAll('[data-testid="chat-lines"] li[data-conflict="yes"]')).length,
    })),
  );

/** The same run in Node: the seed, mode and script the link carries, up to `until`. */
function replay(link: URL, until: number): World {
  const world = createWorld({ seed: Number(link.searchParams.get('seed')), sequencer: link.searchParams.get('sequencer') !== 'off', script: parseScript(link.searchParams.get('script') ?? '') });
  runUntil(world, until);
  return world;
}
const expectedScreens = (world: World, room = 'lobby') =>
  view(world).clients.filter((c) => c.rooms[room]).map((c) => ({ client: c.id, state: c.state, keys: c.rooms[room]!.lines.slice(-12).map((l) => l.key) }));

describe('the live chat', () => {
  test('the page carries the example', () => {
    expect(PAGES).toContain(PAGE);
  });

  test('send from a client, kill s1: its clients resume on s2 with no gap, no duplicate; every screen is what the cores compute; the link replays it', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=chat&seed=7');
      expect((await page.getByTestId('chat-seed').textContent())?.trim()).toBe('7');
      await pause(page);
      await advance(page, 2);
      await ex(page).getByLabel('From', { exact: true }).selectOption('c3');
      await ex(page).getByLabel('Message', { exact: true }).fill('<img src=x onerror=alert(1)>');
      await ex(page).getByRole('button', { name: 'Send', exact: true }).click();
      await ex(page).getByRole('button', { name: 'Kill s1', exact: true }).click();
      await advance(page, 4);
      const shown = await screens(page);
      expect(shown.map((s) => [s.client, s.state])).toEqual([['c1', 'caught up'], ['c2', 'caught up'], ['c3', 'caught up'], ['c4', 'caught up']]);
      // The learner's message is text on every screen, and ran nothing.
      expect(await page.locator('[data-testid="chat-lines"] img').count()).toBe(0);
      expect(await page.locator('[data-testid="chat-lines"] li', { hasText: '<img src=x onerror=alert(1)>' }).count()).toBe(4);
      expect((await page.getByTestId('chat-agreement').getAttribute('data-agree'))).toBe('yes');
      // Seqs on each screen: consecutive, no duplicate.
      for (const s of await page.$$eval('[data-testid="chat-lines"]', (ls) => ls.map((l) => Array.from(l.querySelectorAll('li')).map((li) => Number(li.getAttribute('data-seq')))))) {
        expect(s).toEqual(s.map((_, i) => s[0]! + i));
      }

      const link = await linkOf(page);
      expect(link.pathname).toBe(PAGE);
      expect(link.searchParams.get('example')).toBe('chat');
      expect(link.searchParams.get('seed')).toBe('7');
      expect(link.searchParams.get('sequencer')).toBeNull();
      expect(link.searchParams.get('script')).toMatch(/^(\d+):send:c3:lobby:[^,]*,\1:kill:s1$/);
      const at = await now(page);
      const world = replay(link, at);
      expect(shown.map(({ client, state, keys }) => ({ client, state, keys }))).toEqual(expectedScreens(world));
      expect(await page.$$eval('[data-testid="chat-timeline"] li', (els) => els.map((e) => e.textContent))).toEqual(timeline(world).map(formatEvent));

      // Following the link replays the run.
      await ex(page).getByRole('link', { name: 'Link to this run' }).click();
      await page.waitForURL((url) => url.search.includes('kill'));
      await ex(page).getByRole('button', { name: 'Advance 1 s' }).waitFor({ timeout: 60_000 });
      await pause(page);
      for (let i = 0; i < 20 && (await now(page)) < at; i++) await advance(page, 1);
      const again = replay(link, await now(page));
      expect((await screens(page)).map(({ client, state, keys }) => ({ client, state, keys }))).toEqual(expectedScreens(again));
      expect(problems).toEqual([]);
    });
  });

  test('the sequencer off: each server stamps by its own clock, and the clients of s1 and s2 show the lobby in different orders, highlighted', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=chat&seed=1');
      await ex(page).getByTestId('chat-sequencer').click();
      await pause(page);
      expect((await page.getByTestId('chat-mode').textContent())).toContain('off');
      expect(await ex(page).getByTestId('chat-sequencer').getAttribute('aria-pressed')).toBe('false');
      for (let i = 0; i < 20 && (await now(page)) < 20_000; i++) await advance(page, 1);
      const link = await linkOf(page);
      expect(link.searchParams.get('sequencer')).toBe('off');
      const world = replay(link, await now(page));
      const lobby = orders(world).find((r) => r.room === 'lobby')!;
      expect(lobby.agree).toBe(false);
      expect(await page.getByTestId('chat-agreement').getAttribute('data-agree')).toBe('no');
      expect((await page.getByTestId('chat-agreement').textContent())).toMatch(/disagree: \d+ pairs? of messages in opposite orders/);
      const shown = await screens(page);
      expect(shown.map(({ client, state, keys }) => ({ client, state, keys }))).toEqual(expectedScreens(world));
      expect(shown.some((s) => s.conflicts > 0)).toBe(true);
      // Switch it back on: the same seed, every screen the same order.
      await ex(page).getByTestId('chat-sequencer').click();
      await pause(page);
      for (let i = 0; i < 20 && (await now(page)) < 20_000; i++) await advance(page, 1);
      expect(await page.getByTestId('chat-agreement').getAttribute('data-agree')).toBe('yes');
      expect(await page.locator('[data-testid="chat-lines"] li[data-conflict="yes"]').count()).toBe(0);
      expect(problems).toEqual([]);
    });
  });

  test('a bad link: a clear message, and the run starts without the bad part', async () => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      await openRun(page, '?example=chat&seed=x&sequencer=maybe&script=1000:kill:s9');
      const text = (await page.getByTestId('chat-problem').textContent()) ?? '';
      expect(text).toMatch(/seed "x" is not a whole number, so seed \d+ was picked/);
      expect(text).toMatch(/sequencer "maybe" is neither on nor off/);
      expect(text).toMatch(/script was ignored: script item 1 "1000:kill:s9" names no server "s9"/);
      expect((await linkOf(page)).searchParams.get('script')).toBeNull();
      expect(problems).toEqual([]);
    });
  });

  test.each(PAGES)('%s stays within the JS budget until the example starts; Start loads it', async (path) => {
    await withPage(site, {}, async (page) => {
      const problems = watchProblems(page);
      const { scripts } = watchLoads(page);
      const before = await expectLightUntilStart(page, site, path, scripts, /ChatExample/);
      await startExample(page, 'chat', page.getByTestId('chat-drawing'));
      const loaded = await sizesOf(scripts.slice(before));
      expect(loaded.some((s) => /ChatExample/.test(s.url)), `chunks loaded on Start: ${loaded.map((s) => s.url).join(', ')}`).toBe(true);
      console.log(`${path}: Start loads ${loaded.reduce((a, b) => a + b.bytes, 0)} bytes (${loaded.map((s) => `${s.url} ${s.bytes}`).join(', ')})`);
      expect((await page.getByTestId('chat-seed').textContent())?.trim()).toMatch(/^\d+$/);
      expect(problems).toEqual([]);
    });
  });

  test.each<Appearance>(['light', 'dark'])('axe finds no serious or critical issue with the example started (%s)', async (appearance) => {
    await withPage(site, { appearance }, async (page) => {
      await openRun(page, '?example=chat&seed=1&sequencer=off&script=3000:cut:c1,3000:delay:s1-s2:800-2000,3000:drop:c2:30,4000:kill:s2');
      await pause(page);
      await advance(page, 6);
      await ex(page).getByRole('button', { name: 'Send', exact: true }).click(); // empty: the form says why
      expect(await seriousViolations(page)).toEqual([]);
    });
  });

  test('the keyboard alone: Pause, kill s1, and the status line speaks', async () => {
    await withPage(site, {}, async (page) => {
      await openRun(page, '?example=chat&seed=7');
      await focusTitle(page, 'chat');
      await tabTo(page, 'Pause', 10);
      await page.keyboard.press('Enter');
      await ex(page).getByRole('button', { name: 'Play', exact: true }).waitFor();
      await tabTo(page, 'Kill s1', 20);
      await page.keyboard.press('Enter');
      const status = page.getByTestId('chat-status');
      expect(await status.getAttribute('aria-live')).toBe('polite');
      await expect.poll(() => status.textContent()).toMatch(/s1 is killed: its clients' sockets close/);
      expect(await ex(page).getByRole('button', { name: 'Restart s1', exact: true }).isVisible()).toBe(true);
    });
  });

  test('fits a 375 px phone without sideways scrolling', async () => {
    await withPage(site, PHONE, async (page) => {
      await openRun(page, '?example=chat&seed=1&sequencer=off');
      await pause(page);
      await advance(page, 10);
      await expectNoSidewaysScroll(page);
      expect((await page.getByTestId('chat-drawing').boundingBox())!.width).toBeLessThanOrEqual(375);
    });
  });

  test('frames glide along the links, and stand still under prefers-reduced-motion', async () => {
    await withPage(site, {}, async (page) => {
      // Slow links for ada and cy, so that frames are always on their way while the test watches.
      await openRun(page, '?example=chat&seed=7&script=0:delay:c1:800-2000,0:delay:c3:800-2000');
      expect(await page.locator('[data-motion="glide"]').count()).toBe(1);
      // Connected first (ada's and cy's slow handshakes take up to 4 s), then slow motion.
      await pause(page);
      await advance(page, 4);
      await ex(page).getByLabel('Speed').selectOption('0.1');
      await ex(page).getByRole('button', { name: 'Play', exact: true }).click();
      const positions = (): Promise<[string, string][]> =>
        page.$$eval('[data-testid="chat-drawing"] [data-frame]', (els) =>
          els.map((el) => [el.getAttribute('data-frame') ?? '', `${el.getAttribute('cx')},${el.getAttribute('cy')}`] as [string, string]),
        );
      await expectGlideThenStill(page, positions, 150);
    });
  });
});
