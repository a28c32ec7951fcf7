// The exercise checker.
//
//   npm run check                                   lists the exercises
//   npm run check -- <exercise>                     grades your file (the exercise's learnerFile)
//   npm run check -- <exercise> --solution          grades the reference solution (solution.ts)
//   npm run check -- <exercise> --file <path>       grades any file that exports the same names (a relative
//                                                   path is taken from the directory you ran npm in)
//   npm run check -- <exercise> --seed <N>          the seeded checks (random runs) replay run N alone; a
//                                                   failing random run prints this command with its seed
//
// <exercise> is a folder name such as 02-lease-expiry (its number, 02, or its name, lease-expiry, work too).
// Exit code: 0 when every check passes, 1 when any fails, 2 for a usage error (unknown exercise, bad flag).
//
// Two ways a graded file can fail before any check runs, told apart because they need different fixes:
// the module does not load at all (a syntax error, or an error thrown at its top level: the real error is
// shown), or it loads but does not export the function the checks call (the names it does export are shown).
//
// Why a child process: your code may loop forever or crash the process. The checks run in a child Node
// process that reports each check as it starts and ends; if one takes longer than CHECK_TIMEOUT_MS (default
// 5 000; a correct solution needs milliseconds) the checker kills the child, marks that check failed and
// starts a fresh child at the next check. After two timeouts in a row it stops and marks the rest not run.
// Importing .ts files works because both processes run under tsx (`node --import tsx`), which strips the
// types without checking them: run `npm run typecheck` for type errors.
// Colours: on when stdout is a terminal; NO_COLOR=1 turns them off, FORCE_COLOR=1 forces them on.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CheckContext, Exercise } from './types.ts';

const EXERCISES_DIR = fileURLToPath(new URL('.', import.meta.url));
const CHILD_FLAG = '--run-checks-in-child'; // internal: how the checker starts its child process
const CHECK_TIMEOUT_MS = positive(process.env.CHECK_TIMEOUT_MS) ?? 5_000;
const LOAD_TIMEOUT_MS = positive(process.env.CHECK_LOAD_TIMEOUT_MS) ?? 60_000;

