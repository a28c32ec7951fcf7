// The ```mermaid fence: a diagram with both pictures in the cache becomes a static figure (two <img>, a name,
// a text description, no JavaScript); one without them becomes the <Mermaid> component that draws it in the
// browser. Checked on the HTML the page build produces, rendered through Vue as VitePress does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSSRApp } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { createMarkdownRenderer, type MarkdownRenderer } from 'vitepress';
import { diagramHash, svgFileName } from '../../.vitepress/diagrams/cache.ts';
import { diagramDescription, THEMES } from '../../.vitepress/diagrams/describe.ts';
import { mermaidFence } from '../../.vitepress/mermaid-fence.ts';
import { docsDir } from './markdown.ts';

const TRICKY = [
  'flowchart LR',
  '  accTitle: Producer to broker',
  '  accDescr: The producer {{ sends }} <b>jobs</b> & "waits"',
  '  A["Producer {{ job.id }}"] -->|"say \'hi\' & <b>go</b>"| B[(Broker)]',
  '  %% a comment with `backticks` and </script>',
  '',
].join('\n');

let cacheDir = '';
let emptyDir = '';
let cached: MarkdownRenderer;
let empty: MarkdownRenderer;

/** Put both pictures (or only `themes`) of a source into the test cache, with the given natural size. */
function draw(source: string, width: number, height: number, themes: readonly string[] = THEMES): void {
  for (const t of themes) {
    writeFileSync(join(cacheDir, `${diagramHash(source)}-${t}.svg`), `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"/>`);
  }
}

const page = (source: string): string => `# Page\n\n\`\`\`mermaid\n${source}\`\`\`\n`;

/** The page's HTML as the reader gets it: the Markdown output compiled and rendered by Vue (server side). */
async function served(html: string): Promise<string> {
  const app = createSSRApp({ template: `<div>${html}</div>` });
  app.component('Mermaid', { props: ['code'], template: '<figure class="mermaid-diagram" data-mermaid-state="loading"><p>Loading diagram…</p></figure>' });
  const warnings: string[] = [];
  app.config.warnHandler = (msg) => warnings.push(msg);
  const out = await renderToString(app);
  expect(warnings).toEqual([]);
  return out;
}

// No DOM in this test environment: the HTML Vue writes is regular enough to read with a few patterns.
interface Tag {
  attrs: Record<string, string>;
}
const decode = (t: string): string =>
  t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
function tags(html: string, name: string): Tag[] {
  return Array.from(html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'g')), (m) => ({
    attrs: Object.fromEntries(Array.from((m[1] ?? '').matchAll(/\s([\w:-]+)(?:="([^"]*)")?/g), (a) => [a[1] ?? '', decode(a[2] ?? '')])),
  }));
}
/** The decoded text of every `<name ...>text</name>` (no nested tags of the same name). */
function texts(html: string, open: string, name: string): string[] {
  return Array.from(html.matchAll(new RegExp(`${open}([\\s\\S]*?)</${name}>`, 'g')), (m) => decode((m[1] ?? '').replace(/<[^>]*>/g, '')));
}

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'fence-cache-'));
  emptyDir = mkdtempSync(join(tmpdir(), 'fence-empty-'));
  cached = await createMarkdownRenderer(docsDir, { config: (md) => mermaidFence(md, { cacheDir }) });
  empty = await createMarkdownRenderer(docsDir, { config: (md) => mermaidFence(md, { cacheDir: emptyDir }) });
});
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(emptyDir, { recursive: true, force: true });
});

describe('a diagram with no pictures in the cache', () => {
  test('becomes <Mermaid code="..."> (drawn in the browser) with the source intact', () => {
    const html = empty.render(page(TRICKY));
    const m = /<Mermaid code="([^"]*)" \/>/.exec(html);
    expect(m, html).not.toBeNull();
    expect(decodeURIComponent(m?.[1] ?? '')).toBe(TRICKY);
    expect(html).not.toMatch(/<img/);
  });

  test('also when only one of its two pictures is there', () => {
    const source = 'flowchart LR\n  half --> drawn\n';
    draw(source, 300, 100, ['light']);
    expect(cached.render(page(source))).toMatch(/<Mermaid code=/);
  });
});

