// The chat simulation, headless: runs one seeded scenario and prints its timeline (the same lines the live
// example shows), then what each client shows of each room, and whether the chat kept its promises (every
// client shows each room gap-free, duplicate-free, in seq order, every confirmed send exactly once, and all
// clients agree), or, without the sequencer, where the clients' orders differ.
//
//   npm run sim:chat -- --seed 7                          # clients chat; s1 is killed at 5 s, restarted at 12 s
//   npm run sim:chat -- --seed 7 --no-sequencer           # the same without the sequencer: orders differ
//   npm run sim:chat -- --seed 22 --scenario chaos        # links cut, slow and lossy, kills, then repairs
//   npm run sim:chat -- --seed 7 --script "1500:send:c1:lobby:hi,3000:cut:c3,6000:heal:c3"
//
// Only this file touches the process; world.ts stays pure so the browser can run it.

import { parseArgs } from 'node:util';
import { CHAOS_QUIET, CHAOS_UNTIL, chaosScript } from './chaos.ts';
import { problems, settledProblems } from './checks.ts';
import { killTour } from './tours.ts';
import { createWorld, encodeScript, formatEvent, formatStamp, orders, parseScript, runUntil, view, type Action, type World } from './world.ts';

const usage = `usage: npm run sim:chat -- [--seed N] [--scenario kill|chaos | --script "..."] [--no-sequencer] [--until MS]

  --seed N          the seed of the run (default 1); the same seed, mode and script give the same run
  --scenario S      kill (default): the clients chat; s1 is killed at 5 s and restarted at 12 s
                    chaos: for 20 s links are cut, slowed and made lossy and servers killed, as the seed
                      picks; then everything is repaired and the clients stop, and after 15 s of quiet every
                      client must show every room completely
  --script TEXT     your own actions instead of a scenario, comma-separated, e.g.
                      "1500:send:c1:lobby:hello,3000:cut:c3,6000:heal:c3,8000:kill:s2,0:delay:s1-s2:500-900"
                    (send:CLIENT:ROOM:TEXT, cut|heal:LINK, delay:LINK:MIN-MAX, drop:LINK:PERCENT,
                     kill|restart:SERVER; clients c1-c4, links c1-c4 s1-bus s2-bus s1-s2, servers s1 s2)
  --no-sequencer    each server stamps messages by its own clock instead of the bus numbering them
  --until MS        stop at this simulated time (default: the scenario's end; a script: 10 s after its last action)
  --help            this text

Exit code 0 when every check passed (or, without the sequencer, always), 1 when one failed, 2 for bad arguments.`;

interface Run {
  seed: number;
  sequencer: boolean;
  script: Action[];
  name: string;
  untilMs: number;
  chatterUntil: number;
  settled: boolean;
  /** The arguments that give exactly this run again (printed as "replay it with"). */
  replay: string[];
}

function readArgs(argv: string[]): Run | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { seed: { type: 'string' }, scenario: { type: 'string' }, script: { type: 'string' }, until: { type: 'string' }, 'no-sequencer': { type: 'boolean' }, help: { type: 'boolean' } },
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
  const sequencer = !values['no-sequencer'];
  // A scenario is replayed by its name (its script, how long the clients chat and the settled check come with
  // it); a script by its text, with the stop time it had.
  const replayOf = (rest: string[], untilMs: number, always: boolean) => [
    '--seed', String(seed), ...(sequencer ? [] : ['--no-sequencer']), ...(always || until !== undefined ? ['--until', String(untilMs)] : []), ...rest,
  ];
  if (values.script !== undefined && values.scenario !== undefined) throw new Error('give either --scenario or --script, not both');
  if (values.script !== undefined) {
    const script = parseScript(values.script);
    const last = script.reduce((t, a) => Math.max(t, a.at), 0);
    const untilMs = until ?? last + 10_000;
    return { seed, sequencer, script, name: 'script', untilMs, chatterUntil: Number.MAX_SAFE_INTEGER, settled: false, replay: replayOf(['--script', encodeScript(script)], untilMs, true) };
  }
  const scenario = values.scenario ?? 'kill';
  if (scenario === 'kill') {
    const untilMs = until ?? 20_000;
    return { seed, sequencer, script: killTour, name: 'scenario kill', untilMs, chatterUntil: 15_000, settled: true, replay: replayOf(['--scenario', 'kill'], untilMs, false) };
  }
  if (scenario === 'chaos') {
    const untilMs = until ?? CHAOS_UNTIL + CHAOS_QUIET;
    return { seed, sequencer, script: chaosScript(seed), name: 'scenario chaos', untilMs, chatterUntil: CHAOS_UNTIL, settled: true, replay: replayOf(['--scenario', 'chaos'], untilMs, false) };
  }
  throw new Error(`unknown scenario "${scenario}" (known: kill, chaos)`);
}

