// The store's promises, checked on a finished (or running) simulation. Each check returns a list of problems,
// one sentence each; an empty list means the promise held. The tests assert them over many seeds, and
// `npm run sim:store` prints them in its summary. (Linearizability has its own checker, reused by Part IV:
// tests/helpers/linearizability.ts; these three are the issue's other promises.)
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { groupOf } from '../core/node.ts';
import { createRing } from '../core/ring.ts';
import type { HistoryOp, World } from './types.ts';

// #region split-brain
/**
 * Never two leaders acknowledging writes in one term: every strong write a node acknowledged is noted with
 * its group and term (world.acks); two different nodes in one (group, term) is split brain.
 */
export function splitBrain(world: Pick<World, 'acks'>): string[] {
  const leaders = new Map<string, string>();
  const problems: string[] = [];
  for (const ack of world.acks) {
    if (ack.op === 'get') continue;
    const slot = `${ack.group} term ${ack.term}`;
    const first = leaders.get(slot);
    if (first === undefined) leaders.set(slot, ack.node);
    else if (first !== ack.node) {
      problems.push(`${slot}: both ${first} and ${ack.node} acknowledged writes (${ack.node}: ${ack.op} ${ack.key} at ${ack.at} ms)`);
      leaders.set(slot, `${first}+${ack.node}`);
    }
  }
  return problems;
}
// #endregion split-brain

// #region lost-writes
/**
 * No acknowledged strong write lost: the last strong read of each key that got an answer (the run's final
 * reads) must show a value that some write could have left there. A write X could be the last one only if no
 * acknowledged write began after X ended (that one would have overwritten it): X's return is at or after the
 * call of the latest-starting acknowledged write, or X's outcome is unknown (it may take effect any time).
 * A refused write and a cas that did not swap wrote nothing. With no acknowledged write, absent is fine too.
 */
export function lostWrites(history: readonly HistoryOp[]): string[] {
  const problems: string[] = [];
  const strong = history.filter((h) => h.consistency === 'strong' && h.error === undefined);
  for (const key of [...new Set(strong.map((h) => h.key))].sort()) {
    const ops = strong.filter((h) => h.key === key);
    const reads = ops.filter((h) => h.op === 'get' && h.return !== null);
    const final = reads.reduce<HistoryOp | undefined>((a, b) => (a === undefined || b.return! > a.return! ? b : a), undefined);
    if (final === undefined) continue;
    const writes = ops.filter((h) => h.op !== 'get' && !(h.op === 'cas' && h.output === false) && h.call < final.return!);
    const acked = writes.filter((h) => h.return !== null && h.return < final.call); // finished before the read began
    if (acked.length === 0 && final.output === null) continue;
    const latestCall = Math.max(-1, ...acked.map((h) => h.call));
    const possible = writes.filter((h) => h.return === null || h.return >= latestCall);
    const shown = final.output ?? null;
    if (possible.some((h) => (h.op === 'delete' ? null : h.value) === shown)) continue;
    const last = acked.filter((h) => h.call === latestCall)[0];
    problems.push(
      `${key}: the final strong read at ${final.call} ms (${final.node}) saw ${shown === null ? 'absent' : JSON.stringify(shown)}, ` +
        `but the acknowledged ${last ? `${last.op} ${last.op === 'delete' ? '' : JSON.stringify(last.value)} [${last.call}, ${last.return}]` : 'writes'} ` +
        `or a later one should be there (possible: ${possible.map((h) => (h.op === 'delete' ? 'absent' : JSON.stringify(h.value))).join(', ') || 'none'})`,
    );
  }
  return problems;
}
// #endregion lost-writes

// #region convergence
/**
 * Eventual mode after heal and quiet time: every replica of every key holds the same stored version (the
 * same siblings and the same context). Every replica must be up to be compared.
 */
export function divergence(world: World): string[] {
  const problems: string[] = [];
  const ring = createRing(world.nodeNames, world.configBase.vnodes);
  const keys = new Set<string>();
  for (const node of Object.values(world.nodes)) for (const key of Object.keys(node.state?.store ?? {})) keys.add(key);
  for (const key of [...keys].sort()) {
    const { replicas } = groupOf(ring, key, world.configBase.replicas);
    const copies = replicas.map((n) => {
      const node = world.nodes[n]!;
      return node.state === null ? 'down' : JSON.stringify(node.state.store[key] ?? null);
    });
    if (copies.some((c) => c !== copies[0])) {
      problems.push(`${key}: its replicas ${replicas.join(', ')} differ: ${replicas.map((n, i) => `${n} ${copies[i]}`).join('; ')}`);
    }
  }
  return problems;
}
// #endregion convergence
