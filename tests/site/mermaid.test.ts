// Every ```mermaid diagram on the built site is a picture drawn at build time (.vitepress/mermaid-fence.ts):
// the page loads no Mermaid JavaScript, shows the light picture in light mode and the dark one in dark mode,
// names and describes each diagram, shows it with JavaScript off, keeps it readable on a phone, and the text
// in the pictures keeps its contrast.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { HAS_DIAGRAM, newContext, pagesWhoseHtmlMatches, report, settle, startSite, watchProblems, type Appearance, type Site } from './harness.ts';

const pagesWithDiagrams = pagesWhoseHtmlMatches(HAS_DIAGRAM);
/** Chunks of the Mermaid library (mermaid.core, flowDiagram-..., cytoscape, dagre, katex) and its API name. */
const MERMAID_URL = /mermaid|Diagram-[A-Z0-9]+\.|cytoscape|dagre|katex/i;
const MERMAID_CODE = 'mermaidAPI';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

interface Shown {
  /** Whether the figure is the static one (a picture drawn at build time), not the browser fallback. */
  drawnAtBuild: boolean;
  /** Which of the two pictures is displayed ('light', 'dark', or 'none' / 'both' when CSS is wrong). */
  shown: string;
  src: string;
  naturalWidth: number;
}

/** Scroll every diagram into view (its pictures are lazy), wait until the shown one has loaded, report. */
async function showAll(page: Page): Promise<Shown[]> {
  const figures = page.locator('.mermaid-diagram');
  const count = await figures.count();
  const out: Shown[] = [];
  for (let i = 0; i < count; i++) {
    const figure = figures.nth(i);
    await figure.scrollIntoViewIfNeeded();
    await figure.evaluate(
      (el) =>
        new Promise<void>((resolve) => {
          const waiting = Array.from(el.querySelectorAll('img')).filter((img) => img.offsetParent !== null && !img.complete);
          if (waiting.length === 0) resolve();
          let left = waiting.length;
          for (const img of waiting) img.addEventListener('loadend' in img ? 'loadend' : 'load', () => --left === 0 && resolve());
          for (const img of waiting) img.addEventListener('error', () => --left === 0 && resolve());
        }),
    );
    out.push(
      await figure.evaluate((el) => {
        const visible = Array.from(el.querySelectorAll('img')).filter((img) => img.offsetParent !== null);
        const kinds = visible.map((img) => (img.classList.contains('mermaid-dark') ? 'dark' : 'light'));
        return {
          drawnAtBuild: el.hasAttribute('data-diagram-hash') && !el.hasAttribute('data-mermaid-state'),
          shown: kinds.length === 1 ? (kinds[0] ?? '') : kinds.length === 0 ? 'none' : 'both',
          src: visible[0]?.currentSrc ?? '',
          naturalWidth: visible[0]?.naturalWidth ?? 0,
        };
      }),
    );
  }
  return out;
}

function problemsWith(list: Shown[], theme: Appearance): string[] {
  return list.flatMap((d, i) => {
    const out: string[] = [];
    if (!d.drawnAtBuild) out.push(`diagram ${i + 1}: not drawn at build time (run \`npm run diagrams\`, then build)`);
    if (d.shown !== theme) out.push(`diagram ${i + 1}: shows ${d.shown} picture(s), expected the ${theme} one`);
    if (!d.src.endsWith(`-${theme}.svg`)) out.push(`diagram ${i + 1}: shows ${d.src || 'nothing'}, expected a -${theme}.svg`);
    if (!(d.naturalWidth > 0)) out.push(`diagram ${i + 1}: picture did not load (${d.src})`);
    return out;
  });
}

/** Record every JavaScript response: its URL, and whether it contains Mermaid's code. */
function watchScripts(page: Page): { url: string; mermaid: Promise<boolean> }[] {
  const scripts: { url: string; mermaid: Promise<boolean> }[] = [];
  page.on('response', (res) => {
    const isJs = res.request().resourceType() === 'script' || /javascript/.test(res.headers()['content-type'] ?? '');
    if (isJs) scripts.push({ url: res.url(), mermaid: res.text().then((t) => t.includes(MERMAID_CODE), () => false) });
  });
  return scripts;
}

async function withPage<T>(context: Promise<BrowserContext>, run: (page: Page) => Promise<T>): Promise<T> {
  const ctx = await context;
  try {
    return await run(await ctx.newPage());
  } finally {
    await ctx.close();
  }
}

test('the site has Mermaid diagrams to check', () => {
  expect(pagesWithDiagrams.length, 'no built page contains a Mermaid diagram').toBeGreaterThan(0);
});