function positive(s: string | undefined): number | undefined {
  const n = Number(s);
  return s !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

// ---- Output -----------------------------------------------------------------------------------------------
const env = process.env;
const colour =
  env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0'
    ? true
    : process.stdout.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
const paint = (code: number) => (s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = paint(32);
const red = paint(31);
const dim = paint(2);
const bold = paint(1);
const show = (path: string) => relative(process.cwd(), path) || path;
const indent = (text: string) => text.split('\n').map((line) => `    ${line}`).join('\n');

// ---- Messages from the child process ------------------------------------------------------------------------
type ChildMessage =
  | { kind: 'loaded' }
  | { kind: 'load-error'; phase: LoadPhase; message: string; where?: string }
  | { kind: 'start'; index: number }
  | { kind: 'result'; index: number; ok: boolean; message?: string; where?: string; hint?: string; seed?: number; note?: string }
  | { kind: 'done' };

/** 'import': the module itself failed to load; 'export': it loaded but lacks what the checks call. */
type LoadPhase = 'import' | 'export';

/** A CheckFailure's extras (see types.ts), read by shape: the error may come from another module instance. */
function extras(err: unknown): { hint?: string; seed?: number } {
  if (typeof err !== 'object' || err === null) return {};
  const { hint, seed } = err as { hint?: unknown; seed?: unknown };
  return {
    ...(typeof hint === 'string' && hint !== '' ? { hint } : {}),
    ...(typeof seed === 'number' && Number.isInteger(seed) ? { seed } : {}),
  };
}

/** An error as a learner wants to see it: the message, absolute paths made relative, no stack dump. */
function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split(`${process.cwd()}/`).join('').trim() || (err instanceof Error ? err.name : 'error');
}

/** The first stack frame inside the graded file, e.g. "lease-expiry.ts:23:11", so a crash points at a line. */
function locate(err: unknown, file: string): string | undefined {
  if (!(err instanceof Error) || err.stack === undefined) return undefined;
  const href = pathToFileURL(file).href;
  for (const line of err.stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (m !== null && (m[1] === file || m[1] === href)) return `${show(file)}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

// ---- Child: load the exercise and the graded file, run checks from `start` on -------------------------------
async function child(indexPath: string, target: string, start: number, context: CheckContext): Promise<void> {
  const send = (msg: ChildMessage) => new Promise<void>((done) => process.send!(msg, () => done()));
  let current = -1;
  const stray = (err: unknown) => {
    // An error thrown later by a timer or an unawaited promise in the graded code: blame the running check.
    void send(
      current >= 0
        ? { kind: 'result', index: current, ok: false, message: `uncaught error: ${describe(err)}`, where: locate(err, target) }
        : { kind: 'load-error', phase: 'import', message: describe(err), where: locate(err, target) },
    ).then(() => process.exit(1));
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);
  process.on('disconnect', () => process.exit(1)); // the checker is gone: never linger (e.g. in an endless loop's wake)

  const exercise = ((await import(pathToFileURL(indexPath).href)) as { exercise: Exercise<unknown> }).exercise;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(target).href)) as Record<string, unknown>;
  } catch (err) {
    await send({ kind: 'load-error', phase: 'import', message: describe(err), where: locate(err, target) });
    process.exit(1);
  }
  let impl: unknown;
  try {
    impl = exercise.load(mod);
  } catch (err) {
    await send({ kind: 'load-error', phase: 'export', message: describe(err) });
    process.exit(1);
  }
  await send({ kind: 'loaded' });
  for (let i = start; i < exercise.checks.length; i++) {
    current = i;
    await send({ kind: 'start', index: i });
    try {
      const note = await exercise.checks[i]!.run(impl, context);
      await send({ kind: 'result', index: i, ok: true, ...(typeof note === 'string' && note !== '' ? { note } : {}) });
    } catch (err) {
      await send({ kind: 'result', index: i, ok: false, message: describe(err), where: locate(err, target), ...extras(err) });
    }
  }
  current = -1;
  await send({ kind: 'done' });
  process.exit(0);
}

// ---- Parent: run the checks, one child at a time, and report ------------------------------------------------
interface Outcome { ok: boolean; message?: string; where?: string; hint?: string; seed?: number; note?: string }
interface LoadError { phase: LoadPhase; message: string; where?: string }
interface ChildEnd { loadError?: LoadError; next: number; timedOut?: boolean }

let activeChild: ChildProcess | undefined; // killed if the checker itself is told to stop
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    activeChild?.kill('SIGKILL');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/** Start a child at check `start`; resolve with the outcomes it produced (and how it ended). */
function runChild(indexPath: string, target: string, start: number, seed: number | undefined, onResult: (i: number, o: Outcome) => void) {
  // Keep the parent's loader flags (`--import tsx`), so the child can import .ts files too.
  const execArgv = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : [...process.execArgv, '--import', 'tsx'];
  return new Promise<ChildEnd>((done) => {
    const args = [CHILD_FLAG, indexPath, target, String(start), seed === undefined ? '' : String(seed)];
    const proc: ChildProcess = fork(fileURLToPath(import.meta.url), args, {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'], // the graded code's console.log still shows up
    });
    activeChild = proc;
    let running = -1; // the check in progress, -1 while loading
    let next = start;
    let finished = false;
    let timer = setTimeout(
      () => finish({ loadError: { phase: 'import', message: `loading took longer than ${LOAD_TIMEOUT_MS / 1000} s (a loop at the top level of the file?)` }, next }),
      LOAD_TIMEOUT_MS,
    );
    const finish = (r: ChildEnd) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      activeChild = undefined;
      done(r);
    };
    proc.on('message', (raw) => {
      const msg = raw as ChildMessage;
      if (msg.kind === 'loaded') clearTimeout(timer);
      else if (msg.kind === 'load-error') finish({ loadError: { phase: msg.phase, message: msg.message, where: msg.where }, next });
      else if (msg.kind === 'start') {
        running = msg.index;
        timer = setTimeout(() => {
          onResult(running, { ok: false, message: `timed out after ${CHECK_TIMEOUT_MS / 1000} s: an endless loop, or a promise that never settles?` });
          finish({ next: running + 1, timedOut: true });
        }, CHECK_TIMEOUT_MS);
      } else if (msg.kind === 'result') {
        clearTimeout(timer);
        running = -1;
        next = msg.index + 1;
        onResult(msg.index, { ok: msg.ok, message: msg.message, where: msg.where, hint: msg.hint, seed: msg.seed, note: msg.note });
      } else if (msg.kind === 'done') finish({ next: Number.POSITIVE_INFINITY });
    });
    proc.on('exit', (code, signal) => {
      if (finished) return;
      if (running >= 0) {
        onResult(running, { ok: false, message: `the process exited during this check (${signal ?? `exit code ${code}`}); does the code call process.exit?` });
        finish({ next: running + 1 });
      } else if (next === start) {
        finish({ loadError: { phase: 'import', message: `the checker's child process exited while loading (${signal ?? `exit code ${code}`})` }, next });
      }
      else finish({ next });
    });
  });
}

