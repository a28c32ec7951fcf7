// Reading docker/Dockerfile without building it.
//
// The docker test builds the Dockerfile for real, but that takes half a minute and a Docker daemon. This
// static check runs first (and in the unit tests, tests/topology/dockerfile.test.ts, with no daemon): known
// instructions, the base image the test makes a stand-in for, a WORKDIR, an `npm ci`, and every COPY source
// present in the build context, so a typo fails in a second with a message that names the line.

import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';

export interface Instruction {
  line: number;
  keyword: string; // upper-case, e.g. COPY
  args: string;
}

export interface Copy {
  sources: string[]; // relative to the build context
  dest: string; // absolute path inside the image
}

export interface Dockerfile {
  from: string;
  workdir: string;
  copies: Copy[];
  instructions: Instruction[];
}

const KNOWN = new Set([
  'FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME',
  'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
]);

/** Split into instructions: comments and blank lines dropped, `\` continuations joined. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending === '') startLine = i + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1).trimEnd() + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/.exec(full);
    if (m) out.push({ line: startLine, keyword: (m[1] ?? '').toUpperCase(), args: m[2] ?? '' });
  });
  return out;
}

/** Parse the instructions this course's Dockerfile uses (single stage, shell-form COPY without flags). */
export function parseDockerfile(text: string): Dockerfile {
  const list = instructions(text);
  let from = '';
  let workdir = '/';
  const copies: Copy[] = [];
  for (const ins of list) {
    if (ins.keyword === 'FROM') from = ins.args.split(/\s+/)[0] ?? '';
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args.trim());
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const parts = ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : ins.args.split(/\s+/);
      const words = parts.filter((p) => !p.startsWith('--'));
      const dest = words.pop() ?? '';
      copies.push({ sources: words, dest: posix.resolve(workdir, dest) + (dest.endsWith('/') ? '/' : '') });
    }
  }
  return { from, workdir, copies, instructions: list };
}

/** Where a COPY puts one source, following Docker's rule: a destination ending in `/` is a directory. */
export function targetOf(copy: Copy, source: string): string {
  const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
  return intoDir ? posix.join(copy.dest, posix.basename(source)) : copy.dest.replace(/\/$/, '');
}

/** Static problems with the Dockerfile (an empty list means it looks buildable). */
export function checkDockerfile(text: string, contextDir: string, expectedFrom: string): string[] {
  const problems: string[] = [];
  const df = parseDockerfile(text);
  const first = df.instructions.find((i) => i.keyword !== 'ARG');
  if (first?.keyword !== 'FROM') problems.push('the first instruction is not FROM');
  for (const ins of df.instructions) {
    if (!KNOWN.has(ins.keyword)) problems.push(`line ${ins.line}: unknown instruction ${ins.keyword}`);
    if (ins.args.trim() === '') problems.push(`line ${ins.line}: ${ins.keyword} has no arguments`);
  }
  if (df.from !== expectedFrom) problems.push(`FROM is "${df.from}", expected "${expectedFrom}"`);
  if (df.workdir === '/') problems.push('no WORKDIR');
  if (df.copies.length === 0) problems.push('no COPY');
  for (const copy of df.copies) {
    if (copy.sources.length === 0) problems.push(`COPY to ${copy.dest} has no source`);
    for (const src of copy.sources) {
      if (src.startsWith('/') || src.split('/').includes('..')) problems.push(`COPY source ${src} is outside the build context`);
      else if (!existsSync(join(contextDir, src))) problems.push(`COPY source ${src} does not exist in the build context`);
    }
  }
  const runs = df.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b/.test(r))) problems.push('no RUN npm ci (dependencies would be missing)');
  return problems;
}
