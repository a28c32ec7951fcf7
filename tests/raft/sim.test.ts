// The Raft simulator (examples/raft/sim): a leader is elected, crash/restart and partitions do what they say,
// clients get answers, the same seed gives the same run.
import { describe, expect, it } from 'vitest';
import { addClients, crash, createWorld, heal, leaderOf, partition, restart, runTicks, runUntil, view } from '../../examples/raft/sim/world.ts';

describe('the Raft simulator', () => {
  it('elects one leader and serves clients', () => {
    const world = createWorld({ seed: 1 });
    addClients(world, 3);
    runTicks(world, 2_000);
    const leader = leaderOf(world);
    expect(leader).not.toBeNull();
    expect(view(world).filter((n) => n.status?.role === 'leader')).toHaveLength(1);
    const answered = world.history.filter((h) => h.return !== null);
    expect(answered.length).toBeGreaterThan(20);
  });

  it('elects a new leader after the leader crashes, and the restarted node catches up', () => {
    const world = createWorld({ seed: 2 });
    addClients(world, 2);
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    const old = leaderOf(world)!;
    crash(world, old);
    expect(runUntil(world, (w) => leaderOf(w) !== null && leaderOf(w) !== old, 2_000)).toBe(true);
    restart(world, old);
    runTicks(world, 1_000);
    const commit = world.nodes[leaderOf(world)!]!.service!.raft.commitIndex;
    expect(world.nodes[old]!.service!.raft.lastApplied).toBeGreaterThan(commit - 10);
  });

  it('a partitioned minority cannot elect a leader; the majority can', () => {
    const world = createWorld({ seed: 3 });
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    partition(world, [['n1', 'n2'], ['n3', 'n4', 'n5']]);
    runTicks(world, 3_000);
    const leaders = view(world).filter((n) => n.status?.role === 'leader').map((n) => n.id);
    expect(leaders.some((id) => ['n3', 'n4', 'n5'].includes(id))).toBe(true);
    expect(leaders.some((id) => ['n1', 'n2'].includes(id))).toBe(false);
    heal(world);
    runTicks(world, 1_000);
    expect(leaderOf(world)).not.toBeNull();
  });

  it('replays exactly: the same seed gives the same trace', () => {
    const trace = (seed: number) => {
      const world = createWorld({ seed, network: { loss: 0.1, dup: 0.1 } });
      addClients(world, 3);
      runTicks(world, 1_500);
      crash(world, 'n2');
      runTicks(world, 500);
      restart(world, 'n2');
      runTicks(world, 1_000);
      return JSON.stringify({ events: world.events, history: world.history, messages: world.messages, stats: world.stats });
    };
    expect(trace(9)).toBe(trace(9));
    expect(trace(9)).not.toBe(trace(10));
  });
});
