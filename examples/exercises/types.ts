// The contract between an exercise and the checker (`npm run check -- <exercise>`).
//
// Each exercise lives in examples/exercises/<name>/ with:
//   - the file the learner edits (starter code with TODOs), named by `learnerFile`
//   - `solution.ts`, the reference solution (CI proves it passes every check)
//   - `index.ts`, which exports `exercise: Exercise<Impl>`
// A check throws (an Error with a message a learner can act on) when the learner's code is wrong.

export interface Check<Impl> {
  /** What behaviour this check looks for, in one line. */
  name: string;
  /** Shown when the check fails: a nudge toward the fix, not the answer. */
  hint: string;
  run(impl: Impl): void | Promise<void>;
}

export interface Exercise<Impl> {
  title: string;
  /** The session page that explains it, relative to docs/, e.g. 'fundamentals/02-queue-system.md'. */
  page: string;
  /** The file the learner edits, relative to the exercise folder. */
  learnerFile: string;
  /** Turn the imported module (learner file or solution.ts) into the implementation the checks call. */
  load(mod: Record<string, unknown>): Impl;
  checks: Check<Impl>[];
}
