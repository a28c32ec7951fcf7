// A chaotic run chosen by the seed: for `until` ms clients chat while links are cut and healed, made slow or
// lossy, and servers are killed and restarted; then everything is repaired and the clients stop talking, so
// that after some quiet time every client must show every room completely, in the same order. Used by the
// seed sweep (tests/chat/sim.test.ts) and by `npm run sim:chat -- --scenario chaos`.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { mulberry32 } from '../../shared/random.ts';
import { draw } from './network.ts';
import type { Action } from './script.ts';
import { DEFAULT_LINKS, LINKS, SERVERS } from './types.ts';

export const CHAOS_UNTIL = 20_000;
/** Quiet time after the repairs: long enough for every backoff (at most 6 s) and every catch-up. */
export const CHAOS_QUIET = 15_000;

export function chaosScript(seed: number, until = CHAOS_UNTIL): Action[] {
  const random = mulberry32((seed ^ 0x2545f491) >>> 0);
  const script: Action[] = [];
  for (let t = draw(random, 300, 1500); t < until; t += draw(random, 300, 2000)) {
    const link = LINKS[draw(random, 0, LINKS.length - 1)]!;
    const server = SERVERS[draw(random, 0, SERVERS.length - 1)]!;
    switch (draw(random, 0, 5)) {
      case 0:
        script.push({ at: t, do: 'cut', link }, { at: t + draw(random, 200, 4000), do: 'heal', link });
        break;
      case 1:
        script.push({ at: t, do: 'drop', link, drop: draw(random, 5, 40) }, { at: t + draw(random, 500, 5000), do: 'drop', link, drop: 0 });
        break;
      case 2: {
        const lo = draw(random, 0, 300);
        script.push({ at: t, do: 'delay', link, delay: [lo, lo + draw(random, 0, 1500)] });
        break;
      }
      case 3:
      case 4:
        script.push({ at: t, do: 'kill', server }, { at: t + draw(random, 300, 5000), do: 'restart', server });
        break;
      default:
        break; // a quiet moment
    }
  }
  // Repair everything: no cut, no loss, the usual delays, both servers up.
  for (const link of LINKS) {
    script.push({ at: until, do: 'heal', link }, { at: until, do: 'drop', link, drop: 0 }, { at: until, do: 'delay', link, delay: [...DEFAULT_LINKS[link].delay] });
  }
  for (const server of SERVERS) script.push({ at: until, do: 'restart', server });
  return script.sort((a, b) => a.at - b.at);
}