interface Found { name: string; dir: string }

function listExercises(): Found[] {
  return readdirSync(EXERCISES_DIR)
    .filter((name) => statSync(join(EXERCISES_DIR, name)).isDirectory() && existsSync(join(EXERCISES_DIR, name, 'index.ts')))
    .sort()
    .map((name) => ({ name, dir: join(EXERCISES_DIR, name) }));
}

async function loadExercise(dir: string): Promise<Exercise<unknown>> {
  return ((await import(pathToFileURL(join(dir, 'index.ts')).href)) as { exercise: Exercise<unknown> }).exercise;
}

async function printList(out: (s: string) => void): Promise<void> {
  const all = listExercises();
  out('Exercises:');
  const width = Math.max(0, ...all.map((e) => e.name.length));
  for (const e of all) {
    let about = '';
    try {
      const ex = await loadExercise(e.dir);
      about = `${ex.title}  ${dim(`(docs/${ex.page})`)}`;
    } catch (err) {
      about = red(`(index.ts does not load: ${describe(err).split('\n')[0]})`);
    }
    out(`  ${e.name.padEnd(width)}  ${about}`);
  }
  if (all.length === 0) out('  (none yet)');
}

const USAGE = 'Usage: npm run check -- <exercise> [--solution | --file <path>] [--seed <N>]';