describe.each(pagesWithDiagrams)('diagrams on %s', (path) => {
  test('load no Mermaid JavaScript; the light pictures show in light mode, the dark ones after the switch', () =>
    withPage(newContext(site.browser, { appearance: 'light' }), async (page) => {
      const problems = watchProblems(page);
      const scripts = watchScripts(page);
      await page.goto(site.server.url + path);
      await settle(page);
      const light = await showAll(page);
      expect(light.length).toBeGreaterThan(0);
      expect(problemsWith(light, 'light'), report({ [`${path} (light)`]: problemsWith(light, 'light') })).toEqual([]);

      // The switch in the desktop nav bar (VitePress's VPSwitchAppearance).
      await page.locator('.VPNavBarAppearance .VPSwitchAppearance').click();
      await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
      const dark = await showAll(page);
      expect(problemsWith(dark, 'dark'), report({ [`${path} (after the switch)`]: problemsWith(dark, 'dark') })).toEqual([]);

      await page.waitForLoadState('networkidle');
      const mermaidScripts = [];
      for (const s of scripts) if (MERMAID_URL.test(s.url) || (await s.mermaid)) mermaidScripts.push(s.url);
      expect(mermaidScripts, `${path} loaded Mermaid's JavaScript`).toEqual([]);
      expect(scripts.length, 'no JavaScript seen at all: the check above would pass vacuously').toBeGreaterThan(0);
      expect(problems, report({ [path]: problems })).toEqual([]);
    }));

  test('opened in dark mode, show the dark pictures', () =>
    withPage(newContext(site.browser, { appearance: 'dark' }), async (page) => {
      const problems = watchProblems(page);
      await page.goto(site.server.url + path);
      await settle(page);
      const dark = await showAll(page);
      expect(problemsWith(dark, 'dark'), report({ [`${path} (dark)`]: problemsWith(dark, 'dark') })).toEqual([]);
      expect(problems, report({ [path]: problems })).toEqual([]);
    }));

  test('each diagram has an accessible name and a text description (as Chromium computes them)', () =>
    withPage(newContext(site.browser, { appearance: 'light' }), async (page) => {
      await page.goto(site.server.url + path);
      await settle(page);
      const figures = await page.locator('.mermaid-diagram').count();
      const cdp = await page.context().newCDPSession(page);
      const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
        nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; description?: { value: string } }[];
      };
      const images = nodes.filter((n) => !n.ignored && n.role?.value === 'image');
      const named = images.filter((n) => /^(Flowchart|Sequence diagram|State diagram|[A-Z][\w -]+): \S/.test(n.name?.value ?? ''));
      expect(named.length, `images: ${JSON.stringify(images.map((n) => n.name?.value))}`).toBe(figures);
      const undescribed = named.filter((n) => (n.description?.value ?? '').split(/\s+/).length < 8).map((n) => n.name?.value);
      expect(undescribed, 'diagrams without a description (add an accDescr: line to the diagram)').toEqual([]);
      // And the same words, plus the diagram's source, for everyone: a "Diagram as text" disclosure.
      const asText = await page.locator('.mermaid-diagram details').evaluateAll((els) =>
        els.map((d) => ({ summary: d.querySelector('summary')?.textContent, source: d.querySelector('pre')?.textContent?.length ?? 0 })),
      );
      expect(asText).toHaveLength(figures);
      for (const t of asText) {
        expect(t.summary).toBe('Diagram as text');
        expect(t.source).toBeGreaterThan(10);
      }
    }));

  test('with JavaScript off, every diagram is visible', () =>
    withPage(site.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } }), async (page) => {
      await page.goto(site.server.url + path);
      await page.waitForLoadState('networkidle');
      await expect(page.getByText('Loading diagram').count()).resolves.toBe(0);
      const shown = await showAll(page);
      expect(shown.length).toBeGreaterThan(0);
      expect(problemsWith(shown, 'light'), report({ [`${path} (no JavaScript)`]: problemsWith(shown, 'light') })).toEqual([]);
    }));

  test('on a phone, a wide diagram keeps a readable size and scrolls sideways in its box, reachable by keyboard', () =>
    withPage(newContext(site.browser, { viewport: { width: 375, height: 740 } }), async (page) => {
      await page.goto(site.server.url + path);
      await settle(page);
      await showAll(page);
      const boxes = await page.locator('.mermaid-diagram .mermaid-scroll').evaluateAll((els) =>
        els.map((box) => {
          const img = Array.from(box.querySelectorAll('img')).find((i) => i.offsetParent !== null);
          return {
            shownWidth: img?.getBoundingClientRect().width ?? 0,
            natural: Number(img?.getAttribute('width') ?? 0),
            box: box.clientWidth,
            scrolls: box.scrollWidth > box.clientWidth + 1,
            focusable: box.getAttribute('tabindex') === '0',
          };
        }),
      );
      const problems = boxes.flatMap((b, i) => {
        const out: string[] = [];
        if (b.shownWidth < Math.min(b.natural, b.box) - 1 && b.shownWidth < b.natural * 0.65 - 1) {
          out.push(`diagram ${i + 1}: shrunk to ${Math.round(b.shownWidth)}px of ${b.natural}px (below 65%: unreadable)`);
        }
        if (b.shownWidth > b.box + 1 && !b.scrolls) out.push(`diagram ${i + 1}: wider than its box but the box does not scroll`);
        if (b.scrolls && !b.focusable) out.push(`diagram ${i + 1}: its box scrolls but cannot be focused to scroll it by keyboard`);
        return out;
      });
      expect(problems, report({ [`${path} (375px)`]: problems })).toEqual([]);
    }));

  test.each(['light', 'dark'] as const)('every text in the %s pictures has WCAG AA contrast on what is behind it', (appearance) =>
    withPage(newContext(site.browser, { appearance }), async (page) => {
      await page.goto(site.server.url + path);
      await settle(page);
      // axe cannot look into an <img>, and inline it cannot tell the colour of an SVG shape behind a label
      // ("incomplete"). So: each picture inline on the page's own background, and for every piece of text,
      // its colour against the paint under its centre (HTML backgrounds and SVG fills, blended by opacity).
      const background = await page.locator('.mermaid-diagram').first().evaluate((el) => {
        for (let e: Element | null = el; e; e = e.parentElement) {
          const bg = getComputedStyle(e).backgroundColor;
          if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
        }
        return 'rgb(255, 255, 255)';
      });
      const srcs = await page.locator(`.mermaid-diagram img.mermaid-${appearance}`).evaluateAll((els) => els.map((e) => (e as HTMLImageElement).src));
      expect(srcs.length).toBeGreaterThan(0);
      const findings: string[] = [];
      for (const src of srcs) {
        const svg = await (await page.request.get(src)).text();
        const probe = await page.context().newPage();
        try {
          await probe.setContent(`<!doctype html><html lang="en"><body style="margin:0;background:${background}">${svg}</body></html>`);
          const { checked, low } = await probe.evaluate(lowContrastTexts);
          if (checked === 0) findings.push(`${src.split('/').pop()}: found no text to check`);
          findings.push(...low.map((l) => `${src.split('/').pop()}: ${l}`));
        } finally {
          await probe.close();
        }
      }
      expect(findings, report({ [`${path} (${appearance})`]: findings })).toEqual([]);
    }));
});

