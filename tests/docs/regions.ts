// Checks for code imported onto pages with VitePress's `<<< path#region` syntax.
// WHY: VitePress silently includes the WHOLE file when a region name is wrong, and a `<<<` line glued to the
// paragraph above becomes plain text. Both are easy to miss by eye; these checks make them fail CI.
// Region rules are ported from VitePress 1.6 (src/node/markdown/plugins/snippet.ts): a region starts at
// `// #region name` and ends at the first `// #endregion name` with the SAME name.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { scanMarkdown } from './markdown.ts';

// The comment styles VitePress recognises (JS/TS, CSS, C, HTML/Markdown, VB, Bat, #-comment languages).
const REGION_MARKERS: RegExp[] = [
  /^\/\/ ?#?((?:end)?region) ([\w*-]+)$/,
  /^\/\* ?#((?:end)?region) ([\w*-]+) ?\*\/$/,
  /^#pragma ((?:end)?region) ([\w*-]+)$/,
  /^<!-- #?((?:end)?region) ([\w*-]+) -->$/,
  /^#((?:End )Region) ([\w*-]+)$/,
  /^::#((?:end)region) ([\w*-]+)$/,
  /^# ?((?:end)?region) ([\w*-]+)$/,
];

/** Same as VitePress's findRegion: the lines strictly between the markers, or null when not found. */
export function findRegion(lines: string[], name: string): { start: number; end: number } | null {
  let style: RegExp | null = null;
  let start = -1;
  for (const [i, line] of lines.entries()) {
    const t = line.trim();
    if (style === null) {
      for (const re of REGION_MARKERS) {
        const m = re.exec(t);
        if (m && m[2] === name && /^[rR]egion$/.test(m[1] ?? '')) {
          start = i + 1;
          style = re;
          break;
        }
      }
    } else {
      const m = style.exec(t);
      if (m && m[2] === name && /^[Ee]nd ?[rR]egion$/.test(m[1] ?? '')) return { start, end: i };
    }
  }
  return null;
}

/**
 * Problems with a file's region markers: an end without a start (or with another name than the innermost open
 * region), a region never closed, a name used twice, or an unnamed `#endregion` (VitePress needs the name).
 */
export function regionMarkerProblems(source: string): string[] {
  const problems: string[] = [];
  const stack: { name: string; line: number }[] = [];
  const seen = new Map<string, number>();
  source.replace(/\r\n/g, '\n').split('\n').forEach((line, i) => {
    const n = i + 1;
    const t = line.trim();
    if (/^\/\/ ?#?endregion\s*$/.test(t)) {
      problems.push(`line ${n}: "${t}" has no region name; VitePress only ends a region at "// #endregion <name>"`);
      return;
    }
    for (const re of REGION_MARKERS) {
      const m = re.exec(t);
      if (!m) continue;
      const name = m[2] ?? '';
      if (/^[rR]egion$/.test(m[1] ?? '')) {
        const first = seen.get(name);
        if (first !== undefined) problems.push(`line ${n}: region "${name}" is already defined at line ${first}`);
        else seen.set(name, n);
        stack.push({ name, line: n });
      } else {
        const top = stack.pop();
        if (!top) problems.push(`line ${n}: "#endregion ${name}" closes no open region`);
        else if (top.name !== name) {
          problems.push(`line ${n}: "#endregion ${name}" but the innermost open region is "${top.name}" (line ${top.line})`);
        }
      }
      return;
    }
  });
  for (const open of stack) problems.push(`line ${open.line}: region "${open.name}" is never closed`);
  return problems;
}

// Ported from VitePress: path, extension, #region, {lines lang attrs}, [title].
const RAW_PATH = /^(.+?(?:(?:\.([a-z0-9]+))?))(?:(#[\w-]+))?(?: ?(?:{(\d+(?:[,-]\d+)*)? ?(\S+)? ?(\S+)?}))? ?(?:\[(.+)\])?$/;

export interface CodeImport {
  /** 1-based line on the page. */
  line: number;
  raw: string;
  /** Absolute path of the imported file. */
  file: string;
  region: string | undefined;
}

/** The `<<<` imports on a page, resolved as VitePress resolves them ('@' = the docs folder). */
export function codeImports(pageText: string, pagePath: string, docsDir: string): { imports: CodeImport[]; problems: string[] } {
  const { lines } = scanMarkdown(pageText);
  const imports: CodeImport[] = [];
  const problems: string[] = [];
  for (const l of lines) {
    // VitePress's rule: `<<<` at the start of a line, indented less than 4 spaces, outside code blocks.
    if (l.inCode || !/^ {0,3}<<</.test(l.text)) continue;
    const prev = lines[l.n - 2];
    if (prev && prev.text.trim() !== '') {
      problems.push(`line ${l.n}: "${l.text.trim()}" needs a blank line before it (otherwise it is glued to the text above and shown as text)`);
    }
    const rawPath = l.text.trim().slice(3).trim().replace(/^@/, docsDir).trim();
    const m = RAW_PATH.exec(rawPath);
    const filepath = m?.[1] ?? '';
    const region = m?.[3]?.slice(1);
    imports.push({ line: l.n, raw: l.text.trim(), file: resolve(dirname(pagePath), filepath), region });
  }
  return { imports, problems };
}

/** Everything wrong with one page's imports: missing files, missing regions, broken markers in imported files. */
export function checkPageImports(pageText: string, pagePath: string, docsDir: string): string[] {
  const { imports, problems } = codeImports(pageText, pagePath, docsDir);
  const markersChecked = new Set<string>();
  for (const imp of imports) {
    if (!existsSync(imp.file) || !statSync(imp.file).isFile()) {
      problems.push(`line ${imp.line}: "${imp.raw}": file not found: ${imp.file}`);
      continue;
    }
    if (imp.region === undefined) continue;
    const source = readFileSync(imp.file, 'utf8');
    if (!findRegion(source.replace(/\r\n/g, '\n').split('\n'), imp.region)) {
      problems.push(
        `line ${imp.line}: "${imp.raw}": no region "${imp.region}" (needs "// #region ${imp.region}" ... "// #endregion ${imp.region}"); VitePress would include the whole file`,
      );
    }
    if (markersChecked.has(imp.file)) continue;
    markersChecked.add(imp.file);
    for (const p of regionMarkerProblems(source)) problems.push(`line ${imp.line}: "${imp.raw}": unbalanced region markers in the imported file, ${p}`);
  }
  return problems;
}
