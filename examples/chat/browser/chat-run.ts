// The live chat's plain parts, with no Vue in them: what the page's link holds, which lines of which client
// disagree with another client, and where the bus, the servers and the clients sit in the drawing.
//
// The simulator (../sim/world.ts) runs the REAL cores; this file only reads what they did.
// Pure: no DOM, no timers, no clock, no Math.random (except randomSeed, whose seed is shown and linked).

import { CLIENTS, orders, parseScript, type Action, type LinkName, type World } from '../sim/world.ts';

export const MAX_SEED = 99_999;

// #region link
export interface ChatSettings {
  seed: number;
  sequencer: boolean;
  script: Action[];
  /** What in the link could not be used, in one sentence; absent when everything could. */
  problem?: string;
}

/** A seed a person can read and type. Math.random is fine here: the seed is shown and linked. */
export function randomSeed(): number {
  return 1 + Math.floor(Math.random() * MAX_SEED);
}

/** The seed, mode and script from `?example=chat&seed=N&sequencer=off&script=…`. A part that cannot be used is dropped, and said. */
export function settingsFromQuery(query: URLSearchParams, pickSeed: () => number = randomSeed): ChatSettings {
  const problems: string[] = [];
  let seed = pickSeed();
  const seedText = query.get('seed');
  if (seedText !== null) {
    const n = Number(seedText);
    if (seedText.trim() !== '' && Number.isSafeInteger(n) && n >= 0) seed = n;
    else problems.push(`seed "${seedText}" is not a whole number, so seed ${seed} was picked`);
  }
  const mode = query.get('sequencer');
  if (mode !== null && mode !== 'on' && mode !== 'off') problems.push(`sequencer "${mode}" is neither on nor off, so it is on`);
  let script: Action[] = [];
  const scriptText = query.get('script');
  if (scriptText !== null && scriptText.trim() !== '') {
    try {
      script = parseScript(scriptText);
    } catch (e) {
      problems.push(`script was ignored: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { seed, sequencer: mode !== 'off', script, ...(problems.length > 0 ? { problem: `The link's ${problems.join('; ')}.` } : {}) };
}
// #endregion link

// #region disagreement
/** Per room, per client: the messages (clientId/id keys) it shows in another order than some other client. */
export function conflicted(world: World): Record<string, Record<string, Set<string>>> {
  const out: Record<string, Record<string, Set<string>>> = {};
  for (const r of orders(world)) {
    const room: Record<string, Set<string>> = (out[r.room] = {});
    for (const id of Object.keys(r.shown)) room[id] = new Set();
    for (const x of r.conflicts) {
      for (const c of x.clients) {
        room[c]!.add(x.a);
        room[c]!.add(x.b);
      }
    }
  }
  return out;
}
// #endregion disagreement

// #region layout
export interface Point {
  x: number;
  y: number;
}

export const WIDTH = 360;
export const HEIGHT = 250;

/** The bus at the top, the two servers below it, each server's home clients under it. */
export const PLACES: Record<string, Point> = {
  bus: { x: 180, y: 30 },
  s1: { x: 95, y: 120 },
  s2: { x: 265, y: 120 },
  ...Object.fromEntries(CLIENTS.map((c, i) => [c.id, { x: 45 + i * 90, y: 215 }])),
};

/** The two ends of a link as drawn: a client's link goes to the server it uses now (or its home one). */
export function endsOf(link: LinkName, serverOf: (client: string) => string): [string, string] {
  if (link === 's1-bus') return ['s1', 'bus'];
  if (link === 's2-bus') return ['s2', 'bus'];
  if (link === 's1-s2') return ['s1', 's2'];
  return [link, serverOf(link)];
}

/**
 * Where a frame is drawn at `now`: along the line from sender to receiver by the share of its trip done.
 * `still` (prefers-reduced-motion): at the middle until it arrives.
 */
export function frameAt(from: Point, to: Point, sentAt: number, deliverAt: number, now: number, still: boolean): Point {
  const trip = deliverAt - sentAt;
  const done = still ? 0.5 : trip <= 0 ? 1 : Math.min(1, Math.max(0, (now - sentAt) / trip));
  return { x: Math.round((from.x + (to.x - from.x) * done) * 10) / 10, y: Math.round((from.y + (to.y - from.y) * done) * 10) / 10 };
}
// #endregion layout
