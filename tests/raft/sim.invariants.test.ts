// The invariant checker of the Raft simulator catches broken nodes. Each test makes one node misbehave by
// editing its plain-data state (a test double of a buggy core), shows that the same run without the edit is
// fine, and that with it the checker throws a RaftViolation naming the invariant and the replay command.
import { describe, expect, it } from 'vitest';
import { lastIndex } from '../../examples/raft/core/raft.ts';
import { crash, createWorld, leaderOf, partition, propose, RaftViolation, runTicks, runUntil, timeoutNow, type World } from '../../examples/raft/sim/world.ts';

const raft = (w: World, id: string) => w.nodes[id]!.service!.raft;

function violation(run: () => void): RaftViolation {
  try {
    run();
  } catch (err) {
    if (err instanceof RaftViolation) return err;
    throw err;
  }
  throw new Error('no violation was reported');
}

/**
 * n1 wins term 1 with the votes of n3, n4, n5 while n2 is cut off; then n1 is cut off before its no-op leaves.
 * Then n2 stands for term 1 too. `forget` makes n3..n5 forget their votes first: a node that votes twice.
 */
function twoCandidatesInOneTerm(forget: boolean, crashFirst: boolean): World {
  const world = createWorld({ seed: 21, electionTicks: [3_000, 4_000] });
  partition(world, [['n1', 'n3', 'n4', 'n5'], ['n2']]);
  timeoutNow(world, 'n1');
  runUntil(world, (w) => leaderOf(w) === 'n1', 500);
  partition(world, [['n1'], ['n2', 'n3', 'n4', 'n5']]);
  if (crashFirst) crash(world, 'n1'); // gone before n2 is elected: the two never lead at one moment
  if (forget) for (const id of ['n3', 'n4', 'n5']) raft(world, id).votedFor = null;
  timeoutNow(world, 'n2');
  runTicks(world, 300);
  return world;
}

describe('the invariant checker catches a broken node', () => {
  it('a node that votes twice in a term: two leaders of one term', () => {
    const fine = twoCandidatesInOneTerm(false, false);
    expect(fine.checks.leaders[1]).toBe('n1');
    expect(raft(fine, 'n2').role).not.toBe('leader'); // with honest voters n2 cannot win term 1
    const v = violation(() => twoCandidatesInOneTerm(true, false));
    expect(v.invariant).toBe('at most one leader per term');
    expect(v.message).toMatch(/n1 and n2 both led term 1/);
    expect(v.replay).toBe('npm run sim:raft -- --seed 21');
    expect(v.message).toContain('replay: npm run sim:raft -- --seed 21');
  });

  it('two leaders of one term are caught even when they never lead at the same moment', () => {
    const v = violation(() => twoCandidatesInOneTerm(true, true));
    expect(v.invariant).toBe('at most one leader per term');
  });

  it('a node that applies an entry twice (its lastApplied went back): applied in order', () => {
    const world = createWorld({ seed: 22, clients: 2 });
    runTicks(world, 1_000);
    const follower = world.ids.find((id) => id !== leaderOf(world))!;
    expect(raft(world, follower).lastApplied).toBeGreaterThan(3);
    raft(world, follower).lastApplied -= 2;
    const v = violation(() => runTicks(world, 200));
    expect(v.invariant).toBe('applied in order');
    expect(v.message).toContain(follower);
  });

  it('a leader that commits an entry only it holds: nothing applied that was not committed', () => {
    const world = createWorld({ seed: 23 });
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    runTicks(world, 100);
    const leader = leaderOf(world)!;
    partition(world, [[leader], world.ids.filter((id) => id !== leader)]);
    propose(world, leader, { op: 'put', key: 'x', value: 'alone' });
    runTicks(world, 10); // synced on the leader's disk only
    const fine = structuredClone(world);
    runTicks(fine, 100); // without the edit: never committed, nothing thrown
    expect(raft(fine, leader).commitIndex).toBeLessThan(lastIndex(raft(fine, leader)));
    raft(world, leader).commitIndex = lastIndex(raft(world, leader)); // counts itself as a majority
    const v = violation(() => runTicks(world, 5));
    expect(v.invariant).toBe('nothing applied that was not committed');
    expect(v.message).toMatch(/only 1 of 5 synced disks hold it/);
  });

  it('a follower whose log differs from the leader\'s at a committed index: committed prefixes agree', () => {
    const world = createWorld({ seed: 24, electionTicks: [3_000, 4_000] });
    timeoutNow(world, 'n1');
    runUntil(world, (w) => leaderOf(w) === 'n1' && w.ids.every((id) => raft(w, id).lastApplied >= 1), 1_000);
    const p = propose(world, 'n1', { op: 'put', key: 'x', value: 'right' });
    const index = (p as { index: number }).index;
    runUntil(world, (w) => raft(w, 'n5').log.some((e) => e.index === index) && raft(w, 'n1').lastApplied >= index, 500);
    const entry = raft(world, 'n5').log.find((e) => e.index === index)!;
    expect(raft(world, 'n5').lastApplied).toBeLessThan(index); // n5 has not applied it yet
    (entry.command as { value: string }).value = 'wrong'; // n5's copy only: messages are copies, nothing is shared
    expect(JSON.stringify(raft(world, 'n1').log)).not.toContain('wrong');
    const v = violation(() => runTicks(world, 200));
    expect(v.invariant).toBe('committed prefixes agree');
    expect(v.message).toMatch(/n5 applied .*wrong.* where .*right.* was committed/);
  });
});
