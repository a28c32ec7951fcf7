// The store simulation, headless: runs one seeded scenario and prints its timeline, line for line what the
// simulation's world produces (the same lines the live cluster example shows), then a summary: who leads each
// group in which term, how many keys each node holds, and whether the store kept its promises (no two leaders
// acknowledging writes in one term, no acknowledged strong write lost, replicas converged, strong operations
// linearizable).
//
//   npm run sim:store -- --seed 7                              # a chaotic run with strong clients
//   npm run sim:store -- --seed 7 --scenario chaos-eventual    # the same faults with eventual clients
//   npm run sim:store -- --seed 7 --script "3000:put:n1:strong:k1:blue,4000:partition:n1.n2,9000:heal"
//
// Only this file (and the sweep) touches the process; world.ts stays pure so the browser can run it.

import { parseArgs } from 'node:util';
import { checkHistory } from '../../../tests/helpers/linearizability.ts';
import type { KvOperation } from '../../../tests/helpers/kv-history.ts';
import { chaosEnd, chaosScript } from './chaos.ts';
import { divergence, lostWrites, splitBrain } from './checks.ts';
import { partitionTour } from './tours.ts';
import { createWorld, encodeScript, formatEvent, historyOf, parseScript, runUntil, view, type Action, type World } from './world.ts';

const SCENARIOS = ['chaos-strong', 'chaos-eventual', 'partition-tour'] as const;
type Scenario = (typeof SCENARIOS)[number];

const usage = `usage: npm run sim:store -- [--seed N] [--scenario NAME | --script "..."] [--until MS]

  --seed N        the seed of the run (default 1); the same seed and script give the same timeline
  --scenario S    chaos-strong (default): a lossy, reordering network, crashes, restarts and partitions
                    chosen by the seed, clients doing strong get/put/delete/cas; then one more crash and
                    final strong reads of every key
                  chaos-eventual: the same kind of faults, clients doing eventual requests; then heal and
                    quiet time, after which every key's replicas must be equal
                  partition-tour: strong and eventual writes on both sides of a partition, then heal
  --script TEXT   your own actions instead of a scenario, comma-separated, e.g.
                    "3000:put:n1:strong:k1:blue,4000:partition:n1.n2/n3.n4.n5,6000:put:n4:eventual:k1:red,9000:heal"
                  (crash:NODE, restart:NODE, partition:A.B/C.D.E, heal, network:LOSS%:DUP%:MIN-MAX,
                   clients:COUNT:strong|eventual:KEY.KEY:UNTIL, get|delete:NODE:MODE:KEY, put:NODE:MODE:KEY:VALUE,
                   cas:NODE:KEY:EXPECTED|-:VALUE)
  --until MS      stop at this simulated time (default: the scenario's end; with --script, 10 s after the last action)
  --help          this text

Prints one line per event and a summary. Exit code 0 when every check passed, 1 when one failed, 2 for bad arguments.`;

interface Run {
  seed: number;
  script: Action[];
  name: string;
  untilMs: number;
  /** Which checks apply: lost writes need final reads (chaos-strong); convergence needs quiet time (chaos-eventual). */
  checks: { lost: boolean; converge: boolean };
}

/** Reads the command line, or throws an Error whose message is one sentence for the user. */
function readArgs(argv: string[]): Run | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { seed: { type: 'string' }, scenario: { type: 'string' }, script: { type: 'string' }, until: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error((err instanceof Error ? err.message : String(err)).split('\n')[0]);
  }
  if (values.help) return 'help';
  const whole = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new Error(`--${name} must be a whole number of at least 0, not "${text}"`);
    return Number(text);
  };
  const seed = whole('seed', values.seed) ?? 1;
  const until = whole('until', values.until);
  if (values.script !== undefined && values.scenario !== undefined) throw new Error('give either --scenario or --script, not both');
  if (values.script !== undefined) {
    const script = parseScript(values.script);
    const last = script.reduce((t, a) => Math.max(t, a.at, a.do === 'clients' ? a.until : 0), 0);
    return { seed, script, name: 'script', untilMs: until ?? last + 10_000, checks: { lost: false, converge: false } };
  }
  const name = (values.scenario ?? 'chaos-strong') as Scenario;
  if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
  if (name === 'partition-tour') {
    return { seed, script: partitionTour, name: `scenario ${name}`, untilMs: until ?? 16_000, checks: { lost: false, converge: false } };
  }
  const mode = name === 'chaos-strong' ? 'strong' : 'eventual';
  return { seed, script: chaosScript(seed, mode), name: `scenario ${name}`, untilMs: until ?? chaosEnd(mode), checks: { lost: mode === 'strong', converge: mode === 'eventual' } };
}

