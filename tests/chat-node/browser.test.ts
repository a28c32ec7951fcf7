// The browser chat client (examples/chat/web) in Chromium against real processes: the course bus and two chat
// servers. Two people on two servers chat; presence follows joins, leaves and closed tabs; a message that
// looks like HTML stays text; and when one server is killed, its tab reconnects to the other and catches up
// with no gap and no duplicate. Every wait is for a condition (generous timeouts), never for a time.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, seriousViolations } from '../site/harness.ts';
import { makeTempDir, REPO_ROOT, stopAll, waitFor } from '../helpers/processes.ts';
import { startChatStack, type ChatServerProc, type ChatStack } from './chat-processes.ts';

const WAIT = { timeout: 30_000 };

let stack: ChatStack;
/** A second stack whose bus keeps only 5 messages per room, to see a gap. */
let small: ChatStack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [stack, small] = await Promise.all([startChatStack(2), startChatStack(2, {}, { HISTORY_LIMIT: '5' })]);
  browser = await launchBrowser();
}, 120_000);

const runners: ChildProcess[] = [];

afterAll(async () => {
  for (const child of runners) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); // its processes follow (IPC)
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await stopAll();
});

interface Tab {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors and dialogs (alert, confirm, prompt) on the page. */
  problems: string[];
}

/** A tab that loaded the page from `server` and knows both servers, its own first (or the page at `url` as is). */
async function openTab(
  server: ChatServerProc | string,
  opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; bypassCSP?: boolean } = {},
): Promise<Tab> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1000, height: 800 },
    colorScheme: opts.colorScheme ?? 'light',
    bypassCSP: opts.bypassCSP ?? false, // only for axe, which is injected as an inline script
  });
  contexts.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  if (typeof server === 'string') {
    await page.goto(server);
    return { page, context, problems };
  }
  const home = [stack, small].find((st) => st.servers.includes(server))!;
  const others = home.servers.filter((s) => s !== server);
  const servers = [server, ...others].map((s) => `127.0.0.1:${s.port}`).join(',');
  await page.goto(`${server.url}/?servers=${encodeURIComponent(servers)}`);
  return { page, context, problems };
}

async function login(tab: Tab, user: string, rooms: string): Promise<void> {
  await tab.page.getByLabel('Your name').fill(user);
  await tab.page.getByLabel('Rooms (separated by commas)').fill(rooms);
  await tab.page.getByRole('button', { name: 'Join', exact: true }).click();
  await waitForState(tab, 'caught-up');
}

function waitForState(tab: Tab, state: string, server?: string): Promise<unknown> {
  return tab.page.waitForFunction(
    ([want, on]) => {
      const status = document.getElementById('status');
      return status?.dataset.state === want && (on === null || status.dataset.server === on);
    },
    [state, server ?? null] as const,
    WAIT,
  );
}

async function say(tab: Tab, room: string, text: string): Promise<void> {
  await tab.page.getByLabel(`Message to #${room}`).fill(text);
  await tab.page.getByLabel(`Message to #${room}`).press('Enter');
}

function messages(tab: Tab, room: string): Promise<{ seq: number; from: string; text: string }[]> {
  return tab.page.$$eval(`section.room[data-room="${room}"] ol.messages li[data-seq]`, (items) =>
    items.map((li) => ({
      seq: Number((li as HTMLElement).dataset.seq),
      from: li.querySelector('.from')?.textContent ?? '',
      text: li.querySelector('.text')?.textContent ?? '',
    })),
  );
}

function waitForText(tab: Tab, room: string, text: string): Promise<unknown> {
  return tab.page.waitForFunction(
    ([r, t]) => Array.from(document.querySelectorAll(`section.room[data-room="${r}"] ol.messages li .text`)).some((el) => el.textContent === t),
    [room, text] as const,
    WAIT,
  );
}

function waitForCount(tab: Tab, room: string, count: number): Promise<unknown> {
  return tab.page.waitForFunction(
    ([r, n]) => document.querySelectorAll(`section.room[data-room="${r}"] ol.messages li[data-seq]`).length >= n,
    [room, count] as const,
    WAIT,
  );
}

function waitForOnline(tab: Tab, room: string, expected: string[]): Promise<unknown> {
  return tab.page.waitForFunction(
    ([r, want]) => {
      const names = Array.from(document.querySelectorAll(`section.room[data-room="${r}"] ul.online li`)).map((li) => li.textContent);
      return JSON.stringify(names) === JSON.stringify(want);
    },
    [room, [...expected].sort()] as const,
    WAIT,
  );
}

/** seq 1, 2, 3, ... in order, once each: no gap, no duplicate. */
function expectGapFree(list: { seq: number }[]): void {
  expect(list.map((m) => m.seq)).toEqual(list.map((_, i) => i + 1));
}

