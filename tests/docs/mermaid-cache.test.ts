// Every ```mermaid diagram under docs/ has its two pictures drawn at build time, committed in
// docs/public/diagrams/, and no picture there is left over from a diagram that changed or went away.
// (The pictures are what the site shows; a diagram without them falls back to Mermaid in the browser.)
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { CACHE_FILE, DEFAULT_CACHE_DIR, diagramHash, findCached, svgFileName, svgSize } from '../../.vitepress/diagrams/cache.ts';
import { THEMES } from '../../.vitepress/diagrams/describe.ts';
import { findDiagrams } from '../../.vitepress/diagrams/find.ts';
import { prepareSvg, updateCache } from '../../.vitepress/diagrams/update-cache.ts';

const RUN = 'Run `npm run diagrams` (it draws the missing pictures and removes unused ones), then commit docs/public/diagrams/.';

const diagrams = await findDiagrams();
const cacheFiles = readdirSync(DEFAULT_CACHE_DIR).filter((f) => f.endsWith('.svg'));

test(`every diagram under docs/ has its light and dark pictures (found ${diagrams.length} diagrams)`, () => {
  expect(diagrams.length, 'the course pages have no Mermaid diagrams at all').toBeGreaterThan(0);
  const missing = diagrams
    .filter((d) => findCached(d.source) === undefined)
    .map((d) => {
      const names = THEMES.map((t) => svgFileName(diagramHash(d.source), t)).filter((f) => !cacheFiles.includes(f));
      return `${d.file}:${d.line}: ${names.length > 0 ? `no ${names.join(', ')}` : 'a picture has no size'}`;
    });
  expect(missing, `${missing.join('\n')}\n${RUN}`).toEqual([]);
});

test('no picture in docs/public/diagrams/ is left over from a diagram that changed or went away', () => {
  const used = new Set(diagrams.map((d) => diagramHash(d.source)));
  const unused = cacheFiles.filter((f) => !used.has(CACHE_FILE.exec(f)?.[1] ?? ''));
  expect(unused, `unused pictures: ${unused.join(', ')}\n${RUN}`).toEqual([]);
});

test('every picture has a natural size an <img> can use (width and height on its root)', () => {
  const bad = cacheFiles.filter((f) => {
    const root = /<svg\b[^>]*>/.exec(readFileSync(join(DEFAULT_CACHE_DIR, f), 'utf8'))?.[0] ?? '';
    return !/\swidth="[\d.]+"/.test(root) || !/\sheight="[\d.]+"/.test(root) || /max-width/.test(root);
  });
  expect(bad, `${bad.join(', ')}\n${RUN}`).toEqual([]);
});

describe('the cache key', () => {
  test('is 16 hex digits of the exact source: any change, even one space, gives a new key', () => {
    const a = diagramHash('flowchart LR\n  A --> B\n');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(diagramHash('flowchart LR\n  A --> B\n')).toBe(a);
    expect(diagramHash('flowchart LR\n  A --> C\n')).not.toBe(a);
    expect(diagramHash('flowchart LR\n  A  --> B\n')).not.toBe(a);
  });

  test('finds diagrams the way the page build sees them (indented in a list, inside ::: blocks, after front matter)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagrams-docs-'));
    try {
      writeFileSync(
        join(dir, 'page.md'),
        '---\ntitle: x\n---\n\n- a step\n\n  ```mermaid\n  flowchart LR\n    A --> B\n  ```\n\n::: details Optional\n\n```mermaid\nsequenceDiagram\n```\n\n:::\n\n```ts\nconst a = 1;\n```\n',
      );
      const found = await findDiagrams(dir);
      expect(found.map((d) => [d.line, d.source])).toEqual([
        [7, 'flowchart LR\n  A --> B\n'],
        [14, 'sequenceDiagram\n'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('preparing a picture for <img>', () => {
  test("gets width and height from the viewBox and drops Mermaid's max-width, keeping other styles", () => {
    const svg = '<svg id="m" width="100%" xmlns="http://www.w3.org/2000/svg" style="max-width: 650.5px; background-color: white;" viewBox="-8 -8 650.5 400"><g/></svg>';
    const out = prepareSvg(svg);
    expect(out).toBe('<svg width="650.5" height="400" id="m" xmlns="http://www.w3.org/2000/svg" style="background-color: white" viewBox="-8 -8 650.5 400"><g/></svg>');
    expect(svgSize(out)).toEqual({ width: 651, height: 400 });
    expect(prepareSvg('<svg width="100%"><g/></svg>')).toBe('<svg width="100%"><g/></svg>');
  });
});

describe('npm run diagrams without Chromium', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('says in one line which diagrams the browser will draw, writes nothing, still removes unused pictures', async () => {
    dir = mkdtempSync(join(tmpdir(), 'diagrams-cache-'));
    const cacheDir = join(dir, 'cache');
    mkdirSync(cacheDir);
    const drawn = 'flowchart LR\n  X --> Y\n';
    for (const t of THEMES) writeFileSync(join(cacheDir, svgFileName(diagramHash(drawn), t)), '<svg width="10" height="10"/>');
    writeFileSync(join(cacheDir, '0123456789abcdef-dark.svg'), 'old');
    writeFileSync(join(cacheDir, 'notes.txt'), 'not ours');
    const lines: string[] = [];
    const result = await updateCache({
      diagrams: [
        { file: 'docs/a.md', line: 3, source: drawn },
        { file: 'docs/a.md', line: 9, source: 'flowchart LR\n  A --> B\n' },
        { file: 'docs/b.md', line: 5, source: 'sequenceDiagram\n  A->>B: hi\n' },
      ],
      cacheDir,
      chromiumPath: join(dir, 'no-chromium-here'),
      log: (l) => lines.push(l),
    });
    expect(result.fallback.map((d) => `${d.file}:${d.line}`)).toEqual(['docs/a.md:9', 'docs/b.md:5']);
    expect(result.removed).toEqual(['0123456789abcdef-dark.svg']);
    expect(result.cached).toBe(1);
    const fallbackLines = lines.filter((l) => /drawn\s+in the reader's browser/.test(l));
    expect(fallbackLines).toHaveLength(1);
    expect(fallbackLines[0]).toMatch(/no-chromium-here.*CHROMIUM_PATH.*2 diagram\(s\).*docs\/a\.md:9, docs\/b\.md:5/);
    expect(readdirSync(cacheDir).sort()).toEqual([...THEMES.map((t) => svgFileName(diagramHash(drawn), t)), 'notes.txt'].sort());
  });
});