/**
 * Runs in the page: every element with its own text (HTML labels inside <foreignObject>, SVG <text>), its
 * colour, and the colour under the middle of it; WCAG contrast below 4.5:1 (3:1 for large text) is reported.
 */
function lowContrastTexts(): { checked: number; low: string[] } {
  type Rgba = [number, number, number, number];
  const parse = (c: string): Rgba | undefined => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m?.[1]) return undefined;
    const [r = 0, g = 0, b = 0, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [r, g, b, a];
  };
  const over = (top: Rgba, under: Rgba): Rgba => {
    const a = top[3];
    return [top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1];
  };
  const luminance = (c: Rgba): number => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a: Rgba, b: Rgba): number => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
    return (x + 0.05) / (y + 0.05);
  };
  const SHAPES = new Set(['rect', 'polygon', 'path', 'circle', 'ellipse']);
  /** The paint an element puts behind text, if any: an HTML background, or an SVG shape's fill. */
  const paint = (el: Element): Rgba | undefined => {
    const style = getComputedStyle(el);
    const opacity = Number(style.opacity);
    let c: Rgba | undefined;
    if (el instanceof HTMLElement) c = parse(style.backgroundColor);
    else if (SHAPES.has(el.tagName.toLowerCase())) {
      c = parse(style.fill);
      if (c) c[3] *= Number(style.fillOpacity);
    }
    if (!c) return undefined;
    c[3] *= opacity;
    return c[3] > 0 ? c : undefined;
  };
  const texts = Array.from(document.querySelectorAll('svg foreignObject *, svg text')).filter((el) =>
    Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== ''),
  );
  const low: string[] = [];
  for (const el of texts) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    const colour = parse(el instanceof HTMLElement ? style.color : style.fill);
    if (!colour) continue;
    const stack = document.elementsFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    let behind: Rgba = parse(getComputedStyle(document.body).backgroundColor) ?? [255, 255, 255, 1];
    for (const layer of stack.slice().reverse()) {
      if ((layer !== el && el.contains(layer)) || layer === document.body || layer === document.documentElement) continue;
      const p = paint(layer);
      if (p) behind = over(p, behind);
    }
    const size = Number.parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const r = ratio(over(colour, behind), behind);
    if (r < (large ? 3 : 4.5)) {
      low.push(`"${(el.textContent ?? '').trim().slice(0, 40)}" ${r.toFixed(2)}:1 (text ${style.color || style.fill} on rgb(${behind.slice(0, 3).map(Math.round).join(', ')}))`);
    }
  }
  return { checked: texts.length, low };
}