describe('the browser chat client against two chat servers and the course bus', () => {
  it('two tabs on two servers chat, and see each other online', async () => {
    const ada = await openTab(stack.server('s1'));
    const bob = await openTab(stack.server('s2'));
    await login(ada, 'ada', 'general');
    await login(bob, 'bob', 'general');
    await expect.poll(() => ada.page.locator('#status').getAttribute('data-server'), WAIT).toBe('s1');
    await expect.poll(() => bob.page.locator('#status').getAttribute('data-server'), WAIT).toBe('s2');
    await waitForOnline(ada, 'general', ['ada', 'bob']);
    await waitForOnline(bob, 'general', ['ada', 'bob']);

    await say(ada, 'general', 'hello from s1');
    await waitForText(bob, 'general', 'hello from s1');
    await say(bob, 'general', 'hello back from s2');
    await waitForText(ada, 'general', 'hello back from s2');

    const seen = await messages(ada, 'general');
    expect(seen).toEqual([
      { seq: 1, from: 'ada', text: 'hello from s1' },
      { seq: 2, from: 'bob', text: 'hello back from s2' },
    ]);
    expect(await messages(bob, 'general')).toEqual(seen);
    expect([...ada.problems, ...bob.problems]).toEqual([]);
  });

  it('presence follows a join, a leave and a closed tab', async () => {
    const ada = await openTab(stack.server('s1'));
    await login(ada, 'ada', 'presence');
    const cy = await openTab(stack.server('s2'));
    await login(cy, 'cy', 'presence,elsewhere');
    await waitForOnline(ada, 'presence', ['ada', 'cy']);
    await waitForOnline(cy, 'presence', ['ada', 'cy']);

    await cy.page.getByRole('button', { name: 'Leave presence' }).click();
    await waitForOnline(ada, 'presence', ['ada']);
    expect(await cy.page.locator('section.room[data-room="presence"]').count()).toBe(0);

    const dee = await openTab(stack.server('s2'));
    await login(dee, 'dee', 'presence');
    await waitForOnline(ada, 'presence', ['ada', 'dee']);
    await dee.context.close();
    await waitForOnline(ada, 'presence', ['ada']);
  });

  it('shows a message that looks like HTML as text and runs nothing', async () => {
    const ada = await openTab(stack.server('s1'));
    const bob = await openTab(stack.server('s2'));
    await login(ada, 'ada', 'xss');
    await login(bob, '<b>bob</b>', 'xss');
    const attack = '<img src=x onerror=alert(1)>';
    await say(ada, 'xss', attack);
    await waitForCount(bob, 'xss', 1);
    await waitForOnline(ada, 'xss', ['<b>bob</b>', 'ada']);
    // One more round trip, so anything the first message could have started had every chance to run.
    await say(bob, 'xss', 'after');
    await waitForText(ada, 'xss', 'after');
    await waitForCount(bob, 'xss', 2);
    for (const tab of [ada, bob]) {
      expect(await tab.page.locator('img').count()).toBe(0);
      expect(await tab.page.locator('main b').count()).toBe(0);
      expect(tab.problems).toEqual([]);
    }
    const seen = await messages(ada, 'xss');
    expect(seen.map((m) => [m.from, m.text])).toEqual([
      ['ada', attack],
      ['<b>bob</b>', 'after'],
    ]);
    expect(await messages(bob, 'xss')).toEqual(seen);
  });

  it('fits a 375 px phone, in light and dark, with no serious accessibility problem', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const tab = await openTab(stack.server('s1'), { viewport: { width: 375, height: 740 }, colorScheme, bypassCSP: true });
      expect(await seriousViolations(tab.page)).toEqual([]); // the form
      await login(tab, 'a-rather-long-name-for-a-phone', 'phone');
      await say(tab, 'phone', 'a long message without spaces: ' + 'x'.repeat(300));
      await tab.page.waitForSelector('section.room[data-room="phone"] li[data-seq]', WAIT);
      expect(await tab.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      expect(await seriousViolations(tab.page)).toEqual([]); // the chat
      await tab.context.close();
    }
  });

  it('a burst faster than the rate limit is sent again until every message arrives, once each', async () => {
    const ada = await openTab(stack.server('s1'));
    const bob = await openTab(stack.server('s2'));
    await login(ada, 'ada', 'burst');
    await login(bob, 'bob', 'burst');
    // 80 sends in one go: twice the server's burst of 40, so some are refused as rate-limited at first.
    await ada.page.evaluate(() => {
      const input = document.getElementById('text-burst') as HTMLInputElement;
      const form = input.form!;
      for (let i = 1; i <= 80; i++) {
        input.value = `burst ${i}`;
        form.requestSubmit();
      }
    });
    await waitForCount(bob, 'burst', 80);
    await waitForCount(ada, 'burst', 80);
    const seen = await messages(bob, 'burst');
    expectGapFree(seen);
    // Each once (a refill during the burst may let a later one through before an earlier refused one).
    const byNumber = (t: string) => Number(t.split(' ')[1]);
    expect(seen.map((m) => m.text).sort((a, b) => byNumber(a) - byNumber(b))).toEqual(Array.from({ length: 80 }, (_, i) => `burst ${i + 1}`));
    expect(await messages(ada, 'burst')).toEqual(seen);
    await expect.poll(() => ada.page.locator('section.room[data-room="burst"] p.pending').textContent(), WAIT).toBe('');
  });

  // Last: it kills s2.
  it('a tab whose server is killed reconnects to the other and catches up with no gap and no duplicate', async () => {
    const ada = await openTab(stack.server('s1'));
    const bob = await openTab(stack.server('s2'));
    await login(ada, 'ada', 'failover');
    await login(bob, 'bob', 'failover');
    for (let i = 1; i <= 3; i++) await say(ada, 'failover', `before ${i}`);
    await waitForText(bob, 'failover', 'before 3');

    // Record every state bob's status line goes through (a reconnect can be quicker than any poll).
    await bob.page.evaluate(() => {
      const status = document.getElementById('status')!;
      const seen: string[] = [];
      (window as unknown as { seenStates: string[] }).seenStates = seen;
      new MutationObserver(() => seen.push(`${status.dataset.state}@${status.dataset.server}`)).observe(status, { attributes: true, attributeFilter: ['data-state', 'data-server'] });
    });

    await stack.server('s2').proc.kill('SIGKILL');
    // Bob types while his server is gone; ada keeps talking on s1.
    await say(bob, 'failover', 'bob while s2 is down');
    for (let i = 1; i <= 3; i++) await say(ada, 'failover', `during ${i}`);

    await waitForState(bob, 'caught-up', 's1');
    await waitForText(bob, 'failover', 'during 3');
    await waitForText(bob, 'failover', 'bob while s2 is down');
    await waitForText(ada, 'failover', 'bob while s2 is down');
    await say(ada, 'failover', 'after');
    await waitForText(bob, 'failover', 'after');
    await waitForOnline(ada, 'failover', ['ada', 'bob']);

    const states = await bob.page.evaluate(() => (window as unknown as { seenStates: string[] }).seenStates);
    expect(states.some((s) => s.startsWith('reconnecting@'))).toBe(true);
    expect(states.at(-1)).toBe('caught-up@s1');
    expect(await bob.page.locator('#status').textContent()).toBe('Caught up on s1.');

    const bobSaw = await messages(bob, 'failover');
    const adaSaw = await messages(ada, 'failover');
    expectGapFree(bobSaw);
    expect(bobSaw).toEqual(adaSaw);
    expect(bobSaw.map((m) => m.text).sort()).toEqual(['after', 'before 1', 'before 2', 'before 3', 'bob while s2 is down', 'during 1', 'during 2', 'during 3'].sort());
    expect(await bob.page.locator('section.room[data-room="failover"] li.notice').count()).toBe(0);
    expect(await bob.page.locator('section.room[data-room="failover"] p.pending').textContent()).toBe('');
    expect([...ada.problems, ...bob.problems]).toEqual([]);
  });
});

