// Brings the diagram cache up to date: draws every diagram that has no picture yet (light and dark), and
// removes the pictures no diagram uses any more. `npm run diagrams` runs it (render.ts); `npm run docs:build`
// runs that first.
//
// WHY at build time: Mermaid is ~700 KB of JavaScript. Drawn here once, a page shows two small SVG files
// instead, and works without JavaScript. Drawing needs a browser (Mermaid measures text in a real layout
// engine); mermaid-isomorphic drives Chromium through Playwright.
import { existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMermaidRenderer } from 'mermaid-isomorphic';
import { chromium, type Browser, type BrowserContextOptions, type BrowserType } from 'playwright-core';
import { CACHE_FILE, diagramHash, svgFileName } from './cache.ts';
import { diagramLabel, mermaidTheme, THEMES } from './describe.ts';
import type { FoundDiagram } from './find.ts';

/** Same flags as tests/site/harness.ts: without the networking ones Chromium keeps trying to reach outside hosts. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface UpdateOptions {
  diagrams: FoundDiagram[];
  cacheDir: string;
  chromiumPath: string;
  log: (line: string) => void;
}

export interface UpdateResult {
  /** Diagrams (distinct sources) that already had both pictures. */
  cached: number;
  drawn: FoundDiagram[];
  /** Diagrams left without pictures because there is no browser: their pages draw them in the browser. */
  fallback: FoundDiagram[];
  failed: { diagram: FoundDiagram; error: string }[];
  /** Cache files deleted because no diagram uses them. */
  removed: string[];
}

const where = (d: FoundDiagram): string => `${d.file}:${d.line}`;

/**
 * Make a picture fit an <img>: Mermaid writes width="100%" and style="max-width: 650px", which in an <img>
 * leave it without a natural size. Set width and height to the viewBox size instead; the page's CSS decides
 * how it scales (custom.css, "Diagrams" block).
 */
export function prepareSvg(svg: string): string {
  return svg.replace(/<svg\b[^>]*>/, (root) => {
    const box = /\sviewBox="([^"]*)"/.exec(root)?.[1]?.trim().split(/[\s,]+/).map(Number);
    const [width, height] = [box?.[2] ?? NaN, box?.[3] ?? NaN];
    if (!(width > 0 && height > 0)) return root;
    const rest = root
      .replace(/\s(width|height)="[^"]*"/g, '')
      .replace(/\sstyle="([^"]*)"/, (_all, style: string) => {
        const kept = style.split(';').map((s) => s.trim()).filter((s) => s !== '' && !/^max-width\s*:/.test(s));
        return kept.length > 0 ? ` style="${kept.join('; ')}"` : '';
      });
    return rest.replace(/^<svg/, `<svg width="${width}" height="${height}"`);
  });
}

/** Delete cache files (and only files named like them) whose hash no diagram has. */
function removeUnused(cacheDir: string, used: Set<string>): string[] {
  if (!existsSync(cacheDir)) return [];
  const unused = readdirSync(cacheDir).filter((name) => {
    const hash = CACHE_FILE.exec(name)?.[1];
    return hash !== undefined && !used.has(hash);
  });
  for (const name of unused) unlinkSync(join(cacheDir, name));
  return unused.sort();
}

/**
 * One Chromium for every drawing. mermaid-isomorphic launches a browser per batch and closes it when no
 * batch is running; handing it this stand-in keeps ours open across the batches. It still opens a context
 * per batch and closes it without waiting: done() waits for those before the browser may close.
 */
function sharedBrowserType(browser: Browser): { browserType: BrowserType; done(): Promise<unknown> } {
  const closed: Promise<unknown>[] = [];
  const stayOpen = {
    newContext: async (options: BrowserContextOptions) => {
      const context = await browser.newContext(options);
      closed.push(new Promise((resolve) => context.once('close', resolve)));
      return context;
    },
    close: async () => undefined,
  };
  return {
    browserType: { launch: async () => stayOpen } as unknown as BrowserType,
    done: () => Promise.all(closed),
  };
}

export async function updateCache({ diagrams, cacheDir, chromiumPath, log }: UpdateOptions): Promise<UpdateResult> {
  const byHash = new Map<string, FoundDiagram>();
  for (const d of diagrams) if (!byHash.has(diagramHash(d.source))) byHash.set(diagramHash(d.source), d);
  const removed = removeUnused(cacheDir, new Set(byHash.keys()));
  if (removed.length > 0) log(`diagrams: removed ${removed.length} picture(s) no diagram uses: ${removed.join(', ')}`);

  const missing = [...byHash].filter(([hash]) => !THEMES.every((t) => existsSync(join(cacheDir, svgFileName(hash, t)))));
  const result: UpdateResult = { cached: byHash.size - missing.length, drawn: [], fallback: [], failed: [], removed };
  if (missing.length === 0) {
    log(`diagrams: all ${byHash.size} diagrams are drawn (${cacheDir})`);
    return result;
  }

  let browser: Browser;
  try {
    if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}`);
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  } catch (e) {
    result.fallback = missing.map(([, d]) => d);
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    log(
      `diagrams: cannot draw (${why}; set CHROMIUM_PATH to a Chromium), so ${missing.length} diagram(s) will be drawn ` +
        `in the reader's browser instead: ${result.fallback.map(where).join(', ')}`,
    );
    return result;
  }

  const started = Date.now();
  const shared = sharedBrowserType(browser);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const render = createMermaidRenderer({ browserType: shared.browserType });
    // One batch per page: a batch loads Mermaid into a browser page once (~2 s); a diagram then takes ~0.1 s.
    const pages = new Map<string, [string, FoundDiagram][]>();
    for (const entry of missing) pages.set(entry[1].file, [...(pages.get(entry[1].file) ?? []), entry]);
    for (const [i, [file, batch]] of [...pages].entries()) {
      log(`diagrams: [${i + 1}/${pages.size}] ${file}: drawing ${batch.length} diagram(s) in light and dark`);
      const sources = batch.map(([, d]) => d.source);
      const drawings = await Promise.all(
        THEMES.map((theme) => render(sources, { mermaidConfig: { securityLevel: 'strict', ...mermaidTheme(theme) } })),
      );
      batch.forEach(([hash, diagram], k) => {
        const svgs = drawings.map((d) => d[k]);
        const problem = svgs.find((s) => s?.status !== 'fulfilled');
        if (problem) {
          const reason: unknown = problem.status === 'rejected' ? problem.reason : 'no picture';
          const error = reason instanceof Error ? reason.message : String(reason);
          result.failed.push({ diagram, error });
          log(`diagrams: ${where(diagram)}: could not draw ${diagramLabel(diagram.source)}: ${error}`);
          return;
        }
        THEMES.forEach((theme, t) => {
          const svg = svgs[t];
          if (svg?.status === 'fulfilled') writeFileSync(join(cacheDir, svgFileName(hash, theme)), prepareSvg(svg.value.svg));
        });
        result.drawn.push(diagram);
      });
    }
  } finally {
    await shared.done();
    await browser.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(
    `diagrams: drew ${result.drawn.length} diagram(s) in light and dark in ${seconds} s; ${result.cached} already drawn` +
      (result.failed.length > 0 ? `; ${result.failed.length} FAILED (see above)` : ''),
  );
  return result;
}