function summarize(world: World, run: Run): { lines: string[]; ok: boolean } {
  const v = view(world);
  const lines: string[] = [];
  for (const c of v.clients) {
    lines.push(`${c.user} (${c.id}): ${c.state}${c.server ? ` on ${c.server}` : ''}${c.pending > 0 ? `, ${c.pending} unconfirmed` : ''}`);
    for (const [room, r] of Object.entries(c.rooms)) {
      const shown = r.lines.map((l) => (l.lost ? `[lost ${l.lost.from}-${l.lost.to}]` : l.seq !== undefined ? `${l.seq}` : `${l.key}@${formatStamp(l.stamp!).slice(6)}`));
      lines.push(`  ${room} (${r.lines.length}; online ${r.online.join(' ') || 'nobody'}): ${shown.join(' ')}`);
    }
  }
  lines.push(`frames: ${v.stats.frames} sent, ${v.stats.dropped} lost; the bus numbered ${v.stats.appended} messages and recognised ${v.stats.duplicates} resends; ${v.stats.reconnects} reconnects`);
  const agree = orders(world);
  for (const r of agree) {
    lines.push(`${r.room}: ${r.agree ? 'all clients show the same order' : `clients DISAGREE on the order: ${r.conflicts.length} pairs, e.g. ${r.conflicts.slice(0, 3).map((x) => `${x.clients[0]} shows ${x.a} above ${x.b}, ${x.clients[1]} below`).join('; ')}`}`);
  }
  if (!world.sequencer) return { lines, ok: true };
  const found = run.settled ? settledProblems(world) : problems(world);
  lines.push(`${run.settled ? 'settled: every client caught up, complete, ' : ''}gap-free, duplicate-free, in seq order, confirmed sends once, same order: ${found.length === 0 ? 'ok' : `FAILED\n    ${found.join('\n    ')}`}`);
  return { lines, ok: found.length === 0 };
}

function main(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
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
  const world = createWorld({ seed: run.seed, sequencer: run.sequencer, script: run.script, chatterUntil: run.chatterUntil });
  console.log(`chat simulation: seed ${run.seed}, ${run.sequencer ? 'with the sequencer' : 'WITHOUT the sequencer'}, ${run.name}; replay it with: ${replayCommand(run.replay)}`);
  let shown = 0;
  for (let t = 0; t < run.untilMs; ) {
    t = Math.min(run.untilMs, t + 1_000);
    runUntil(world, t);
    for (; shown < world.events.length; shown++) console.log(formatEvent(world.events[shown]!));
  }
  const { lines, ok } = summarize(world, run);
  console.log(`at ${(world.now / 1000).toFixed(3)} s:`);
  for (const line of lines) console.log(`  ${line}`);
  process.exitCode = ok ? 0 : 1;
}

/**
 * The command line that gives this run again. A script goes in double quotes with the characters a shell
 * could still act on there (bash's ! among them) percent-encoded, as its texts already are; it reads back the same.
 */
function replayCommand(args: readonly string[]): string {
  const quote = (arg: string) => (/^[A-Za-z0-9_.:=-]+$/.test(arg) ? arg : `"${arg.replace(/[!'()*"$`\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}"`);
  return `npm run sim:chat -- ${args.map(quote).join(' ')}`;
}

function fail(err: unknown): never {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
  console.error(`error: ${message}.\n\n${usage}`);
  process.exit(2);
}

main();