describe('a diagram with both pictures in the cache', () => {
  const hash = diagramHash(TRICKY);

  test('becomes a figure with the light and the dark picture as lazy <img>, sized to the picture', async () => {
    draw(TRICKY, 700, 240);
    const md = cached.render(page(TRICKY));
    expect(md).not.toMatch(/<Mermaid/);
    const html = await served(md);
    expect(tags(html, 'figure').map((f) => f.attrs.class)).toEqual(['mermaid-diagram']);
    const imgs = tags(html, 'img');
    expect(imgs.map((i) => i.attrs.src)).toEqual(THEMES.map((t) => `/diagrams/${svgFileName(hash, t)}`));
    expect(imgs.map((i) => i.attrs.class)).toEqual(['mermaid-img mermaid-light', 'mermaid-img mermaid-dark']);
    for (const img of imgs) {
      expect(img.attrs.width).toBe('700');
      expect(img.attrs.height).toBe('240');
      expect(img.attrs.loading).toBe('lazy');
      // Never shrunk below 65% of its size: on a phone it scrolls sideways instead.
      expect(img.attrs.style).toMatch(/min-width:\s*455px/);
    }
  });

  test('keeps its accessible name and a text description: what it shows in words, and its source', async () => {
    draw(TRICKY, 700, 240);
    const html = await served(cached.render(page(TRICKY)));
    const imgs = tags(html, 'img');
    expect(imgs.map((i) => i.attrs.alt)).toEqual(['Flowchart: Producer to broker', 'Flowchart: Producer to broker']);
    const id = imgs[0]?.attrs['aria-describedby'] ?? 'none';
    expect(imgs[1]?.attrs['aria-describedby']).toBe(id);
    // Vue did not interpolate {{ }}, and HTML in the text stayed text.
    // Hidden (aria-describedby still reads it) and outside the closed <details>, whose content Chromium
    // leaves out of a description; and visible inside "Diagram as text".
    expect(texts(html, `<span id="${id}" hidden>`, 'span')).toEqual(['The producer {{ sends }} <b>jobs</b> & "waits"']);
    expect(texts(html, '<details class="mermaid-text"><summary>Diagram as text</summary><p>', 'p')).toEqual([
      'The producer {{ sends }} <b>jobs</b> & "waits"',
    ]);
    expect(diagramDescription(TRICKY)).toBe('The producer {{ sends }} <b>jobs</b> & "waits"');
    expect(texts(html, '<summary>', 'summary')).toEqual(['Diagram as text']);
    expect(texts(html, '<pre class="mermaid-source">', 'pre')).toEqual([TRICKY.replace(/\n$/, '')]);
  });

  test('a wide diagram can be focused to scroll it with the keyboard; a narrow one is not a tab stop', async () => {
    const narrow = 'flowchart LR\n  N --> M\n';
    draw(TRICKY, 700, 240); // 65% of 700 = 455px > a phone's 327px column: it scrolls there
    draw(narrow, 400, 100); // 260px: fits
    const html = await served(cached.render(page(TRICKY) + '\n' + page(narrow)));
    expect(tags(html, 'div').filter((d) => d.attrs.class === 'mermaid-scroll').map((d) => d.attrs.tabindex)).toEqual(['0', undefined]);
    // Only the wide one says, on a phone, that there is more of it to the side.
    expect(html.split('<figure').map((f) => f.includes('class="mermaid-scroll-hint"'))).toEqual([false, true, false]);
    // No description: no aria-describedby pointing nowhere; the source is still there as text.
    expect(tags(html, 'img').map((i) => 'aria-describedby' in i.attrs)).toEqual([true, true, false, false]);
    expect(texts(html, '<pre class="mermaid-source">', 'pre')[1]).toBe('flowchart LR\n  N --> M');
  });

  test('two copies of a diagram on one page get different description ids', () => {
    draw(TRICKY, 700, 240);
    const ids = Array.from(cached.render(page(TRICKY) + '\n' + page(TRICKY)).matchAll(/<span id="([^"]+)" hidden>/g), (m) => m[1]);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });
});

test('other code blocks are still highlighted the normal way', () => {
  expect(cached.render('```ts\nconst a = 1;\n```\n')).toMatch(/class="language-ts/);
});
