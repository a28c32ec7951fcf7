// The queue simulation, headless: runs one seeded scenario to the end and prints its timeline, line for line
// what the live example on the Session 2 page shows for the same seed and script.
//
//   npm run sim:queue -- --seed 7
//   npm run sim:queue -- --seed 7 --script "1500:kill-worker:2,4000:crash-broker,9500:restart-broker"
//
// Only this file touches the process (arguments, stdout, exit code); world.ts stays pure so the browser can run it.

import { parseArgs } from 'node:util';
import { encodeScript, faultTour, formatEvent, linkToRun, MAX_JOBS, parseScript, runToEnd, type Action } from './world.ts';

const usage = `usage: npm run sim:queue -- [--seed N] [--scenario fault-tour|calm] [--script "..."] [--jobs N] [--until MS]

  --seed N        the seed of the run (default 1); the same seed and script give the same timeline
  --scenario S    fault-tour (default): a poison job, a broker crash and restart, a killed worker
                  calm: no faults at all
  --script TEXT   your own actions instead of a scenario, e.g. "1500:kill-worker:2,4000:crash-broker,9500:restart-broker"
                  (actions: kill-worker:N, restart-worker:N, crash-broker, restart-broker, poison, set-timeout:MS)
  --jobs N        how many jobs the producer enqueues (default 12, at most ${MAX_JOBS}, as on the page)
  --until MS      stop at this simulated time if the run has not finished (default 120000)
  --help          this text

Prints one line per event, then a summary, and the page link that replays the same run in the browser.`;

const scenarios: Record<string, Action[]> = { 'fault-tour': faultTour, calm: [] };

interface Run {
  seed: number;
  jobs?: number;
  untilMs: number;
  script: Action[];
  name: string; // what the header calls the script
}

/** Reads the command line, or throws an Error whose message is one sentence for the user. */
function readArgs(argv: string[]): Run | 'help' {
  let values;
  // `--seed -1` would make parseArgs complain that the argument is "ambiguous"; glue such a value to its
  // option (`--seed=-1`) so the checks below can say what is really wrong with it.
  const args = argv.map((arg, i) => (i > 0 && /^-\d/.test(arg) && /^--\w+$/.test(argv[i - 1]!) ? `\0${arg}` : arg));
  const glued: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('\0')) glued[glued.length - 1] += `=${arg.slice(1)}`;
    else glued.push(arg);
  }
  try {
    ({ values } = parseArgs({
      args: glued,
      options: {
        seed: { type: 'string' },
        scenario: { type: 'string' },
        script: { type: 'string' },
        jobs: { type: 'string' },
        until: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error((err instanceof Error ? err.message : String(err)).split('\n')[0]);
  }
  if (values.help) return 'help';
  const whole = (name: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min || Number(text) > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
      throw new Error(`--${name} must be a whole number ${range}, not "${text}"`);
    }
    return Number(text);
  };
  const seed = whole('seed', values.seed, 0) ?? 1;
  const jobs = whole('jobs', values.jobs, 1, MAX_JOBS);
  const untilMs = whole('until', values.until, 0) ?? 120_000;
  if (values.script !== undefined && values.scenario !== undefined) {
    throw new Error('give either --scenario or --script, not both');
  }
  if (values.script !== undefined) {
    return { seed, untilMs, script: parseScript(values.script), name: 'script', ...(jobs !== undefined ? { jobs } : {}) };
  }
  const name = values.scenario ?? 'fault-tour';
  const script = scenarios[name];
  if (script === undefined) throw new Error(`unknown scenario "${name}" (known: ${Object.keys(scenarios).join(', ')})`);
  return { seed, untilMs, script, name: `scenario ${name}`, ...(jobs !== undefined ? { jobs } : {}) };
}

function main(): void {
  // `npm run sim:queue | head` closes our stdout early: that is the reader saying "enough", not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  let run: Run | 'help';
  try {
    run = readArgs(process.argv.slice(2));
  } catch (err) {
    fail(err);
  }
  if (run === 'help') {
    console.log(usage);
    return;
  }
  const text = encodeScript(run.script);
  // The same run on the page: the live example reads seed and script from the URL.
  const link = linkToRun('/fundamentals/02-queue-system', { seed: run.seed, script: run.script, ...(run.jobs !== undefined ? { jobs: run.jobs } : {}) });
  let result;
  try {
    result = runToEnd({ seed: run.seed, script: run.script, ...(run.jobs !== undefined ? { jobs: run.jobs } : {}) }, run.untilMs);
  } catch (err) {
    fail(err); // e.g. a script that names worker 4 of 3
  }
  console.log(
    `queue simulation: seed ${run.seed}, ${run.name}${text === '' ? ' (no actions)' : ` (${text})`}; replay it on the page ` +
      `(with \`npm run docs\` running): http://localhost:5173${link}`,
  );
  for (const event of result.timeline) console.log(formatEvent(event));
  const { view, timeline } = result;
  const s = view.broker.stats;
  const restarts = timeline.filter((e) => e.kind === 'broker-recovered').length;
  const redeliveries = timeline.filter((e) => e.kind === 'redelivered').length;
  const jobsLine = s === null ? 'broker down at the end, so no stats' : `${s.done} jobs done, ${s.dead} dead (of ${view.producer.total})`;
  const end = view.finished ? `finished at ${(view.now / 1000).toFixed(3)} s` : `NOT finished by ${(run.untilMs / 1000).toFixed(3)} s`;
  console.log(
    `summary: ${jobsLine}; log ${view.broker.logLength} command${view.broker.logLength === 1 ? '' : 's'}; ${restarts} broker restart${restarts === 1 ? '' : 's'}; ` +
      `${redeliveries} redeliver${redeliveries === 1 ? 'y' : 'ies'}; ${end}`,
  );
}

/** A bad command line: one sentence saying what is wrong, the usage, and exit code 2. */
function fail(err: unknown): never {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
  console.error(`error: ${message}.\n\n${usage}`);
  process.exit(2);
}

main();
