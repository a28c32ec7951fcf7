// What the learner (or a scenario) does to the simulated queue, and how it is written down.
//
// A run is fixed by two things: the seed and the script. The script is a list of actions at simulated times,
// and it has a short text form so it fits in a URL (`?example=queue&seed=7&script=...`) and on a command line
// (`npm run sim:queue -- --seed 7 --script "..."`): the same text replays the same run in both places.
//
// Pure: no node: imports, no clock, no randomness, so it runs in Node and in the browser alike.

// #region actions
/** Something the learner (or a scenario) does, at a simulated time in whole ms. */
export type Action =
  | { at: number; do: 'kill-worker' | 'restart-worker'; worker: number } // worker: 1..workers
  | { at: number; do: 'crash-broker' | 'restart-broker' }
  | { at: number; do: 'poison' } // the NEXT job the producer enqueues is poison (always fails)
  | { at: number; do: 'set-timeout'; ms: number }; // visibility timeout, via the core's `configure` command

/**
 * The fault tour: every fault of Session 2 in one run.
 * - 0.3 s: the next job is poison. It fails on every attempt and ends in the dead-letter queue.
 * - 1.5 s to 7 s: the broker is down. The producer retries with the same keys (a retry whose first try did
 *   arrive is deduplicated by its key); workers that finish meanwhile retry their acks. The outage is longer
 *   than the 5 s visibility timeout, so every lease that was live at the crash has run out when the broker
 *   comes back: it replays its log, reclaims those jobs, and the core refuses the late acks.
 * - 9.5 s: worker-2 is killed, usually in the middle of a job (a kill at a fixed time can also catch it between
 *   two jobs). Its lease runs out 5 s after it was granted and another worker gets the job.
 * - 17 s: worker-2 comes back.
 */
export const faultTour: Action[] = [
  { at: 300, do: 'poison' },
  { at: 1_500, do: 'crash-broker' },
  { at: 7_000, do: 'restart-broker' },
  { at: 9_500, do: 'kill-worker', worker: 2 },
  { at: 17_000, do: 'restart-worker', worker: 2 },
];
// #endregion actions

// #region script-text
/** "1500:kill-worker:2,7000:crash-broker,300:poison,3000:set-timeout:2000" (items in the order given). */
export function encodeScript(script: Action[]): string {
  return script
    .map((a) => {
      switch (a.do) {
        case 'kill-worker':
        case 'restart-worker':
          return `${a.at}:${a.do}:${a.worker}`;
        case 'set-timeout':
          return `${a.at}:${a.do}:${a.ms}`;
        default:
          return `${a.at}:${a.do}`;
      }
    })
    .join(',');
}

/** The inverse of encodeScript. Throws an Error that names the bad item and says what was expected. */
export function parseScript(text: string): Action[] {
  if (text.trim() === '') return [];
  return text.split(',').map((raw, i) => {
    const item = raw.trim();
    const bad = (why: string): Error => new Error(`script item ${i + 1} "${item}" ${why}`);
    const example = '(e.g. "1500:kill-worker:2", "7000:crash-broker", "300:poison", "3000:set-timeout:2000")';
    const [atText, name, arg, ...extra] = item.split(':');
    if (atText === undefined || !/^\d+$/.test(atText)) throw bad(`must start with a time in whole milliseconds ${example}`);
    const at = Number(atText);
    if (!Number.isSafeInteger(at)) throw bad('has a time that is too large');
    const needsNumber = name === 'kill-worker' || name === 'restart-worker' || name === 'set-timeout';
    if (extra.length > 0 || (!needsNumber && arg !== undefined)) throw bad(`has too many parts ${example}`);
    const number = (what: string): number => {
      if (arg === undefined || !/^\d+$/.test(arg) || Number(arg) < 1 || !Number.isSafeInteger(Number(arg))) {
        throw bad(`needs ${what}, a whole number of at least 1`);
      }
      return Number(arg);
    };
    switch (name) {
      case 'kill-worker':
      case 'restart-worker':
        return { at, do: name, worker: number('a worker number') };
      case 'set-timeout':
        return { at, do: name, ms: number('a timeout in ms') };
      case 'crash-broker':
      case 'restart-broker':
      case 'poison':
        return { at, do: name };
      default:
        throw bad(`has an unknown action "${name ?? ''}" (known: kill-worker, restart-worker, crash-broker, restart-broker, poison, set-timeout)`);
    }
  });
}
// #endregion script-text

/**
 * The page link that replays a run, `path?example=queue&seed=N&script=…&jobs=N`: the live example offers it
 * and `npm run sim:queue` prints it. Colons and commas stay readable; everything else is escaped.
 */
export function linkToRun(path: string, run: { seed: number; script: readonly Action[]; jobs?: number }): string {
  let href = `${path}?example=queue&seed=${run.seed}`;
  if (run.script.length > 0) {
    href += `&script=${encodeURIComponent(encodeScript([...run.script])).replace(/%3A/g, ':').replace(/%2C/g, ',')}`;
  }
  if (run.jobs !== undefined) href += `&jobs=${run.jobs}`;
  return href;
}
