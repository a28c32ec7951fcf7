// The checker itself (examples/exercises/check.ts), run as a learner runs it: usage errors, the two ways a
// file can fail before any check runs, timeouts, uncaught errors, `--seed`, and hints that follow what the
// graded code actually did. Exercise 1 (whose handler is small and stable) serves as the guinea pig.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { block, check, FIXTURES, hints, names, ROOT, summary } from './run-checker.ts';

const EX1 = '01-idempotent-handler';
const RANDOM = 'over 300 seeded lossy runs, the balance is the sum of distinct deposits and every retry gets the first reply';
const fixture = (name: string) => relative(ROOT, join(FIXTURES, name));

const tmp = mkdtempSync(join(tmpdir(), 'check-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('usage', () => {
  it('lists every exercise when called without a name (exit 0)', async () => {
    const r = await check([]);
    expect(r.code).toBe(0);
    for (const name of names) expect(r.stdout).toContain(name);
  });

  it('an unknown exercise is a usage error (exit 2) that lists the valid ones', async () => {
    const r = await check(['no-such-exercise']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown exercise "no-such-exercise"');
    for (const name of names) expect(r.stderr).toContain(name);
  });

  it('bad flags are usage errors too (exit 2)', async () => {
    expect((await check([EX1, '--solution', '--file', 'x.ts'])).code).toBe(2);
    expect((await check([EX1, '--frobnicate'])).code).toBe(2);
    expect((await check([EX1, '--file', join(tmp, 'missing.ts')])).code).toBe(2);
    for (const bad of [['--seed'], ['--seed', 'abc'], ['--seed', '-3'], ['--seed=1.5']]) {
      const r = await check([EX1, ...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toContain('--seed needs a whole number');
    }
  });
});

describe('a file that fails before any check runs', () => {
  it('a syntax error: "failed to load", the real error with file:line:column, no stack dump (exit 1)', async () => {
    const broken = file('broken.ts', 'export function handleDeposit(state: unknown, request: unknown) {\n  const x = ;\n  return x;\n}\n');
    const r = await check([EX1, '--file', broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('broken.ts failed to load');
    expect(r.stdout).toMatch(/broken\.ts:2:\d+/);
    expect(r.stdout).not.toContain('does not export');
    expect(r.stdout).not.toMatch(/^\s+at .*node:internal/m);
    expect(summary(r.stdout).passed).toBe(0);
  });

  it('an error thrown at the top level: "failed to load" with that error and its line', async () => {
    const throws = file('top-level.ts', '// line 1\nconst config = JSON.parse("{oops");\nexport function handleDeposit() { return config; }\n');
    const r = await check([EX1, '--file', throws]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('top-level.ts failed to load');
    expect(r.stdout).toMatch(/JSON/);
    expect(r.stdout).toMatch(/at .*top-level\.ts:2:\d+/);
    expect(r.stdout).not.toContain('does not export');
  });

  it('a file that loads but lacks the export: says so, names what it does export, and says nothing of syntax', async () => {
    const renamed = file('renamed.ts', 'export function handleDepositTwice() { return null; }\nexport const version = 2;\n');
    const r = await check([EX1, '--file', renamed]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('renamed.ts loaded, but it does not export a function handleDeposit(state, request)');
    expect(r.stdout).toContain('it exports: handleDepositTwice, version');
    expect(r.stdout).not.toMatch(/syntax error|failed to load/);
    expect(r.stdout).toMatch(/hint: .*export/);
    expect(summary(r.stdout)).toEqual({ passed: 0, failed: 7 });
  });

  it('a file that exports nothing at all (the export keyword dropped) is told so', async () => {
    const bare = file('bare.ts', 'function handleDeposit() { return null; }\nvoid handleDeposit;\n');
    const r = await check([EX1, '--file', bare]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('does not export a function handleDeposit(state, request); it exports nothing at all');
  });
});

describe('misbehaving code', () => {
  it('code that never returns fails by timeout instead of hanging the checker (exit 1)', async () => {
    const forever = file('forever.ts', 'export function handleDeposit(state: { balance: number }): never {\n  for (;;) state.balance++;\n}\n');
    const r = await check([EX1, '--file', forever], { CHECK_TIMEOUT_MS: '1000' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('timed out');
    expect(summary(r.stdout).passed).toBe(0);
  });

  it('an exception in the graded code is reported with its message and the line it came from', async () => {
    const throws = file('throws.ts', '// line 1\nexport function handleDeposit(): never {\n  throw new RangeError("not yet");\n}\n');
    const r = await check([EX1, '--file', throws]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('not yet');
    expect(r.stdout).toMatch(/at .*throws\.ts:3:\d+/);
  });
});

describe('--seed replays one random run', () => {
  it('a failing random run prints the exact command that replays it, and that command replays the same failure', async () => {
    const full = await check([EX1]);
    const failure = block(full.stdout, RANDOM)!;
    expect(failure).toContain('random run 1 ');
    expect(failure).toContain(`replay this run alone: npm run check -- ${EX1} --seed 1`);

    const again = await check([EX1, '--seed', '1']);
    expect(again.code).toBe(1);
    const replayed = block(again.stdout, RANDOM)!;
    const message = (b: string) => b.split('\n').filter((l) => !l.includes('hint:')).join('\n');
    expect(message(replayed)).toBe(message(failure));
  });

  it('--seed N plays run N only (its numbers differ from run 1), and the replay command keeps --file', async () => {
    const starter = fixture('01-lookup-only.ts');
    const r = await check([EX1, '--file', starter, '--seed=7']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('--seed 7: each random check plays run 7 only');
    const failure = block(r.stdout, RANDOM)!;
    expect(failure).toContain('random run 7 ');
    expect(failure).not.toContain('random run 1 ');
    expect(failure).toContain(`replay this run alone: npm run check -- ${EX1} --file ${starter} --seed 7`);
  });

  it('a passing run with --seed says only that seed was played (exit 0)', async () => {
    const r = await check([EX1, '--solution', '--seed', '42']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('7 passed, 0 failed with --seed 42. Now run without --seed to play every random run.');
    expect(r.stdout).not.toContain('All checks pass!');
  });
});

describe('exercise 1: hints follow what the handler does', () => {
  // Each failing check says what it saw against what it expected; its hint is chosen from what the handler
  // actually does, so a learner is never sent back to a step they already took.
  it('the untouched starter is told that nothing is remembered or looked up, and no hint is printed twice', async () => {
    const r = await check([EX1]);
    const all = hints(r.stdout);
    expect(all[0]).toMatch(/^Nothing is remembered yet: after a first deposit, state.replies is still \{\}/);
    const said = all.filter((h) => !h.startsWith('the same as for "'));
    expect(new Set(said).size, all.join('\n')).toBe(said.length);
    expect(all.length).toBeGreaterThan(said.length); // the repeats were folded into a pointer to the first
  });

  it('a handler that looks the id up but never stores a reply is told to store it, not to look it up', async () => {
    const r = await check([EX1, '--file', fixture('01-lookup-only.ts')]);
    expect(r.code).toBe(1);
    const first = hints(r.stdout)[0]!;
    expect(first).toMatch(/^Your lookup works/);
    expect(first).toContain('nothing ever gets INTO state.replies');
    expect(first).toContain('Store the reply under request.requestId');
    expect(first).not.toMatch(/look (it|the id) up|Look it up/i);
  });

  it('a handler that stores replies but never reads them is told to read them first, showing what it stored', async () => {
    const r = await check([EX1, '--file', fixture('01-store-only.ts')]);
    expect(r.code).toBe(1);
    const first = hints(r.stdout)[0]!;
    expect(first).toMatch(/^Your handler stores replies \(after a new deposit of 10 it holds \{"ok":true/);
    expect(first).toContain('but it never checks them');
    const repeat = block(r.stdout, 'a repeated request leaves the state exactly as it was')!;
    expect(repeat).toContain('balance 25 → 50');
    expect(repeat).toContain('"balance":25}} → {"r-1"'); // the overwritten stored reply is shown
  });

  it('a handler that remembers ids outside the account state is told where its memory lives', async () => {
    const r = await check([EX1, '--file', fixture('01-module-memory.ts')]);
    expect(r.code).toBe(1);
    const lost = block(r.stdout, 'a deposit whose REQUEST was lost is applied once when the client retries')!;
    expect(lost).toContain('Balance is 0, should be');
    expect(lost).toContain('somewhere outside state');
    const random = block(r.stdout, RANDOM)!;
    expect(random).toContain('The first thing that went wrong: the first arrival of deposit-1');
    expect(random).toContain('keeps its memory outside `state`');
  });

  it('a random run names the first arrival that went wrong, with the balance before and after', async () => {
    const r = await check([EX1, '--seed', '3']);
    expect(block(r.stdout, RANDOM)).toMatch(
      /The first thing that went wrong: the retry of deposit-\d+ \(amount \d+\) moved the balance from (\d+) to \d+; it should have stayed \1\./,
    );
  });
});