describe('the browser chat client when history no longer has what it missed', () => {
  it('says which messages are no longer kept, then shows the rest in order', async () => {
    const ada = await openTab(small.server('s1'));
    const bob = await openTab(small.server('s2'));
    await login(ada, 'ada', 'short');
    await login(bob, 'bob', 'short');
    for (let i = 1; i <= 3; i++) await say(ada, 'short', `early ${i}`);
    await waitForCount(bob, 'short', 3);

    // Freeze bob's server, so nothing reaches him, while ada says more than the bus keeps; then kill it.
    small.server('s2').proc.child.kill('SIGSTOP');
    for (let i = 1; i <= 10; i++) await say(ada, 'short', `late ${i}`);
    await waitForText(ada, 'short', 'late 10');
    await small.server('s2').proc.kill('SIGKILL');

    await waitForState(bob, 'caught-up', 's1');
    await waitForText(bob, 'short', 'late 10');
    const items = await bob.page.$$eval('section.room[data-room="short"] ol.messages li', (lis) =>
      lis.map((li) => (li.classList.contains('notice') ? `notice ${li.textContent}` : `${(li as HTMLElement).dataset.seq} ${li.querySelector('.text')?.textContent}`)),
    );
    expect(items).toEqual([
      '1 early 1',
      '2 early 2',
      '3 early 3',
      "notice Messages 4–8 are no longer kept: the room's history is bounded.",
      '9 late 6',
      '10 late 7',
      '11 late 8',
      '12 late 9',
      '13 late 10',
    ]);
    expect([...ada.problems, ...bob.problems]).toEqual([]);
  });
});

