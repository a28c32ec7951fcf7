// The long sweep of the store simulation: many seeds of chaos in both modes, each checked for the store's
// promises (tests/store/sim-run.ts). `npm test` runs a few dozen seeds; this runs as many as you ask:
//
//   npm run sweep:store -- --seeds 1000            # seeds 1..1000, strong and eventual
//   npm run sweep:store -- --from 5000 --seeds 200 --mode strong
//
// Prints progress, then every failing seed with the command that replays it. Exit code 0 when every seed
// passed, 1 when one failed, 2 for bad arguments, 130 on Ctrl-C.
import { parseArgs } from 'node:util';
import { runChaos, type Mode } from './sim-run.ts';

const usage = `usage: npm run sweep:store -- [--seeds N] [--from S] [--mode strong|eventual|both]

  --seeds N   how many seeds (default 1000)
  --from S    the first seed (default 1)
  --mode M    strong, eventual or both (default both)`;

function readArgs(argv: string[]): { seeds: number; from: number; modes: Mode[] } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { seeds: { type: 'string' }, from: { type: 'string' }, mode: { type: 'string' }, help: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Error((err instanceof Error ? err.message : String(err)).split('\n')[0]);
  }
  if (values.help) return 'help';
  const whole = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) throw new Error(`--${name} must be a whole number of at least ${min}, not "${text}"`);
    return Number(text);
  };
  const mode = values.mode ?? 'both';
  if (mode !== 'strong' && mode !== 'eventual' && mode !== 'both') throw new Error(`--mode must be strong, eventual or both, not "${mode}"`);
  return { seeds: whole('seeds', values.seeds, 1000, 1), from: whole('from', values.from, 1, 0), modes: mode === 'both' ? ['strong', 'eventual'] : [mode] };
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
  const total = args.seeds * args.modes.length;
  let done = 0;
  let operations = 0;
  const started = performance.now();
  for (let seed = args.from; seed < args.from + args.seeds; seed++) {
    for (const mode of args.modes) {
      const run = runChaos(seed, mode);
      operations += run.operations;
      done += 1;
      if (run.problems.length > 0) {
        failures.push(`seed ${seed} (${mode}): ${run.problems[0]!.split('\n')[0]}${run.problems.length > 1 ? ` (+${run.problems.length - 1} more)` : ''}\n    replay: ${run.replay}`);
        console.log(`FAIL seed ${seed} ${mode}: ${run.problems[0]!.split('\n')[0]}\n    replay: ${run.replay}`);
      }
      if (done % 50 === 0 || done === total) {
        console.log(`${done}/${total} runs, ${operations} client operations, ${failures.length} failing, ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
      await new Promise((resolve) => setImmediate(resolve)); // lets Ctrl-C in between runs
    }
  }
  console.log(failures.length === 0 ? `all ${total} runs kept every promise` : `${failures.length} of ${total} runs failed:\n  ${failures.join('\n  ')}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

void main();
