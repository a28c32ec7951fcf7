// Every exercise, graded by the real checker the way a learner runs it (`node --import tsx
// examples/exercises/check.ts <name>`): the reference solution must pass every check, and the untouched
// starter file must fail at least one (otherwise the exercise asks for nothing). Exercises are discovered
// from the folders, so a new one is covered as soon as it exists. The checker's own behaviour (usage errors,
// load errors, timeouts, --seed, hints) is tested in checker.test.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { block, check, EXERCISES, loadExercise, names, summary } from './run-checker.ts';

it('finds the exercises (at least Session 2, lease expiry)', () => {
  expect(names).toContain('02-lease-expiry');
});

describe.each(names)('exercise %s', (name) => {
  it('is complete: index.ts exports a valid exercise, with a starter, a solution, a page and hints', async () => {
    const ex = await loadExercise(name);
    expect(ex.title.length).toBeGreaterThan(0);
    expect(existsSync(join(EXERCISES, name, ex.learnerFile))).toBe(true);
    expect(existsSync(join(EXERCISES, name, 'solution.ts'))).toBe(true);
    expect(ex.page).toMatch(/^[\w-]+\/[\w-]+\.md$/);
    expect(ex.checks.length).toBeGreaterThan(0);
    for (const c of ex.checks) {
      expect(c.name.length, 'check name').toBeGreaterThan(0);
      expect(c.hint.length, `hint of "${c.name}"`).toBeGreaterThan(10);
    }
    expect(new Set(ex.checks.map((c) => c.name)).size, 'check names are unique').toBe(ex.checks.length);
  });

  it('the reference solution passes every check (exit 0)', async () => {
    const ex = await loadExercise(name);
    const r = await check([name, '--solution']);
    expect(r.stderr, r.stdout).not.toMatch(/error/i);
    for (const c of ex.checks) expect(r.stdout, r.stdout).toContain(`✔ ${c.name}\n`);
    expect(r.stdout).not.toContain('✘');
    expect(summary(r.stdout)).toEqual({ passed: ex.checks.length, failed: 0 });
    expect(r.code).toBe(0);
  });

  it('the untouched starter file fails at least one check, with a hint (exit 1)', async () => {
    const ex = await loadExercise(name);
    const r = await check([name]);
    expect(r.stdout).toContain(ex.learnerFile);
    let failed = 0;
    for (const c of ex.checks) {
      const ok = r.stdout.includes(`✔ ${c.name}\n`);
      const bad = r.stdout.includes(`✘ ${c.name}\n`);
      expect(ok !== bad, `exactly one verdict line for "${c.name}" in:\n${r.stdout}`).toBe(true);
      if (bad) {
        failed += 1;
        // Every failure ends in a hint; which one depends on what the code did (see checker.test.ts).
        expect(block(r.stdout, c.name), r.stdout).toMatch(/\n {4}hint: \S/);
      }
    }
    expect(failed).toBeGreaterThan(0);
    expect(summary(r.stdout)).toEqual({ passed: ex.checks.length - failed, failed });
    expect(r.code).toBe(1);
  });
});
