// A run of the live queue is fully described by its seed and its script (the faults, in time order), so both
// travel in the page's URL: `?example=queue&seed=42&script=2500:kill-worker:2,6000:crash-broker`.
// This file reads them from the query the page was opened with and writes the link that reproduces a run.
import { checkScript, MAX_JOBS, parseScript, type Action } from '../sim/world.ts';

// The link's form is the simulator's (the CLI prints the same links): one definition, in ../sim/script.ts.
export { linkToRun } from '../sim/world.ts';

export interface RunSettings {
  seed: number;
  script: Action[];
  /** How many jobs the producer enqueues; absent = the simulator's default. */
  jobs?: number;
  /** Set when the query asked for something we could not use; the run then starts without it. */
  problem?: string;
}

/** A seed a person can read and type: 1..99999. Math.random is fine here: the seed is shown and linked. */
export function randomSeed(): number {
  return 1 + Math.floor(Math.random() * 99_999);
}

export function settingsFromQuery(query: URLSearchParams, pickSeed: () => number = randomSeed): RunSettings {
  const problems: string[] = [];
  let seed = pickSeed();
  const seedText = query.get('seed');
  if (seedText !== null) {
    const n = Number(seedText);
    if (Number.isSafeInteger(n) && n >= 0) seed = n;
    else problems.push(`"${seedText}" is not a seed (a whole number), so seed ${seed} was picked`);
  }
  let script: Action[] = [];
  const scriptText = query.get('script');
  if (scriptText !== null && scriptText.trim() !== '') {
    try {
      script = parseScript(scriptText);
    } catch (e) {
      problems.push(`the script in the link was ignored: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  let jobs: number | undefined;
  const jobsText = query.get('jobs');
  if (jobsText !== null) {
    const n = Number(jobsText);
    if (Number.isSafeInteger(n) && n >= 1 && n <= MAX_JOBS) jobs = n;
    else problems.push(`"${jobsText}" jobs was ignored (a whole number from 1 to ${MAX_JOBS})`);
  }
  // A script can be well formed and still impossible for this world (a worker that does not exist): the
  // simulator would refuse it when the world is made. Then start without it and say why, rather than show nothing.
  if (script.length > 0) {
    try {
      checkScript(script);
    } catch (e) {
      script = [];
      problems.push(`the script in the link was ignored: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return {
    seed,
    script,
    ...(jobs !== undefined ? { jobs } : {}),
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}
