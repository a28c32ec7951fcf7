// Pasted program output on the pages, held against the program.
//
// A page marks a pasted output by putting a comment on the line just before its ```text block:
//
//   <!-- output of: npm run check -- 02-lease-expiry -->
//   ```text
//   Exercise 02-lease-expiry: ...
//   ```
//
// The test (command-output.test.ts) runs the command from the repository root, where a learner runs it, and
// compares the block with what it printed, colours stripped. In the block, a line holding only `...` stands
// for one or more lines the page leaves out; every other line must be exactly what the program printed.
//
// Only the exercise checker is run (`npm run check -- <args>`): it is quick, needs no server and prints the
// same thing on every run (its random histories are seeded). Outputs with times, process ids or a live
// broker in them are real runs pasted by hand, and are not marked.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanMarkdown } from './markdown.ts';

export const MARKER = /^\s*<!--\s*output of:\s*(.*?)\s*-->\s*$/;

/** The commands a marker may name: the checker, with plain words as arguments (paths, names, numbers). */
export const ALLOWED = /^npm run check -- [\w./-]+(?: [\w./-]+)*$/;

export interface MarkedOutput {
  /** The command as the marker names it. */
  command: string;
  /** 1-based line of the marker. */
  line: number;
  /** The block's text, or undefined if the marker is not followed by a ```text block. */
  block?: string;
}

/** Every marker on a page, with the ```text block that follows it. */
export function markedOutputs(markdown: string): MarkedOutput[] {
  const { lines, fences } = scanMarkdown(markdown);
  const out: MarkedOutput[] = [];
  for (const l of lines) {
    const m = l.inCode ? null : MARKER.exec(l.text);
    if (!m) continue;
    // The block must start on the very next line: a blank line between them would let an edit slip
    // prose in between, and the marker would then describe the wrong block.
    const fence = fences.find((f) => f.line === l.n + 1);
    out.push({ command: m[1] ?? '', line: l.n, ...(fence?.lang === 'text' ? { block: fence.content } : {}) });
  }
  return out;
}

/** A ```text block that looks like the checker's output: its banner, or its tally line. */
export function looksLikeCheckerOutput(block: string): boolean {
  return block.split('\n').some((l) => /^\s*Exercise \d\d-[\w-]+: /.test(l) || /^\s*\d+ passed, \d+ failed\b/.test(l));
}

/** Every ```text block on a page that looks like checker output, with its 1-based opening line. */
export function checkerLikeBlocks(markdown: string): { line: number; block: string }[] {
  return scanMarkdown(markdown)
    .fences.filter((f) => f.lang === 'text' && looksLikeCheckerOutput(f.content))
    .map((f) => ({ line: f.line, block: f.content }));
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Output as a page shows it: no colours, no trailing spaces, no blank lines at either end. */
export function normalise(text: string): string[] {
  const lines = text.replace(ANSI, '').replace(/\r\n/g, '\n').split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

/** The block's lines with the indentation of the block itself removed (a block inside a list is indented). */
function dedent(lines: string[]): string[] {
  const widths = lines.filter((l) => l !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = widths.length === 0 ? 0 : Math.min(...widths);
  return lines.map((l) => l.slice(cut));
}

export interface Comparison {
  ok: boolean;
  /** When not ok: the first page line (1-based within the block) that no reading of the output matches. */
  pageLine?: number;
  pageText?: string;
}

/**
 * Does the page's block show the real output? Lines must be equal one for one, except that a line `...`
 * stands for one or more real lines.
 */
export function compareOutput(block: string, real: string): Comparison {
  const page = dedent(normalise(block));
  const actual = normalise(real);
  let furthest = 0; // the most page lines any attempt matched, for the message
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    furthest = Math.max(furthest, i);
    let ok: boolean;
    if (i === page.length) ok = j === actual.length;
    else if (page[i] === '...') {
      ok = false;
      for (let k = j + 1; k <= actual.length && !ok; k++) ok = match(i + 1, k);
    } else ok = j < actual.length && page[i] === actual[j] && match(i + 1, j + 1);
    memo.set(key, ok);
    return ok;
  };
  if (match(0, 0)) return { ok: true };
  const at = Math.min(furthest, page.length - 1);
  return { ok: false, pageLine: at + 1, pageText: page[at] ?? '(the end of the block: the program printed more)' };
}

export interface Run {
  output: string;
  status: number | null;
}

/**
 * Runs a marker's command from the repository root, as a learner does: `npm run check -- ARGS` is the
 * package's `check` script with ARGS after it. The script is run directly (npm would only add its own
 * "> npm run" banner), with colours off and --file paths taken from the repository root.
 */
export function runMarkedCommand(command: string, repoRoot: string): Run {
  if (!ALLOWED.test(command)) throw new Error(`not a command this test runs: ${command}`);
  const args = command.slice('npm run check -- '.length).split(' ');
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = (pkg.scripts.check ?? '').split(/\s+/).filter((w) => w !== '');
  if (script[0] !== 'node') throw new Error(`the check script no longer starts with node: ${pkg.scripts.check}`);
  // A generous time limit per check: on a busy machine the default 5 s could mark a right answer failed.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', INIT_CWD: repoRoot, CHECK_TIMEOUT_MS: '60000' };
  delete env.FORCE_COLOR;
  const run = spawnSync(process.execPath, [...script.slice(1), ...args], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    timeout: 150_000,
  });
  if (run.error) throw run.error;
  return { output: `${run.stdout}${run.stderr}`, status: run.status };
}
