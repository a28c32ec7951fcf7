// Exercise 05 (quorum read with read repair) must tell right from wrong.
//  - The reference it grades against is versions.ts alone; here it is held against hand-worked answers, and
//    the history player is shown to be deterministic and to produce the cases the checks are about.
//  - The solution passes and prints its measurements; the starter fails every check.
//  - Each wrong read in fixtures/05-*.ts fails the check aimed at its mistake, with the hint that names it,
//    and passes the checks its mistake does not touch.
import { describe, expect, it } from 'vitest';
import { exercise } from '../../examples/exercises/05-quorum-read/index.ts';
import { playHistory, referenceRead } from '../../examples/exercises/05-quorum-read/history.ts';
import { quorumRead as solution } from '../../examples/exercises/05-quorum-read/solution.ts';
import { empty, put, reconcile, remove } from '../../examples/store/core/versions.ts';
import { block, failed, passed, runSolution, runStarter, runWrong, summary } from './run-checker.ts';

const EX = '05-quorum-read';
const [FEW, SIBLINGS, TOMBSTONES, REPAIR, HISTORIES, MEASURE] = exercise.checks.map((c) => c.name) as [string, string, string, string, string, string];

describe('the reference read (versions.ts) and the history player', () => {
  const x = put(empty<string>(), 'x', {}, 'n1', 1);
  const y = put(empty<string>(), 'y', {}, 'n2', 2);
  const gone = remove(x, x.context, 'n2', 3);

  it('keeps concurrent siblings, hides a delete that saw its value, and repairs only the copies behind the merge', () => {
    const both = referenceRead([{ node: 'n1', stored: x }, { node: 'n2', stored: y }, { node: 'n3', stored: 'timeout' }], 2);
    expect(both).toMatchObject({ ok: true, values: ['x', 'y'], context: { n1: 1, n2: 1 } });
    expect(both.ok && both.repairs.map((p) => p.node)).toEqual(['n1', 'n2']);
    const deleted = referenceRead([{ node: 'n1', stored: x }, { node: 'n2', stored: gone }, { node: 'n3', stored: reconcile(x, gone) }], 3);
    expect(deleted).toMatchObject({ ok: true, values: [], context: { n1: 1, n2: 1 } });
    expect(deleted.ok && deleted.repairs.map((p) => p.node)).toEqual(['n1']);
    expect(referenceRead([{ node: 'n1', stored: x }, { node: 'n2', stored: 'timeout' }, { node: 'n3', stored: 'timeout' }], 2).ok).toBe(false);
    expect(referenceRead([{ node: 'n1', stored: null }, { node: 'n2', stored: 'timeout' }, { node: 'n3', stored: 'timeout' }], 1)).toEqual({ ok: true, values: [], context: {}, repairs: [] });
  });

  it('the solution answers like the reference on every read of 50 histories, and the histories are deterministic', () => {
    const options = { seed: 0, steps: 60, w: 1, r: 'random' as const, firstR: false };
    let reads = 0;
    let siblings = 0;
    let tombstones = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const stats = playHistory(solution, { ...options, seed }, {
        onRead(e, got) {
          reads += 1;
          expect(got).toEqual(referenceRead(e.answers, e.r));
          if (got.ok && got.values.length > 1) siblings += 1;
          if (e.answers.some((a) => typeof a.stored === 'object' && a.stored?.siblings.some((s) => s.deleted))) tombstones += 1;
        },
      });
      expect(stats).toEqual(playHistory(solution, { ...options, seed }));
    }
    // The histories do produce what the checks are about.
    expect(reads).toBeGreaterThan(500);
    expect(siblings).toBeGreaterThan(50);
    expect(tombstones).toBeGreaterThan(50);
  });
});

