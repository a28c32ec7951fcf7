// Shared set-up for the browser tests: find the built site, serve it, drive Chromium, watch for errors.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serveStatic, type StaticServer } from './serve.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The built site. SITE_DIST overrides it (used to develop these tests against a scratch site). */
export const distDir = resolve(process.env.SITE_DIST ?? join(repoRoot, '.vitepress', 'dist'));

export function requireDist(): void {
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new Error(
      `The built site is missing: ${join(distDir, 'index.html')} does not exist.\n` +
        'Build it first with `npm run docs:build` (`npm test` does this before `npm run test:site`).',
    );
  }
}

/** Every page of the built site as a clean URL path ('/', '/fundamentals/01-what-is-ds'), sorted. */
export function listPages(dir: string = distDir): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'assets') walk(full);
      } else if (name.endsWith('.html') && !(d === dir && name === '404.html')) {
        const rel = relative(dir, full).split(sep).join('/').replace(/\.html$/, '');
        out.push(rel === 'index' ? '/' : '/' + rel.replace(/(^|\/)index$/, '/'));
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** The built pages whose HTML matches re (e.g. the server-rendered placeholder of a component); [] if not built. */
export function pagesWhoseHtmlMatches(re: RegExp): string[] {
  if (!existsSync(join(distDir, 'index.html'))) return [];
  return listPages().filter((p) => {
    const file = p === '/' ? 'index.html' : p.endsWith('/') ? `${p.slice(1)}index.html` : `${p.slice(1)}.html`;
    return re.test(readFileSync(join(distDir, file), 'utf8'));
  });
}

/** Server-rendered markers of the two course components (see .vitepress/theme/components). */
export const HAS_DIAGRAM = /class="mermaid-diagram"/;
export const HAS_QUIZ = /class="quiz"/;

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

export interface Site {
  server: StaticServer;
  browser: Browser;
  pages: string[];
  close(): Promise<void>;
}

/** Serve dist and start Chromium. Call close() in afterAll: it stops both even if one fails. */
export async function startSite(): Promise<Site> {
  requireDist();
  const server = await serveStatic(distDir);
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    server,
    browser,
    pages: listPages(),
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

export type Appearance = 'light' | 'dark';

/**
 * A fresh context (so nothing is cached between pages) with the VitePress appearance preset in localStorage.
 * VitePress reads 'vitepress-theme-appearance' before the first paint ('auto' would follow the OS).
 */
export async function newContext(
  browser: Browser,
  opts: { appearance?: Appearance; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    colorScheme: 'light',
  });
  const appearance = opts.appearance ?? 'light';
  await context.addInitScript((value: string) => {
    try {
      if (!localStorage.getItem('vitepress-theme-appearance')) localStorage.setItem('vitepress-theme-appearance', value);
    } catch {
      /* about:blank has no storage */
    }
  }, appearance);
  return context;
}

/** Everything that went wrong on a page: console errors, uncaught exceptions, failed or 4xx/5xx requests. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location().url;
      problems.push(`console error: ${msg.text()}${where ? ` (at ${where})` : ''}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? 'unknown'})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return problems;
}

/** Wait until every Mermaid diagram on the page has finished (drawn or failed) and the network is quiet. */
export async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: 60_000 });
  await page.waitForFunction(
    () => document.querySelectorAll('[data-mermaid-state="loading"]').length === 0,
    undefined,
    { timeout: 90_000, polling: 200 },
  );
  await page.waitForLoadState('networkidle', { timeout: 60_000 });
}

/**
 * axe-core's serious and critical violations on the page as it is now, one readable entry each (rule, help,
 * the first few elements and why they fail). [] means none.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  return page.evaluate(async () => {
    const w = window as unknown as { axe: typeof axe };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => {
        const nodes = v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`);
        return `[${v.impact}] ${v.id}: ${v.help}\n    ${nodes.join('\n    ')}`;
      });
  });
}

/** Turn a list of per-page failures into one readable assertion message. */
export function report(failures: Record<string, string[]>): string {
  return Object.entries(failures)
    .filter(([, msgs]) => msgs.length > 0)
    .map(([page, msgs]) => `${page}:\n  - ${msgs.join('\n  - ')}`)
    .join('\n');
}
