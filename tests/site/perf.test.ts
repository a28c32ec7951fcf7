// Deterministic guards for what made pages slow in the mobile Lighthouse audit (npm run audit:lighthouse,
// tests/perf/lighthouse.ts). The audit's scores are timings and stay out of `npm test`; these checks count
// things instead, so they hold on a busy machine. Each names the measured cause it guards (README "Page speed").
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { distDir, listPages, newContext, settle, startSite, type Site } from './harness.ts';

const built = existsSync(join(distDir, 'index.html'));
const pages = built ? listPages() : [];

/** Render-blocking CSS (every page loads the same stylesheet). Measured 121 KB decoded after the fixes. */
const CSS_BUDGET = 150_000;

function htmlOf(path: string): string {
  const file = path === '/' ? 'index.html' : path.endsWith('/') ? `${path.slice(1)}index.html` : `${path.slice(1)}.html`;
  return readFileSync(join(distDir, file), 'utf8');
}

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

test('no page preloads a web font, and the build ships none', () => {
  // The Inter preload competed with the CSS and JS on a slow link, and its swap moved text (CLS 0.17).
  const preloading = pages.filter((p) => /<link[^>]+as="font"/.test(htmlOf(p)));
  expect(preloading, `pages that preload a font: ${preloading.join(', ')}`).toEqual([]);
  const fonts = readdirSync(join(distDir, 'assets')).filter((f) => /\.(woff2?|ttf|otf)$/.test(f));
  expect(fonts, 'font files in the build (theme/index.ts should import vitepress/theme-without-fonts)').toEqual([]);
});

test(`the render-blocking CSS stays within ${CSS_BUDGET / 1000} KB`, () => {
  // VitePress bundles ALL the site's CSS (every page's, every example's) into one stylesheet in <head>.
  const home = htmlOf('/');
  const links = [...home.matchAll(/<link rel="preload stylesheet" href="([^"]+)"/g)].map((m) => m[1] as string);
  expect(links.length, 'no stylesheet link found in index.html: the check would pass vacuously').toBeGreaterThan(0);
  const bytes = links.reduce((sum, href) => sum + readFileSync(join(distDir, href)).length, 0);
  expect(bytes, `render-blocking CSS is ${bytes} bytes (${links.join(', ')})`).toBeLessThanOrEqual(CSS_BUDGET);
});

describe.each(pages)('page %s', (path) => {
  test('loads no web font and starts without a forced transition-free restyle', async () => {
    const context = await newContext(site.browser, { viewport: { width: 412, height: 823 } });
    try {
      // Record every <style> added while the page starts: VueUse's useDark with disableTransition inserts
      // `*{transition:none!important}` and forces a full style recalc inside hydration.
      await context.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { __addedStyles: string[] }).__addedStyles = seen;
        new MutationObserver((records) => {
          for (const r of records) for (const n of Array.from(r.addedNodes)) if (n.nodeName === 'STYLE') seen.push(n.textContent ?? '');
        }).observe(document, { childList: true, subtree: true });
      });
      const page = await context.newPage();
      const fonts: string[] = [];
      page.on('request', (req) => {
        if (req.resourceType() === 'font') fonts.push(req.url());
      });
      await page.goto(site.server.url + path);
      await settle(page);
      expect(fonts, `${path} downloaded web fonts`).toEqual([]);
      const added = await page.evaluate(() => (window as unknown as { __addedStyles: string[] }).__addedStyles);
      const noTransition = added.filter((css) => /transition\s*:\s*none/.test(css));
      expect(noTransition, `${path}: a transition-disabling <style> was inserted at start-up`).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

test('the stylesheet has no :lang() rule (it would restyle every element when VitePress sets <html lang>)', () => {
  // VitePress sets document.documentElement.lang once the app mounts. With any :lang() rule in the page,
  // Chromium then invalidates and restyles every element: ~6,000 on Session 2, inside the hydration task
  // (Lighthouse TBT ~400 ms). .vitepress/config.ts drops VitePress's :lang() rules (English-only site).
  const css = readdirSync(join(distDir, 'assets')).filter((f) => f.endsWith('.css'));
  expect(css.length, 'no CSS in the build: the check would pass vacuously').toBeGreaterThan(0);
  const withLang = css.filter((f) => readFileSync(join(distDir, 'assets', f), 'utf8').includes(':lang('));
  expect(withLang, `stylesheets with a :lang() rule: ${withLang.join(', ')}`).toEqual([]);
});
