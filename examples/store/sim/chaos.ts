// Seeded fault schedules: from one seed, a whole run's script — how bad the network is, how many clients
// run, and when nodes crash, restart, and partitions are cut and healed — ending in a quiet phase in which
// the cluster's promises are checked. The tests run hundreds of seeds; a failing one is replayed with
// `npm run sim:store -- --seed N --scenario chaos-strong` (or chaos-eventual), which builds the same script.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { mulberry32 } from '../../shared/random.ts';
import { groupOf } from '../core/node.ts';
import { createRing } from '../core/ring.ts';
import { defaultConfig, type Consistency } from '../core/types.ts';
import { draw } from './network.ts';
import type { Action } from './script.ts';

// #region chaos
export const CHAOS_MS = 20_000; // faults and client requests run this long
export const STRONG_KEYS = ['k1', 'k2', 'k3'];
export const EVENTUAL_KEYS = ['e1', 'e2', 'e3', 'e4'];

/**
 * The script of one chaotic run. Up to CHAOS_MS: a lossy, slow, reordering (and sometimes duplicating)
 * network; 3 to 5 clients; every 0.5 to 2.5 s one fault: crash a node, restart it, crash and restart one at
 * once (a bounce), cut a partition (one or two nodes against the rest) or heal it. At most one node is down at a time, so every group keeps a
 * majority of live nodes once partitions heal. Then:
 * - strong: heal, restart, let 4 s pass, crash one more node (which may lead some groups) and leave it
 *   down; 4 s later strong-read every key at another of its replicas, five times over four seconds (a lossy network may
 *   lose a forwarded read or its answer; the checks use the last read that got an answer).
 * - eventual: heal, restart, and let 10 s pass with no requests (anti-entropy every second).
 */
export function chaosScript(seed: number, mode: Consistency, nodes: readonly string[] = ['n1', 'n2', 'n3', 'n4', 'n5']): Action[] {
  const random = mulberry32((seed ^ 0x27d4eb2f) >>> 0);
  const pick = <T>(list: readonly T[]): T => list[draw(random, 0, list.length - 1)]!;
  const lo = draw(random, 1, 20);
  const script: Action[] = [
    { at: 0, do: 'network', loss: draw(random, 0, 15), dup: draw(random, 0, 3) === 0 ? draw(random, 1, 5) : 0, delay: [lo, draw(random, lo + 10, 150)] },
    { at: 0, do: 'clients', count: draw(random, 3, 5), mode, keys: mode === 'strong' ? STRONG_KEYS : EVENTUAL_KEYS, until: CHAOS_MS },
  ];
  let down: string | null = null;
  let cut = false;
  for (let at = draw(random, 500, 2_500); at < CHAOS_MS; at += draw(random, 500, 2_500)) {
    const choices: string[] = [down === null ? 'crash' : 'restart', cut ? 'heal' : 'partition', ...(down === null ? ['bounce'] : [])];
    const choice = pick(choices);
    if (choice === 'bounce') {
      // A crash and a quick restart: whatever the node promised (votes, acknowledgements) must survive it.
      const node = pick(nodes);
      script.push({ at, do: 'crash', node }, { at: at + draw(random, 50, 450), do: 'restart', node });
    } else if (choice === 'crash') {
      down = pick(nodes);
      script.push({ at, do: 'crash', node: down });
    } else if (choice === 'restart') {
      script.push({ at, do: 'restart', node: down! });
      down = null;
    } else if (choice === 'partition') {
      const side = [...nodes];
      for (let i = side.length - 1; i > 0; i--) {
        const j = draw(random, 0, i); // Fisher-Yates: the same shuffle in every JavaScript engine
        [side[i], side[j]] = [side[j]!, side[i]!];
      }
      script.push({ at, do: 'partition', a: side.slice(0, draw(random, 1, 2)).sort(), b: [] });
      cut = true;
    } else {
      script.push({ at, do: 'heal' });
      cut = false;
    }
  }
  if (cut) script.push({ at: CHAOS_MS, do: 'heal' });
  if (down !== null) script.push({ at: CHAOS_MS, do: 'restart', node: down });
  if (mode === 'strong') {
    const victim = pick(nodes);
    script.push({ at: CHAOS_MS + 4_000, do: 'crash', node: victim });
    // Each key is read at one of its own replicas: a node outside the replica set forwards to the key's first
    // replica, which may be the crashed one (the core names one node to forward to, not every replica).
    const ring = createRing(nodes, defaultConfig.vnodes);
    for (const at of [CHAOS_MS + 8_000, CHAOS_MS + 9_000, CHAOS_MS + 10_000, CHAOS_MS + 11_000, CHAOS_MS + 12_000]) {
      for (const key of STRONG_KEYS) {
        const readers = groupOf(ring, key, defaultConfig.replicas).replicas.filter((n) => n !== victim);
        script.push({ at, do: 'request', node: pick(readers), op: 'get', key, consistency: 'strong' });
      }
    }
  }
  return script;
}

/** When a chaos run is over: the last scripted action plus time for it to finish. */
export function chaosEnd(mode: Consistency): number {
  return CHAOS_MS + (mode === 'strong' ? 16_000 : 10_000);
}
// #endregion chaos
