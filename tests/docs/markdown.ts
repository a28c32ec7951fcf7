// Helpers shared by the tests in tests/docs: find the course's pages and read their Markdown structure
// (fenced blocks, headings) the way VitePress's markdown-it does, closely enough for these checks.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { srcExclude } from '../../.vitepress/site-map.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const docsDir = join(repoRoot, 'docs');

/** Path relative to the repo root, with forward slashes, for messages. */
export function rel(path: string): string {
  return relative(repoRoot, path).split(sep).join('/');
}

/** Every file under dir whose name ends with suffix (skips dot-folders, node_modules and docs/public). */
export function listFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || name === 'node_modules' || (d === docsDir && name === 'public')) continue;
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(suffix)) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** A glob as VitePress's srcExclude uses it ('**' = any folders, '*' = any name part) turned into a RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The pages VitePress builds: docs/**\/*.md minus srcExclude. Paths are absolute. */
export function listPages(): string[] {
  const excluded = srcExclude.map(globToRegExp);
  return listFiles(docsDir, '.md').filter((p) => {
    const r = relative(docsDir, p).split(sep).join('/');
    return !excluded.some((re) => re.test(r));
  });
}

export interface Fence {
  /** Everything after the opening backticks, trimmed (e.g. "ts {2}"). */
  info: string;
  /** The first word of info: "ts", "mermaid", "bash"... */
  lang: string;
  content: string;
  /** 1-based line number of the opening fence. */
  line: number;
}

export interface MarkdownLine {
  /** 1-based. */
  n: number;
  text: string;
  /** Inside a fenced code block (fence lines included) or the front matter. */
  inCode: boolean;
}

/** Split a page into lines, marking which are code (front matter and fenced blocks), and collect the fences. */
export function scanMarkdown(text: string): { lines: MarkdownLine[]; fences: Fence[] } {
  const raw = text.replace(/\r\n/g, '\n').split('\n');
  const lines: MarkdownLine[] = [];
  const fences: Fence[] = [];
  let open: { char: string; size: number; fence: Fence; body: string[] } | undefined;
  let frontMatter = raw[0] === '---';
  raw.forEach((t, i) => {
    const n = i + 1;
    if (frontMatter) {
      lines.push({ n, text: t, inCode: true });
      if (i > 0 && t === '---') frontMatter = false;
      return;
    }
    if (open) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(t);
      if (close?.[1] && close[1][0] === open.char && close[1].length >= open.size) {
        open.fence.content = open.body.join('\n');
        fences.push(open.fence);
        open = undefined;
      } else open.body.push(t);
      lines.push({ n, text: t, inCode: true });
      return;
    }
    const start = /^\s*(`{3,}|~{3,})(.*)$/.exec(t);
    if (start?.[1] && !(start[1][0] === '`' && (start[2] ?? '').includes('`'))) {
      const info = (start[2] ?? '').trim();
      open = {
        char: start[1][0] ?? '`',
        size: start[1].length,
        fence: { info, lang: /^[\w-]*/.exec(info)?.[0] ?? '', content: '', line: n },
        body: [],
      };
      lines.push({ n, text: t, inCode: true });
      return;
    }
    lines.push({ n, text: t, inCode: false });
  });
  if (open) {
    // An unclosed fence runs to the end of the page (CommonMark); keep it so its content is still checked.
    open.fence.content = open.body.join('\n');
    fences.push(open.fence);
  }
  return { lines, fences };
}

/** The `## ` headings of a page (outside code), with their 1-based line numbers. */
export function h2Headings(text: string): { n: number; title: string }[] {
  return scanMarkdown(text)
    .lines.filter((l) => !l.inCode)
    .map((l) => ({ n: l.n, m: /^ {0,3}## +(.+?)\s*#*\s*$/.exec(l.text) }))
    .filter((x): x is { n: number; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ n: x.n, title: x.m[1] ?? '' }));
}
