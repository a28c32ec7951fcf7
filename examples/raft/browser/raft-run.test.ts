// The live Raft example's plain parts (raft-run.ts), in Node: the link's script (written, read back, refused
// with a reason), a run driven live equals the same seed + script replayed from the link, what the
// "what just happened" lines say, and the Figure 8 replay (a link to step K shows what stepping to K shows).
import { describe, expect, test } from 'vitest';
import {
  act, createReplay, createRun, currentCaption, encodeScript, linkToRun, nextStep, nodeViews, parseScript, runTo, settingsFromQuery,
  type Action,
} from './raft-run.ts';

const leaderOf = (run: ReturnType<typeof createRun>) => nodeViews(run.world).filter((n) => n.role === 'leader').sort((a, b) => b.term - a.term)[0];

describe('the link', () => {
  test('a script is written and read back unchanged', () => {
    const script: Action[] = [
      { at: 0, do: 'timeout', node: 'n2' },
      { at: 120, do: 'crash', node: 'n3' },
      { at: 120, do: 'put', key: 'x', value: 'hello-1' },
      { at: 400, do: 'partition', groups: [['n1', 'n2'], ['n3', 'n4', 'n5']] },
      { at: 900, do: 'heal' },
      { at: 950, do: 'restart', node: 'n3' },
      { at: 990, do: 'get', key: 'z' },
    ];
    const text = encodeScript(script);
    expect(text).toBe('0:timeout:n2,120:crash:n3,120:put:x:hello-1,400:partition:n1.n2/n3.n4.n5,900:heal,950:restart:n3,990:get:z');
    expect(parseScript(text)).toEqual(script);
    const href = linkToRun('/consensus/08-raft-leader-election', { seed: 42, script });
    expect(href).toBe(`/consensus/08-raft-leader-election?example=raft&seed=42&script=${text}`);
    const q = new URLSearchParams(href.split('?')[1]);
    expect(settingsFromQuery(q, () => 1)).toEqual({ seed: 42, script, scenario: 'free', step: 0 });
    expect(linkToRun('/p', { scenario: 'figure8', step: 3 })).toBe('/p?example=raft&scenario=figure8&step=3');
  });

  test.each([
    ['5:crash:n9', /item 1 "5:crash:n9" names no node "n9"/],
    ['5:crash:n1,3:heal', /item 2 "3:heal" is at tick 3, before the item before it \(5\)/],
    ['x:heal', /does not start with a tick/],
    ['5:put:x:no spaces', /not 1-16 letters/],
    ['5:put:w:v', /names no key "w"/],
    ['5:partition:n1.n2', /at least two groups/],
    ['5:partition:n1/n1.n2', /puts a node in two groups/],
    ['5:explode:n1', /is not crash, restart, timeout, partition, heal, put or get/],
  ])('a bad script item is refused with its reason: %s', (text, why) => {
    expect(() => parseScript(text)).toThrow(why);
  });

  test('a bad seed, scenario, step or script is dropped and said in one sentence', () => {
    const s = settingsFromQuery(new URLSearchParams('seed=x&scenario=fig9&step=-1&script=1:crash:n7'), () => 77);
    expect(s.seed).toBe(77);
    expect(s.scenario).toBe('free');
    expect(s.script).toEqual([]);
    expect(s.problem).toMatch(/^The link's seed "x" is not a whole number, so seed 77 was picked; scenario "fig9" is neither figure8 nor figure8e/);
    expect(s.problem).toMatch(/step "-1" is not a whole number/);
    expect(s.problem).toMatch(/script was ignored: script item 1 "1:crash:n7" names no node "n7"/);
  });
});

describe('a free run', () => {
  test('played live (a put, the leader crashed) and replayed from its link: the same world, the same lines', () => {
    const live = createRun(7);
    runTo(live, 600);
    const first = leaderOf(live)!;
    expect(first).toBeDefined();
    act(live, { do: 'put', key: 'x', value: 'hi' });
    runTo(live, 900);
    act(live, { do: 'crash', node: first.id });
    runTo(live, 2500);
    const second = leaderOf(live)!;
    expect(second.id).not.toBe(first.id);
    expect(second.term).toBeGreaterThan(first.term);

    const again = createRun(7, parseScript(encodeScript(live.script)));
    runTo(again, 2500);
    expect(JSON.stringify(again.world)).toBe(JSON.stringify(live.world));
    expect(again.happenings).toEqual(live.happenings);
    // Another seed is another run: the check above can fail.
    const other = createRun(8, live.script);
    runTo(other, 2500);
    expect(JSON.stringify(other.world)).not.toBe(JSON.stringify(live.world));

    const kinds = live.happenings.map((h) => h.kind);
    expect(kinds).toContain('election');
    expect(kinds).toContain('leader');
    expect(kinds).toContain('crash');
    const put = live.happenings.find((h) => h.kind === 'commit' && h.text.includes('put x=hi'));
    expect(put?.text).toMatch(/^entry \d+ \(put x=hi, term \d+\) is committed by n\d: a majority stores it$/);
    expect(live.happenings.find((h) => h.kind === 'answer')?.text).toMatch(/^your put x=hi is answered by n\d: done$/);
    // The put is committed on a majority: at least three nodes hold it at a committed index.
    const holders = nodeViews(live.world).filter((n) => n.log.some((e) => e.committed && e.command === 'put x=hi'));
    expect(holders.length).toBeGreaterThanOrEqual(3);
  });

  test("a follower down while more than a snapshot's worth of entries commit gets the leader's snapshot, said in a line", () => {
    const puts = Array.from({ length: 12 }, (_, i) => `${400 + i * 60}:put:${['x', 'y', 'z'][i % 3]}:v${i}`);
    const run = createRun(7, parseScript(['300:crash:n3', ...puts, '1300:restart:n3'].join(',')));
    runTo(run, 2500);
    const leader = leaderOf(run)!;
    const lines = run.happenings.filter((h) => h.kind === 'snapshot').map((h) => h.text);
    expect(lines).toEqual([`n3 installs ${leader.id}'s snapshot up to index 10: it lagged behind entries the leader no longer keeps (§7)`]);
    const n3 = nodeViews(run.world).find((n) => n.id === 'n3')!;
    expect(n3.snapshotIndex).toBe(10);
    expect(n3.commitIndex).toBe(leader.commitIndex);
  });

  test('acting in the middle of a replayed link drops the rest of its script', () => {
    const run = createRun(3, parseScript('100:crash:n1,2000:crash:n2'));
    runTo(run, 500);
    act(run, { do: 'heal' });
    expect(encodeScript(run.script)).toBe('100:crash:n1,500:heal');
  });
});

describe('Figure 8', () => {
  test.each(['figure8', 'figure8e'] as const)('%s: every step runs; a link to step K shows what stepping to K shows', (scenario) => {
    const r = createReplay(scenario);
    expect(currentCaption(r).label).toBe('not started');
    while (r.done < r.steps.length) {
      const before = r.run.world.now;
      nextStep(r);
      expect(r.frames[0]!.now).toBe(before);
      expect(r.frames.at(-1)!.now).toBe(r.run.world.now);
      expect(currentCaption(r).caption).toBe(r.steps[r.done - 1]!.caption);
    }
    const quick = createReplay(scenario, r.steps.length);
    expect(quick.done).toBe(r.steps.length);
    expect(JSON.stringify(quick.frames.at(-1))).toBe(JSON.stringify(r.frames.at(-1)));
    expect(quick.run.happenings).toEqual(r.run.happenings);
  });

  test('ending (d): the term-2 entry at index 2 was on a majority in (c), never committed, and is gone at the end', () => {
    const r = createReplay('figure8');
    const c = r.steps.findIndex((s) => s.label === '(c)');
    while (r.done <= c) nextStep(r);
    const at2 = r.frames.at(-1)!.nodes.map((n) => n.log.find((e) => e.index === 2));
    expect(at2.filter((e) => e?.term === 2)).toHaveLength(3);
    expect(at2.some((e) => e?.committed)).toBe(false);
    while (r.done < r.steps.length) nextStep(r);
    const end = r.frames.at(-1)!.nodes;
    for (const n of end) expect(n.log.find((e) => e.index === 2)).toMatchObject({ term: 3, committed: true });
  });
});
