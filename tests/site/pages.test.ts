// Every page of the built site: loads cleanly, stays light on JavaScript, and fits a phone screen.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Response } from 'playwright-core';
import { distDir, listPages, newContext, report, requireDist, settle, startSite, watchProblems, type Site } from './harness.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// Pages are discovered from the build, so new pages are tested without editing this file.
const pages = existsSync(join(distDir, 'index.html')) ? listPages() : [];
/** Budget for EVERY page, diagrams or not (decoded bytes of the JavaScript it runs until an example is started).
 * Diagrams are pictures drawn at build time (.vitepress/mermaid-fence.ts): no page ships Mermaid (~700 KB). */
const JS_BUDGET = 300_000;

let site: Site;
const weights: { page: string; js: number; files: number; diagrams: number }[] = [];

beforeAll(async () => {
  site = await startSite();
});

afterAll(async () => {
  if (weights.length > 0) {
    const kb = (n: number): string => `${(n / 1000).toFixed(1)} KB`;
    console.log(
      `JavaScript weight per page (decoded bytes of all JS fetched until the page settled; budget ${kb(JS_BUDGET)} per page):\n` +
        weights
          .map((w) => `  ${w.page.padEnd(36)} ${kb(w.js).padStart(10)} in ${String(w.files).padStart(2)} files` +
            (w.diagrams > 0 ? `  (${w.diagrams} diagram${w.diagrams === 1 ? '' : 's'})` : '  (no diagram)'))
          .join('\n'),
    );
  }
  await site?.close();
});

test('the site is built', () => {
  requireDist();
  expect(pages).toContain('/');
});

describe.each(pages)('page %s', (path) => {
  test('loads with no console errors, no page errors, and within the JS budget', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      const scripts: Promise<number>[] = [];
      const bodyLength = (res: Response): Promise<number> => res.body().then((b) => b.length, () => 0);
      page.on('response', (res) => {
        // Scripts run (entry, imports, dynamic imports) and any other JavaScript fetched, e.g. a prefetch.
        const isJs = res.request().resourceType() === 'script' || /javascript/.test(res.headers()['content-type'] ?? '');
        if (isJs) scripts.push(bodyLength(res));
      });
      await page.goto(site.server.url + path);
      await settle(page);
      const diagrams = await page.locator('.mermaid-diagram').count();
      const sizes = await Promise.all(scripts);
      const js = sizes.reduce((a, b) => a + b, 0);
      weights.push({ page: path, js, files: sizes.length, diagrams });

      expect(problems, report({ [path]: problems })).toEqual([]);
      expect(js, `${path}: runs ${js} bytes of JavaScript; a page may run at most ${JS_BUDGET}`).toBeLessThanOrEqual(JS_BUDGET);
    } finally {
      await context.close();
    }
  });

  test('fits a phone screen (375x740) without horizontal scrolling', async () => {
    const context = await newContext(site.browser, { viewport: { width: 375, height: 740 } });
    try {
      const page = await context.newPage();
      await page.goto(site.server.url + path);
      await settle(page);
      const { scrollWidth, innerWidth, widest } = await page.evaluate(() => {
        // Name the widest element, so a failure says what to fix.
        let widest = '';
        let max = 0;
        for (const el of Array.from(document.querySelectorAll('body *'))) {
          const r = el.getBoundingClientRect();
          if (r.right > max) {
            max = r.right;
            widest = `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} (right edge ${Math.round(r.right)}px)`;
          }
        }
        return { scrollWidth: document.scrollingElement?.scrollWidth ?? 0, innerWidth: window.innerWidth, widest };
      });
      expect(scrollWidth, `${path}: page is ${scrollWidth}px wide on a ${innerWidth}px screen; widest element: ${widest}`).toBeLessThanOrEqual(innerWidth + 1);
    } finally {
      await context.close();
    }
  });
});