/** The summary lines: leaders and terms per group, keys per node, the checks, the numbers. Returns them and whether every check passed. */
function summarize(world: World, checks: Run['checks']): { lines: string[]; ok: boolean } {
  const v = view(world);
  const lines: string[] = [];
  const groups = new Map<string, string[]>();
  for (const n of v.nodes) {
    for (const g of n.status?.groups ?? []) {
      const list = groups.get(g.id) ?? [];
      if (g.role === 'leader') list.push(`${n.name} (term ${g.term}${g.ready ? '' : ', not ready'})`);
      groups.set(g.id, list);
    }
  }
  lines.push('leaders: ' + [...groups.keys()].sort().map((id) => `${id} ${groups.get(id)!.join(' and ') || 'none'}`).join('; '));
  lines.push('keys per node: ' + v.nodes.map((n) => `${n.name} ${n.status ? `${n.status.keys}` : 'down'}`).join(', '));
  const history = historyOf(world);
  const answered = history.filter((h) => h.return !== null && h.error === undefined).length;
  const unknown = history.filter((h) => h.return === null).length;
  const refused = history.filter((h) => h.error !== undefined).length;
  lines.push(
    `operations: ${history.length} (${answered} answered, ${refused} refused, ${unknown} outcome unknown); messages: ${v.stats.sent} sent, ` +
      `${v.stats.lost} lost, ${v.stats.duplicated} duplicated`,
  );
  let ok = true;
  const report = (title: string, problems: string[]): void => {
    ok &&= problems.length === 0;
    lines.push(`${title}: ${problems.length === 0 ? 'ok' : `FAILED\n  ${problems.join('\n  ')}`}`);
  };
  report('one leader acknowledging writes per group and term', splitBrain(world));
  if (checks.lost) report('no acknowledged strong write lost (final reads)', lostWrites(history));
  if (checks.converge) report('replicas converged after heal', divergence(world));
  const strong = history.filter((h) => h.consistency === 'strong') as KvOperation[];
  const verdict = checkHistory(strong);
  ok &&= verdict.ok;
  lines.push(`strong operations linearizable: ${verdict.ok ? `yes (${strong.length} operations)` : `${verdict.verdict.toUpperCase()}\n${verdict.reason}`}`);
  return { lines, ok };
}

async function main(): Promise<void> {
  // `npm run sim:store | head` closes our stdout early: that is the reader saying "enough", not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  process.on('SIGINT', () => process.exit(130));
  let run: Run | 'help';
  try {
    run = readArgs(process.argv.slice(2));
  } catch (err) {
    return fail(err);
  }
  if (run === 'help') {
    console.log(usage);
    return;
  }
  let world: World;
  try {
    world = createWorld({ seed: run.seed, script: run.script });
  } catch (err) {
    return fail(err); // e.g. a script that names n9 of 5
  }
  const text = encodeScript(run.script);
  console.log(`store simulation: seed ${run.seed}, ${run.name}; replay it with: npm run sim:store -- --seed ${run.seed} --script "${text}"`);
  let shown = 0;
  // In slices of simulated time, so that Ctrl-C (handled between slices) stops a long run at once.
  for (let t = 0; t < run.untilMs; ) {
    t = Math.min(run.untilMs, t + 1_000);
    runUntil(world, t);
    for (; shown < world.events.length; shown++) console.log(formatEvent(world.events[shown]!));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { lines, ok } = summarize(world, run.checks);
  console.log(`summary at ${(world.now / 1000).toFixed(3)} s:`);
  for (const line of lines) console.log(`  ${line}`);
  process.exitCode = ok ? 0 : 1;
}

/** A bad command line: one sentence saying what is wrong, the usage, and exit code 2. */
function fail(err: unknown): never {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
  console.error(`error: ${message}.\n\n${usage}`);
  process.exit(2);
}

void main();
