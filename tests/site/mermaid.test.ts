// Every ```mermaid block on every page becomes an SVG, in light and in dark mode, and follows the toggle.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { diagrams, HAS_DIAGRAM, newContext, pagesWhoseHtmlMatches, report, settle, startSite, watchProblems, type DiagramInfo, type Site } from './harness.ts';

const pagesWithDiagrams = pagesWhoseHtmlMatches(HAS_DIAGRAM);

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

function problemsWith(list: DiagramInfo[], theme: 'default' | 'dark'): string[] {
  return list.flatMap((d, i) => {
    const out: string[] = [];
    if (d.error) out.push(`diagram ${i + 1}: shows an error: ${d.error}`);
    else if (d.state !== 'ready' || !d.hasSvg) out.push(`diagram ${i + 1}: not drawn (state ${d.state})`);
    if (d.theme !== theme) out.push(`diagram ${i + 1}: drawn with theme ${d.theme}, expected ${theme}`);
    if (d.hasSvg && (d.role !== 'img' || !d.label)) out.push(`diagram ${i + 1}: SVG lacks role="img" and an aria-label`);
    return out;
  });
}

async function allDrawnWith(page: Page, theme: string): Promise<void> {
  await page.waitForFunction(
    (t) => {
      const els = Array.from(document.querySelectorAll('.mermaid-diagram'));
      return els.every((el) => el.getAttribute('data-mermaid-theme') === t && el.getAttribute('data-mermaid-state') !== 'loading');
    },
    theme,
    { timeout: 90_000, polling: 200 },
  );
}

test('the site has Mermaid diagrams to check', () => {
  expect(pagesWithDiagrams.length, 'no built page contains a Mermaid diagram').toBeGreaterThan(0);
});

describe.each(pagesWithDiagrams)('diagrams on %s', (path) => {
  test('render in light mode, then re-render when the dark-mode switch is clicked', async () => {
    const context = await newContext(site.browser, { appearance: 'light' });
    try {
      const page = await context.newPage();
      const errors = watchProblems(page);
      await page.goto(site.server.url + path);
      await settle(page);
      const light = await diagrams(page);
      expect(light.length).toBeGreaterThan(0);
      expect(problemsWith(light, 'default'), report({ [`${path} (light)`]: problemsWith(light, 'default') })).toEqual([]);

      // The switch in the desktop nav bar (VitePress's VPSwitchAppearance).
      await page.locator('.VPNavBarAppearance .VPSwitchAppearance').click();
      await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
      await allDrawnWith(page, 'dark');
      const dark = await diagrams(page);
      const darkProblems = problemsWith(dark, 'dark');
      dark.forEach((d, i) => {
        if (d.svgHash === light[i]?.svgHash) darkProblems.push(`diagram ${i + 1}: SVG unchanged after switching to dark mode`);
      });
      expect(darkProblems, report({ [`${path} (after toggle)`]: darkProblems })).toEqual([]);
      expect(errors, report({ [path]: errors })).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('render in dark mode when the page is opened dark', async () => {
    const context = await newContext(site.browser, { appearance: 'dark' });
    try {
      const page = await context.newPage();
      const errors = watchProblems(page);
      await page.goto(site.server.url + path);
      await settle(page);
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
      const dark = await diagrams(page);
      expect(problemsWith(dark, 'dark'), report({ [`${path} (dark)`]: problemsWith(dark, 'dark') })).toEqual([]);
      expect(errors, report({ [path]: errors })).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
