// Every checker output pasted on a page is what the checker prints today (see command-output.ts for the
// marker). Change a check's name, a hint or the starter file, and the page that shows its output fails here
// until it is pasted again.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ALLOWED, checkerLikeBlocks, compareOutput, markedOutputs, runMarkedCommand } from './command-output.ts';
import { listPages, rel, repoRoot } from './markdown.ts';

const pages = listPages().map((path) => ({ path, name: rel(path), text: readFileSync(path, 'utf8') }));
const marked = pages.flatMap((p) => markedOutputs(p.text).map((m) => ({ ...m, page: p.name })));

describe('the comparison itself', () => {
  const real = 'Exercise 02: x\n\u001b[31m✘\u001b[0m first\n    detail\n✔ second\n\n1 passed, 1 failed\n';
  test('equal output passes, colours and trailing blank lines ignored', () => {
    expect(compareOutput('Exercise 02: x\n✘ first\n    detail\n✔ second\n\n1 passed, 1 failed', real).ok).toBe(true);
  });
  test('one changed line fails and is named', () => {
    const c = compareOutput('Exercise 02: x\n✘ first\n    detail\n✔ 2nd\n\n1 passed, 1 failed', real);
    expect(c).toEqual({ ok: false, pageLine: 4, pageText: '✔ 2nd' });
  });
  test('"..." stands for one or more lines, never for none', () => {
    expect(compareOutput('...\n✘ first\n...\n1 passed, 1 failed', real).ok).toBe(true);
    expect(compareOutput('Exercise 02: x\n...\n✘ first\n    detail\n✔ second\n\n1 passed, 1 failed', real).ok).toBe(false);
  });
  test('a block that stops early, or goes on too long, fails', () => {
    expect(compareOutput('Exercise 02: x\n✘ first', real).ok).toBe(false);
    expect(compareOutput(`${real}\nmore`, real).ok).toBe(false);
  });
  test('a block indented inside a list compares by its own indentation', () => {
    expect(compareOutput('  Exercise 02: x\n  ✘ first\n      detail\n  ...', real).ok).toBe(true);
  });
});

describe('markers', () => {
  test("every exercise's page shows what its untouched starter prints, marked", () => {
    const exercises = readdirSync(join(repoRoot, 'examples/exercises'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(repoRoot, 'examples/exercises', d.name, 'index.ts')))
      .map((d) => d.name);
    expect(exercises.length).toBeGreaterThan(0);
    const shown = new Set(marked.map((m) => m.command));
    expect(exercises.filter((name) => !shown.has(`npm run check -- ${name}`))).toEqual([]);
  });
  test.each(marked.map((m) => [`${m.page}:${m.line}`, m] as const))('%s names a command this test runs, before a text block', (_, m) => {
    expect(m.command, 'only `npm run check -- ...` with plain arguments is run').toMatch(ALLOWED);
    expect(m.block, 'the line after the marker must open a ```text block').toBeDefined();
  });
  test('every text block that looks like checker output is marked', () => {
    const unmarked = pages.flatMap((p) => {
      const markedLines = new Set(markedOutputs(p.text).map((m) => m.line + 1));
      return checkerLikeBlocks(p.text).filter((b) => !markedLines.has(b.line)).map((b) => `${p.name}:${b.line}`);
    });
    expect(unmarked, 'put <!-- output of: npm run check -- ... --> on the line before each').toEqual([]);
  });
});

describe('pasted checker output is the real output', () => {
  const runnable = marked.filter((m) => m.block !== undefined && ALLOWED.test(m.command));
  test.each(runnable.map((m) => [`${m.page}:${m.line}: ${m.command}`, m] as const))('%s', (_, m) => {
    const run = runMarkedCommand(m.command, repoRoot);
    const c = compareOutput(m.block!, run.output);
    expect(
      c.ok,
      `${m.page}: the block after line ${m.line} differs from what \`${m.command}\` prints now.\n` +
        `First page line that does not match (line ${c.pageLine} of the block):\n  ${c.pageText}\n` +
        `Real output:\n${run.output}`,
    ).toBe(true);
  });
});
