// The Figure 8 scenario fails against a core that commits by counting copies alone (the rule §5.4.2 forbids):
// this file swaps the core's commit rule for the naive one and replays (a)-(d). The leader of term 4 then
// commits the term-2 entry in (c), S5 overwrites it in (d), and the invariant checker reports a committed entry
// that changed. (Only the call in ready() is swapped — enough, since every step ends with advance() → ready().)
import { describe, expect, it, vi } from 'vitest';
import type { RaftNode } from '../../examples/raft/core/types.ts';

vi.mock('../../examples/raft/core/replication.ts', async (original) => {
  const real = await original<typeof import('../../examples/raft/core/replication.ts')>();
  const { lastIndex } = await import('../../examples/raft/core/log.ts');
  return {
    ...real,
    /** Committed once a majority holds it, whatever its term: the bug Figure 8 shows. */
    maybeCommit(node: RaftNode): void {
      if (node.role !== 'leader') return;
      const peers = node.config.members.filter((id) => id !== node.config.id);
      const matched = [lastIndex(node), ...peers.map((id) => node.progress[id]!.matchIndex)].sort((a, b) => b - a);
      const held = matched[Math.floor(node.config.members.length / 2)]!;
      if (held > node.commitIndex) node.commitIndex = held;
    },
  };
});

const { runFigure8 } = await import('../../examples/raft/sim/figure8.ts');
const { RaftViolation } = await import('../../examples/raft/sim/world.ts');

describe('Figure 8 against a core that commits by counting', () => {
  it('the term-2 entry is committed in (c) and overwritten in (d): the checker reports it', () => {
    let caught: unknown;
    try {
      runFigure8('d');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RaftViolation);
    const v = caught as InstanceType<typeof RaftViolation>;
    expect(v.invariant).toBe('committed prefixes agree');
    expect(v.message).toMatch(/applied term 3 no-op at index 2, where term 2 no-op was committed/);
  });
});