describe('the reference solution and the starter', () => {
  it('the solution passes and prints the replay and the stale-read measurement', async () => {
    const r = await runSolution(EX);
    expect(block(r.stdout, HISTORIES)).toMatch(/200 histories: [\d,]+ reads compared \([\d,]+ refused for want of R answers\), [\d,]+ repairs sent/);
    const m = block(r.stdout, MEASURE)!;
    expect(m).toMatch(/R = 1, W = 1: [\d,]+ of [\d,]+ reads stale \([1-9][\d.]*%\); refused: 0 of [\d,]+ reads, 0 of [\d,]+ writes/);
    expect(m).toMatch(/R = 2, W = 2: 0 of [\d,]+ reads stale \(0\.0%\); refused: [1-9][\d,]* of [\d,]+ reads, [1-9][\d,]* of [\d,]+ writes/);
  });

  it('--seed N replays one history', async () => {
    const r = await runSolution(EX, '--seed', '9');
    expect(block(r.stdout, HISTORIES)).toContain('1 history: ');
  });

  it('the untouched starter fails every check, pointing at TODO 1 and its own line', async () => {
    await runStarter(EX, 'quorum-read.ts', 6, FEW);
  });
});

describe('exercise 05 fails the wrong reads, each where it goes wrong', () => {
  it('picks the largest vector: a sibling is lost, the hint says to reconcile; R + W > N then has stale reads', async () => {
    const r = await runWrong(EX, '05-largest-vector.ts');
    passed(r.stdout, FEW);
    const b = failed(r.stdout, SIBLINGS);
    expect(b).toContain('Expected: values ["x","y"], context {"n1":1,"n2":1}.');
    expect(b).toContain('hint: Your read returned one replica\'s copy as it is, and lost ["y"].');
    expect(failed(r.stdout, HISTORIES)).toMatch(/replay this run alone: npm run check -- 05-quorum-read --file tests\/exercises\/fixtures\/05-largest-vector.ts --seed \d+/);
    expect(failed(r.stdout, MEASURE)).toMatch(/yet your read: [1-9][\d,]* of [\d,]+ reads stale/);
  });

  it('waits for all N: refused with two of three answers and r = 2; the hint says not to wait for all', async () => {
    const r = await runWrong(EX, '05-waits-for-all.ts');
    const b = failed(r.stdout, FEW);
    expect(b).toContain('Yours:    refused ("a replica did not answer") (the read was refused, but enough replicas answered)');
    expect(b).toContain('hint: 2 replicas answered and the read needs r = 2, but yours refused it: do not wait for all N.');
    expect(failed(r.stdout, MEASURE)).toContain('yet your read refused');
  });

  it('no repair: the answers are right (three checks pass), the repair check and the replay name the replica left behind', async () => {
    const r = await runWrong(EX, '05-no-repair.ts');
    for (const name of [FEW, SIBLINGS, TOMBSTONES, MEASURE]) passed(r.stdout, name);
    expect(failed(r.stdout, REPAIR)).toContain('hint: No repairs at all, but n2 answered with an older copy');
    failed(r.stdout, HISTORIES);
    expect(summary(r.stdout)).toEqual({ passed: 4, failed: 2 });
  });

  it('repairs everyone: the hint names the replicas whose copy was already equal', async () => {
    const r = await runWrong(EX, '05-repairs-everyone.ts');
    expect(failed(r.stdout, REPAIR)).toContain('hint: n1 and n3 answered with a copy EQUAL to the merge');
    expect(summary(r.stdout)).toEqual({ passed: 4, failed: 2 });
  });

  it('ignores tombstones: the deleted value comes back; the hint says a deleted copy is not "no copy"', async () => {
    const r = await runWrong(EX, '05-ignores-tombstones.ts');
    passed(r.stdout, SIBLINGS);
    const b = failed(r.stdout, TOMBSTONES);
    expect(b).toContain('Yours:    values ["x"], context {"n1":1}');
    expect(b).toContain('hint: ["x"] came back although a replica deleted it after seeing it');
    expect(failed(r.stdout, HISTORIES)).toContain('A deleted copy is not "no copy"');
  });
});