// The learner's way: `npm run example:chat` on moved ports (CHAT_BASE_PORT, as the runner advises when 7301 is
// taken) and the page opened at its plain URL, no ?servers=: the page learns the other server from its own.
describe('the browser chat client with npm run example:chat on other ports', () => {
  interface Runner {
    child: ChildProcess;
    out: () => string;
    exited: Promise<number | null>;
    type(line: string): void;
  }

  function runner(env: Record<string, string>): Runner {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/chat/node/run.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    runners.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, out: () => out, exited, type: (line) => child.stdin!.write(`${line}\n`) };
  }

  async function freeBase(): Promise<number> {
    const canListen = (port: number) =>
      new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
      });
    for (;;) {
      const base = 20_000 + Math.floor(Math.random() * 12_000);
      if ((await Promise.all([0, 1, 2].map((i) => canListen(base + i)))).every(Boolean)) return base;
    }
  }

  let base = 0;
  let dataDir = '';
  let run: Runner;

  beforeAll(async () => {
    base = await freeBase();
    dataDir = makeTempDir('chat-browser-run-');
    run = runner({ CHAT_BASE_PORT: String(base), DATA_DIR: dataDir });
    await waitFor('the runner says the chat is up', () => run.out().includes('Type help for the commands'), 60_000);
  }, 90_000);

  it('a tab on the moved s1 (no ?servers=) moves to s2 when s1 is killed, and catches up', async () => {
    const ada = await openTab(`http://localhost:${base + 1}/`);
    const bob = await openTab(`http://localhost:${base + 2}/`);
    await login(ada, 'ada', 'moved');
    await login(bob, 'bob', 'moved');
    await say(ada, 'moved', 'before');
    await waitForText(bob, 'moved', 'before');

    run.type('kill s1');
    await waitFor('s1 killed', () => /s1 \(pid \d+\) killed with SIGKILL/.test(run.out()));
    await say(ada, 'moved', 'ada while s1 is down');
    await say(bob, 'moved', 'bob while s1 is down');

    await waitForState(ada, 'caught-up', 's2');
    await waitForText(ada, 'moved', 'bob while s1 is down');
    await waitForText(bob, 'moved', 'ada while s1 is down');
    await waitForText(ada, 'moved', 'ada while s1 is down');
    const adaSaw = await messages(ada, 'moved');
    expectGapFree(adaSaw);
    expect(adaSaw).toEqual(await messages(bob, 'moved'));
    expect(adaSaw).toHaveLength(3);
    expect([...ada.problems, ...bob.problems]).toEqual([]);
    run.type('restart s1');
    await waitFor('s1 restarted', () => /s1 is pid \d+ now/.test(run.out()));
    await waitFor('s1 answers again', async () => (await fetch(`http://127.0.0.1:${base + 1}/health`).catch(() => null))?.status === 200);
  });

  it('a tab left open across a runner restart (history emptied) says so and shows the new run, not "caught up" on nothing', async () => {
    const ada = await openTab(`http://localhost:${base + 1}/`);
    await login(ada, 'ada', 'again');
    for (let i = 1; i <= 3; i++) await say(ada, 'again', `old ${i}`);
    await waitForCount(ada, 'again', 3);

    // Ctrl-C, and the same command again: a new run starts with an empty history.
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    run = runner({ CHAT_BASE_PORT: String(base), DATA_DIR: dataDir });
    await waitFor('the new run is up', () => run.out().includes('Type help for the commands'), 60_000);
    expect(run.out()).toContain('starting with an empty history');

    const bob = await openTab(`http://localhost:${base + 2}/`);
    await login(bob, 'bob', 'again');
    await say(bob, 'again', 'new 1');
    await waitForText(bob, 'again', 'new 1');

    await waitForText(ada, 'again', 'new 1');
    await waitForState(ada, 'caught-up');
    expect(await ada.page.locator('section.room[data-room="again"] li.notice').textContent()).toContain("This room's history started over");
    expect(await messages(ada, 'again')).toEqual([{ seq: 1, from: 'bob', text: 'new 1' }]);
    await say(ada, 'again', 'ada is back');
    await waitForText(bob, 'again', 'ada is back');
    expect(await messages(ada, 'again')).toEqual(await messages(bob, 'again'));
    expect([...ada.problems, ...bob.problems]).toEqual([]);
  });
});
