// The nightly-size sweep of the Raft simulator: many random fault schedules, each checked for safety (the
// invariants after every step), liveness after healing and linearizability (tests/raft/sim-run.ts).
// `npm test` runs 200 seeds (tests/raft/sim.chaos.test.ts); this runs as many as you ask:
//
//   npm run sweep:raft -- --seeds 10000             # seeds 1..10000
//   npm run sweep:raft -- --from 5000 --seeds 200
//
// Prints progress (runs, seeds/s, ETA), then every failing seed with the command that replays it. Exit code 0
// when every seed passed, 1 when one failed, 2 for bad arguments, 130 on Ctrl-C.
import { parseArgs } from 'node:util';
import { checkChaos } from './sim-run.ts';

const usage = `usage: npm run sweep:raft -- [--seeds N] [--from S]

  --seeds N   how many seeds (default 1000)
  --from S    the first seed (default 1)`;

function readArgs(argv: string[]): { seeds: number; from: number } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { seeds: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Error((err instanceof Error ? err.message : String(err)).split('\n')[0]);
  }
  if (values.help) return 'help';
  const whole = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) throw new Error(`--${name} must be a whole number of at least ${min}, not "${text}"`);
    return Number(text);
  };
  return { seeds: whole('seeds', values.seeds, 1000, 1), from: whole('from', values.from, 1, 0) };
}

async function main(): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  process.on('SIGINT', () => process.exit(130));
  let args;
  try {
    args = readArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${(err instanceof Error ? err.message : String(err)).replace(/\.$/, '')}.\n\n${usage}`);
    process.exit(2);
  }
  if (args === 'help') return void console.log(usage);
  const failures: string[] = [];
  let operations = 0;
  const started = performance.now();
  const every = Math.max(1, Math.min(500, Math.round(args.seeds / 20)));
  for (let i = 0; i < args.seeds; i++) {
    const seed = args.from + i;
    const run = checkChaos({ seed });
    operations += run.operations;
    if (run.problems.length > 0) {
      const line = `seed ${seed}: ${run.problems[0]!.split('\n')[0]}${run.problems.length > 1 ? ` (+${run.problems.length - 1} more)` : ''}\n    replay: ${run.replay}`;
      failures.push(line);
      console.log(`FAIL ${line}`);
    }
    const done = i + 1;
    if (done % every === 0 || done === args.seeds) {
      const seconds = (performance.now() - started) / 1000;
      const rate = done / seconds;
      console.log(
        `${done}/${args.seeds} seeds, ${operations} client operations, ${failures.length} failing, ${seconds.toFixed(1)} s, ` +
          `${rate.toFixed(1)} seeds/s, ETA ${((args.seeds - done) / rate).toFixed(0)} s`,
      );
    }
    if (done % 10 === 0) await new Promise((resolve) => setImmediate(resolve)); // lets Ctrl-C in between runs
  }
  console.log(failures.length === 0 ? `all ${args.seeds} seeds kept every promise (safety, liveness, linearizability)` : `${failures.length} of ${args.seeds} seeds failed:\n  ${failures.join('\n  ')}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

void main();
