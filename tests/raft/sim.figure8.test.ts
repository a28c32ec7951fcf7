// The Raft paper's Figure 8 (§5.4.2) on the real core (examples/raft/sim/figure8.ts): the entry of term 2 reaches
// a majority through an old leader, is never reported committed, and is overwritten; in the other ending (e)
// it is committed together with an entry of the leader's own term, and then nobody can overwrite it.
import { describe, expect, it } from 'vitest';
import { termAt } from '../../examples/raft/core/raft.ts';
import { figure8Options, figure8Steps, frameOf, runFigure8, termTwoCommitted } from '../../examples/raft/sim/figure8.ts';
import { createWorld, RaftViolation, runTicks, type World } from '../../examples/raft/sim/world.ts';

const termAtTwo = (w: World, id: string) => {
  const raft = w.nodes[id]!.service?.raft;
  return raft === undefined ? undefined : termAt(raft, 2);
};

describe('Figure 8: an entry of an earlier term is not committed by counting', () => {
  it('(a)-(d): the term-2 entry reaches a majority, is never committed anywhere, and is overwritten', () => {
    const committedWithTermTwo: string[] = [];
    const { world, frames } = runFigure8('d', (w) => committedWithTermTwo.push(...termTwoCommitted(w).map((id) => `${id}@${w.now}`)));
    expect(frames.map((f) => f.label)).toEqual(['start', '(a)', '(b)', '(c)', '(d)', '(d, after)']);
    for (const f of frames) expect(f.caption.length).toBeGreaterThan(40);
    // (c): S1, S2, S3 hold index 2 of term 2 — a majority — and S1, the leader of term 4, knows it; it does not commit.
    const c = frames[3]!;
    const holders = c.servers.filter((s) => s.log.some((e) => e.index === 2 && e.term === 2)).map((s) => s.id);
    expect(holders).toEqual(['n1', 'n2', 'n3']);
    const s1 = c.servers[0]!;
    expect([s1.role, s1.term]).toEqual(['leader', 4]);
    expect(s1.commitIndex).toBeLessThan(2);
    // (d): S5 of term 5 overwrote it everywhere; the committed entry at index 2 is S5's of term 3.
    expect(committedWithTermTwo).toEqual([]);
    expect(world.ids.map((id) => termAtTwo(world, id))).toEqual([3, 3, 3, 3, 3]);
    expect(world.checks.committed[2]!.term).toBe(3);
    expect(world.checks.leaders[5]).toBe('n5');
  });

  it('the leader of (c) knew that a majority held index 2 when it declined to commit it', () => {
    const world = createWorld(figure8Options('d'));
    const steps = figure8Steps('d');
    for (const step of steps.slice(0, 4)) step.act(world);
    const s1 = world.nodes['n1']!.service!.raft;
    const held = ['n2', 'n3'].filter((id) => s1.progress[id]!.matchIndex >= 2);
    expect(held).toEqual(['n2', 'n3']); // with S1 itself: 3 of 5
    expect(s1.commitIndex).toBeLessThan(2);
    expect(frameOf(world, steps[3]!).label).toBe('(c)');
  });

  it('(e): once S1\'s term-4 entry is on a majority, index 2 is committed with it, and S5 cannot win', () => {
    const { world, frames } = runFigure8('e');
    expect(frames.map((f) => f.label)).toEqual(['start', '(a)', '(b)', '(c)', '(e)', '(e, after)']);
    expect(frames[4]!.servers[0]!.commitIndex).toBeGreaterThanOrEqual(3);
    expect(world.checks.committed[2]!.term).toBe(2);
    expect(world.checks.leaders[5]).toBeUndefined(); // S5 stood for term 5 and lost
    expect(world.ids.filter((id) => world.nodes[id]!.up).map((id) => termAtTwo(world, id))).toEqual([2, 2, 2, 2]);
  });

  it('a leader that committed the term-2 entry by counting would lose a committed entry: the checker says so', () => {
    const world = createWorld(figure8Options('d'));
    const steps = figure8Steps('d');
    for (const step of steps.slice(0, 4)) step.act(world);
    world.nodes['n1']!.service!.raft.commitIndex = 2; // what counting copies alone would do in (c)
    runTicks(world, 1); // S1 applies index 2 (term 2): 3 of 5 synced disks hold it, so the checker records it
    expect(world.checks.committed[2]!.term).toBe(2);
    let caught: unknown;
    try {
      steps[4]!.act(world);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RaftViolation);
    expect((caught as RaftViolation).invariant).toBe('committed prefixes agree');
    expect((caught as RaftViolation).replay).toBe('npm run sim:raft -- --scenario figure8');
  });
});
