// The contract between an exercise and the checker (`npm run check -- <exercise>`).
//
// Each exercise lives in examples/exercises/<name>/ with:
//   - the file the learner edits (starter code with TODOs), named by `learnerFile`
//   - `solution.ts`, the reference solution (CI proves it passes every check)
//   - `index.ts`, which exports `exercise: Exercise<Impl>`
// A check throws when the learner's code is wrong. Throw a `CheckFailure` to say what was observed against
// what was expected (the message) and what to do next (the hint): a hint chosen from what the code actually
// did tells the learner something new, where a fixed hint tends to repeat the TODO they already followed.

export interface CheckContext {
  /**
   * Set by `npm run check -- <exercise> --seed N`: a seeded check runs that one seed instead of its whole
   * range, so a failure it reported can be replayed alone. Undefined in a normal run.
   */
  seed?: number;
}

export interface Check<Impl> {
  /** What behaviour this check looks for, in one line. */
  name: string;
  /** Shown when the check fails without a more specific hint (e.g. the code threw): a nudge, not the answer. */
  hint: string;
  /** True when the check plays random runs chosen by seeds; `--seed N` then replays run N alone. */
  seeded?: boolean;
  /**
   * `context` is omitted by callers that have no options to pass (e.g. a test calling a check directly).
   * A check that passes may return a short note, e.g. a figure it measured; the checker prints it under the
   * check's ✔ line, so the learner sees the number and not just that it was within bounds.
   */
  run(impl: Impl, context?: CheckContext): void | string | Promise<void | string>;
}

export interface Exercise<Impl> {
  title: string;
  /** The session page that explains it, relative to docs/, e.g. 'fundamentals/02-queue-system.md'. */
  page: string;
  /** The file the learner edits, relative to the exercise folder. */
  learnerFile: string;
  /**
   * Turn the imported module (learner file or solution.ts) into the implementation the checks call. Throw
   * a `MissingExport` when the module lacks what the checks need: the checker then says the file loaded but
   * does not export it, instead of blaming a syntax error.
   */
  load(mod: Record<string, unknown>): Impl;
  checks: Check<Impl>[];
}

/** A check's verdict when the learner's code is wrong: what happened, and the next step that fits it. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
  /** Replaces the check's fixed hint for this failure. */
  readonly hint: string | undefined;
  /** The seed of the random run that failed; the checker prints the command that replays it. */
  readonly seed: number | undefined;

  constructor(message: string, options: { hint?: string; seed?: number } = {}) {
    super(message);
    this.hint = options.hint;
    this.seed = options.seed;
  }
}

/** Thrown by `Exercise.load` when the graded module loaded fine but does not export what the checks call. */
export class MissingExport extends Error {
  override name = 'MissingExport';
  constructor(
    /** How the checks call it, e.g. "handleDeposit(state, request)". */
    readonly wanted: string,
    /** The names the module does export. */
    readonly found: string[],
  ) {
    super(
      `it does not export a function ${wanted}` +
        (found.length === 0 ? '; it exports nothing at all' : `; it exports: ${found.join(', ')}`),
    );
  }
}

/** The function `name` from a graded module, or a MissingExport naming what is there instead. */
export function exportedFunction(mod: Record<string, unknown>, name: string, call: string): (...args: never[]) => unknown {
  const f = mod[name];
  if (typeof f !== 'function') {
    // A file with no export at all may still show an empty `default` (tsx loads it as CommonJS): not an export.
    const empty = (v: unknown) => v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
    throw new MissingExport(call, Object.keys(mod).filter((k) => !(k === 'default' && empty(mod[k]))));
  }
  return f as (...args: never[]) => unknown;
}

// ---- Helpers the exercises' checks share -------------------------------------------------------------------------
/** 12345 -> "12,345", for the figures a passing check prints. */
export const num = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * Call the learner's code and turn the two mistakes every starter invites into failures with a hint: a TODO
 * still throwing "… is not written yet" (`notWritten` says where to start), and a change to a frozen input
 * (`mutated` says what not to change and how to copy instead). Any other error goes on unchanged.
 */
export function callLearner<T>(f: () => T, hints: { notWritten: string; mutated: string }): T {
  try {
    return f();
  } catch (err) {
    if (!(err instanceof Error) || err instanceof CheckFailure) throw err;
    if (/is not written yet/.test(err.message)) {
      const failure = new CheckFailure(err.message, { hint: hints.notWritten });
      failure.stack = err.stack;
      throw failure;
    }
    if (err instanceof TypeError && /read.only|not extensible|Cannot (assign|add|delete)/i.test(err.message)) {
      const failure = new CheckFailure(`your code changed an object it was given: ${err.message}`, { hint: hints.mutated });
      failure.stack = err.stack;
      throw failure;
    }
    throw err;
  }
}