async function usageError(message: string): Promise<never> {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  err(red(message));
  err(USAGE);
  err('');
  await printList(err);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  let name: string | undefined;
  let mode: 'learner' | 'solution' | 'file' = 'learner';
  let file: string | undefined;
  let seed: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      console.log(USAGE + '\n');
      await printList((s) => console.log(s));
      return;
    } else if (a === '--solution') {
      if (mode === 'file') await usageError('Use either --solution or --file, not both.');
      mode = 'solution';
    } else if (a === '--file' || a.startsWith('--file=')) {
      if (mode === 'solution') await usageError('Use either --solution or --file, not both.');
      file = a === '--file' ? argv[++i] : a.slice('--file='.length);
      if (file === undefined || file === '') await usageError('--file needs a path, e.g. --file my-try.ts');
      mode = 'file';
    } else if (a === '--seed' || a.startsWith('--seed=')) {
      const text = a === '--seed' ? argv[++i] : a.slice('--seed='.length);
      if (text === undefined || !/^\d{1,9}$/.test(text)) await usageError('--seed needs a whole number, e.g. --seed 17');
      seed = Number(text);
    } else if (a.startsWith('-')) await usageError(`Unknown option ${a}.`);
    else if (name === undefined) name = a;
    else await usageError(`Only one exercise at a time (got "${name}" and "${a}").`);
  }
  if (name === undefined) {
    console.log(USAGE + '\n');
    await printList((s) => console.log(s));
    return;
  }

  const all = listExercises();
  const wanted: string = name;
  const matches = all.filter((e) => e.name === wanted);
  if (matches.length === 0) matches.push(...all.filter((e) => e.name.startsWith(`${wanted}-`) || e.name.endsWith(`-${wanted}`)));
  if (matches.length !== 1) await usageError(`Unknown exercise "${wanted}".`);
  const found = matches[0]!;

  let exercise: Exercise<unknown>;
  try {
    exercise = await loadExercise(found.dir);
  } catch (err) {
    console.error(red(`✘ The exercise itself does not load (a bug in the course, please report it):\n${indent(describe(err))}`));
    process.exit(1);
  }
  const target =
    mode === 'solution' ? join(found.dir, 'solution.ts') : mode === 'file' ? resolve(process.env.INIT_CWD ?? process.cwd(), file!) : join(found.dir, exercise.learnerFile);
  if (!existsSync(target)) await usageError(`No such file: ${show(target)}`);
  if (seed !== undefined && !exercise.checks.some((c) => c.seeded === true)) {
    await usageError(`Exercise ${found.name} has no random runs, so --seed does not apply to it.`);
  }
  // The exact command that replays one random run of this very file.
  const quote = (s: string) => (/^[\w./@:+-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
  const rerun = (n: number) =>
    `npm run check -- ${found.name}${mode === 'solution' ? ' --solution' : mode === 'file' ? ` --file ${quote(file!)}` : ''} --seed ${n}`;

  console.log(`${bold(`Exercise ${found.name}:`)} ${exercise.title}`);
  console.log(dim(`Checking ${show(target)}  (explained in docs/${exercise.page})`));
  if (seed !== undefined) console.log(dim(`--seed ${seed}: each random check plays run ${seed} only`));
  console.log('');

  const outcomes: Outcome[] = [];
  const hintsShown = new Map<string, string>(); // hint -> the check that showed it first, so none is said twice
  const report = (i: number, o: Outcome) => {
    outcomes[i] = o;
    const check = exercise.checks[i]!;
    if (o.ok) {
      console.log(`${green('✔')} ${check.name}`);
      if (o.note !== undefined) console.log(indent(o.note)); // what a passing check measured
      return;
    }
    console.log(`${red('✘')} ${check.name}`);
    if (o.message !== undefined) console.log(indent(o.message));
    if (o.where !== undefined) console.log(indent(dim(`at ${o.where}`)));
    const hint = o.hint ?? check.hint;
    const earlier = hintsShown.get(hint);
    console.log(indent(`${bold('hint:')} ${earlier === undefined ? hint : `the same as for "${earlier}" above.`}`));
    if (earlier === undefined) hintsShown.set(hint, check.name);
    if (o.seed !== undefined) console.log(indent(`${bold('replay this run alone:')} ${rerun(o.seed)}`));
  };

  let start = 0;
  let timeouts = 0; // in a row
  while (start < exercise.checks.length) {
    if (timeouts === 2) {
      for (let i = start; i < exercise.checks.length; i++) {
        outcomes[i] = { ok: false };
        console.log(`${red('✘')} ${exercise.checks[i]!.name} ${dim('(not run: the two checks before it timed out)')}`);
      }
      break;
    }
    const r = await runChild(join(found.dir, 'index.ts'), target, start, seed, report);
    timeouts = r.timedOut === true ? timeouts + 1 : 0;
    if (r.loadError !== undefined) {
      const { phase, message, where } = r.loadError;
      if (phase === 'import') {
        console.log(`${red('✘')} ${show(target)} failed to load, so no check could run. The error:`);
        console.log(indent(message));
        if (where !== undefined) console.log(indent(dim(`at ${where}`)));
        console.log(indent(`${bold('hint:')} the file itself stops Node before any check starts: fix the line this error ` +
          'names (a syntax error shows file:line:column). `npm run typecheck` also lists type errors, which do not stop loading.'));
      } else {
        console.log(`${red('✘')} ${show(target)} loaded, but ${message}`);
        console.log(indent(`${bold('hint:')} the file itself is fine; the checker just cannot find the function it calls. ` +
          'Keep the `export` keyword and the exact name and parameters from the starter file.'));
      }
      for (let i = start; i < exercise.checks.length; i++) outcomes[i] = { ok: false };
      break;
    }
    start = r.next;
  }

  const passed = outcomes.filter((o) => o?.ok).length;
  const failed = exercise.checks.length - passed;
  console.log('');
  const summary = `${passed} passed, ${failed} failed`;
  if (failed > 0) console.log(red(summary));
  else if (seed !== undefined) console.log(green(`${summary} with --seed ${seed}. Now run without --seed to play every random run.`));
  else console.log(green(`${summary}. All checks pass!`));
  process.exit(failed === 0 ? 0 : 1);
}

// `npm run check -- ... | head` closes our stdout early: stop quietly instead of dumping an EPIPE stack.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(1);
  throw err;
});

if (process.argv[2] === CHILD_FLAG) {
  const seedArg = process.argv[6];
  await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), seedArg ? { seed: Number(seedArg) } : {});
} else {
  await main(process.argv.slice(2));
}
