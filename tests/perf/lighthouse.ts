// `npm run audit:lighthouse`: mobile Lighthouse performance scores of the BUILT site (.vitepress/dist).
//
// Serves the build on a free loopback port (tests/site/serve.ts), runs Lighthouse's performance category with
// its defaults (mobile form factor, simulated throttling: a mid-range phone on slow 4G) on the home page and
// every session page, several runs each, and reports the median run. Exits 1 if a page's median score is below
// the threshold (95, the target in issue 6).
//
// Lighthouse scores are timings: they move with the machine's load, so they are NOT part of `npm test` (the
// project's rule: no timing assertions in tests). The deterministic causes found with this script are held by
// tests/site/perf.test.ts instead.
//
//   npm run audit:lighthouse                       home page + session pages, 3 runs each
//   npm run audit:lighthouse -- --all              every page of the build
//   npm run audit:lighthouse -- --page /reference/docker-setup --runs 5
//   npm run audit:lighthouse -- --threshold 90 --details
//
// Options: --all, --page PATH (repeatable; replaces the default set), --runs N (default 3), --threshold N
// (default 95), --details (print the median run's opportunities and diagnostics). CHROME_PATH overrides
// /usr/bin/chromium. Writes tests/perf/results/lighthouse.json (summary) and, per page, the median run's full
// report to tests/perf/results/lhr/ (not committed; open it in https://googlechrome.github.io/lighthouse/viewer/).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Result as LhResult } from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import { CHROMIUM_ARGS, distDir, listPages, repoRoot, requireDist } from '../site/harness.ts';
import { serveStatic } from '../site/serve.ts';
import { sidebar } from '../../.vitepress/site-map.ts';

const resultsDir = fileURLToPath(new URL('./results', import.meta.url));

// Patch one line of Lighthouse's bundled trace engine in memory (see trace-engine-hooks.mjs), then load it.
register('./trace-engine-hooks.mjs', import.meta.url);
const { default: lighthouse } = await import('lighthouse');

// ---------------------------------------------------------------------------------------------------------
// Which pages

/** The session pages, by the sidebar's own words ("Session 1 · ..."), so Parts II–IV are picked up as written. */
export function sessionLinks(items = sidebar): string[] {
  const out: string[] = [];
  const walk = (list: typeof sidebar): void => {
    for (const item of list) {
      if (item.link && /^Session \d+\b/.test(item.text ?? '')) out.push(item.link);
      if (item.items) walk(item.items);
    }
  };
  walk(items);
  return out;
}

/** '/' plus every session page, each checked against the build (a session page missing from dist is an error). */
export function defaultPages(built: string[]): string[] {
  const sessions = sessionLinks();
  const missing = sessions.filter((p) => !built.includes(p));
  if (missing.length > 0) {
    throw new Error(`Session pages in the sidebar but not in the build: ${missing.join(', ')}. Rebuild with \`npm run docs:build\`.`);
  }
  return ['/', ...sessions];
}

// ---------------------------------------------------------------------------------------------------------
// One Lighthouse run

export interface RunFigures {
  score: number; // 0..100
  fcp: number; // ms
  lcp: number; // ms
  tbt: number; // ms
  cls: number;
  si: number; // ms, speed index
  jsBytes: number; // decoded bytes of every script the page fetched during the run
  jsTransfer: number; // bytes over the wire (our server does not compress; a real host would gzip)
}

function num(lhr: LhResult, id: string): number {
  return lhr.audits[id]?.numericValue ?? Number.NaN;
}

export function figures(lhr: LhResult): RunFigures {
  const items = (lhr.audits['network-requests']?.details as { items?: Array<Record<string, unknown>> } | undefined)?.items ?? [];
  let jsBytes = 0;
  let jsTransfer = 0;
  for (const it of items) {
    if (it.resourceType === 'Script') {
      jsBytes += Number(it.resourceSize ?? 0);
      jsTransfer += Number(it.transferSize ?? 0);
    }
  }
  return {
    score: Math.round((lhr.categories.performance?.score ?? 0) * 100),
    fcp: num(lhr, 'first-contentful-paint'),
    lcp: num(lhr, 'largest-contentful-paint'),
    tbt: num(lhr, 'total-blocking-time'),
    cls: num(lhr, 'cumulative-layout-shift'),
    si: num(lhr, 'speed-index'),
    jsBytes,
    jsTransfer,
  };
}

/** What Lighthouse says could be better: opportunities with savings, and failing diagnostics, biggest first. */
export function findings(lhr: LhResult): { id: string; title: string; display: string; savingsMs: number }[] {
  const perf = lhr.categories.performance;
  const ids = new Set((perf?.auditRefs ?? []).map((r) => r.id));
  const out: { id: string; title: string; display: string; savingsMs: number }[] = [];
  for (const id of ids) {
    const a = lhr.audits[id];
    if (!a || a.scoreDisplayMode === 'notApplicable' || a.scoreDisplayMode === 'manual') continue;
    const details = a.details as { type?: string; overallSavingsMs?: number } | undefined;
    const savingsMs = Number(details?.overallSavingsMs ?? (a as { metricSavings?: Record<string, number> }).metricSavings?.LCP ?? 0);
    const failing = a.score !== null && a.score < 0.9;
    if (failing || savingsMs > 0) out.push({ id, title: a.title, display: a.displayValue ?? '', savingsMs });
  }
  return out.sort((x, y) => y.savingsMs - x.savingsMs);
}

async function auditOnce(url: string, chromePath: string): Promise<LhResult> {
  const chrome = await chromeLauncher.launch({
    chromePath,
    chromeFlags: ['--headless=new', ...CHROMIUM_ARGS],
    logLevel: 'silent',
  });
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance'],
      // Everything else stays at Lighthouse's defaults: formFactor 'mobile', screenEmulation for a Moto G
      // Power, throttlingMethod 'simulate' (150 ms RTT, 1.6 Mbps, 4x CPU slowdown).
    });
    if (!result) throw new Error(`Lighthouse returned no result for ${url}`);
    const lhr = result.lhr;
    if (lhr.runtimeError) throw new Error(`Lighthouse could not audit ${url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    return lhr;
  } finally {
    chrome.kill();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reporting

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The run whose score is the median (ties: the one whose LCP is nearest the median LCP). */
function medianRun(runs: RunFigures[]): number {
  const ms = median(runs.map((r) => r.score));
  const ml = median(runs.map((r) => r.lcp));
  let best = 0;
  runs.forEach((r, i) => {
    const b = runs[best] as RunFigures;
    const d = Math.abs(r.score - ms) * 1e6 + Math.abs(r.lcp - ml);
    const db = Math.abs(b.score - ms) * 1e6 + Math.abs(b.lcp - ml);
    if (d < db) best = i;
  });
  return best;
}

const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const kb = (b: number): string => `${(b / 1000).toFixed(0)} KB`;

function table(rows: { page: string; runs: RunFigures[]; median: RunFigures }[], threshold: number): string {
  const head = ['page', 'score', 'runs', 'FCP', 'LCP', 'TBT', 'CLS', 'JS'];
  const body = rows.map((r) => [
    r.page,
    `${r.median.score}${r.median.score < threshold ? ' ✗' : ''}`,
    r.runs.map((x) => x.score).join('/'),
    s1(r.median.fcp),
    s1(r.median.lcp),
    `${Math.round(r.median.tbt)} ms`,
    r.median.cls.toFixed(3),
    kb(r.median.jsBytes),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function chromiumVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      all: { type: 'boolean', default: false },
      page: { type: 'string', multiple: true },
      runs: { type: 'string', default: '3' },
      threshold: { type: 'string', default: '95' },
      details: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const threshold = Number(values.threshold);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  if (!Number.isFinite(threshold)) throw new Error(`--threshold must be a number, got ${values.threshold}`);

  try {
    requireDist();
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const built = listPages();
  const pages = values.page?.length ? values.page : values.all ? built : defaultPages(built);
  for (const p of pages) if (!built.includes(p)) throw new Error(`${p} is not a page of the build (pages: ${built.join(', ')})`);

  const chromePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';
  const lhVersion = (JSON.parse(readFileSync(join(repoRoot, 'node_modules/lighthouse/package.json'), 'utf8')) as { version: string }).version;
  const browser = chromiumVersion(chromePath);
  console.log(`Lighthouse ${lhVersion}, ${browser}, mobile, simulated throttling; ${pages.length} page(s) x ${runs} run(s); threshold ${threshold}`);
  console.log(`Serving ${distDir}`);

  const server = await serveStatic(distDir, { gzip: true });
  const rows: { page: string; runs: RunFigures[]; median: RunFigures; findings: ReturnType<typeof findings>; lcpElement: string }[] = [];
  mkdirSync(join(resultsDir, 'lhr'), { recursive: true });
  try {
    for (const page of pages) {
      const lhrs: LhResult[] = [];
      const figs: RunFigures[] = [];
      for (let i = 1; i <= runs; i++) {
        const t0 = Date.now();
        const load = loadavg()[0] ?? 0;
        let lhr: LhResult | undefined;
        // Headless Chromium now and then reports NO_FCP on a busy machine (it painted nothing it could see):
        // that is not a measurement, so try that run again (twice at most) and say so.
        for (let attempt = 1; !lhr; attempt++) {
          try {
            lhr = await auditOnce(server.url + page, chromePath);
          } catch (e) {
            if (attempt >= 3) throw e;
            console.log(`  ${page} run ${i}/${runs}: ${(e as Error).message.split('\n')[0]}; trying again`);
          }
        }
        const f = figures(lhr);
        lhrs.push(lhr);
        figs.push(f);
        console.log(
          `  ${page} run ${i}/${runs}: score ${f.score}, FCP ${s1(f.fcp)}, LCP ${s1(f.lcp)}, TBT ${Math.round(f.tbt)} ms, ` +
            `CLS ${f.cls.toFixed(3)}, JS ${kb(f.jsBytes)} (${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${load.toFixed(1)})`,
        );
      }
      const m = medianRun(figs);
      const lhr = lhrs[m] as LhResult;
      const med: RunFigures = {
        score: median(figs.map((f) => f.score)),
        fcp: median(figs.map((f) => f.fcp)),
        lcp: median(figs.map((f) => f.lcp)),
        tbt: median(figs.map((f) => f.tbt)),
        cls: median(figs.map((f) => f.cls)),
        si: median(figs.map((f) => f.si)),
        jsBytes: median(figs.map((f) => f.jsBytes)),
        jsTransfer: median(figs.map((f) => f.jsTransfer)),
      };
      const lcpItems = (lhr.audits['largest-contentful-paint-element']?.details as { items?: Array<{ items?: Array<{ node?: { snippet?: string; nodeLabel?: string } }> }> } | undefined)?.items;
      const lcpNode = lcpItems?.[0]?.items?.[0]?.node;
      const lcpElement = lcpNode ? `${lcpNode.snippet ?? ''} ${lcpNode.nodeLabel ? `("${lcpNode.nodeLabel.slice(0, 60)}")` : ''}`.trim() : 'unknown';
      const found = findings(lhr);
      rows.push({ page, runs: figs, median: med, findings: found, lcpElement });
      const file = page === '/' ? 'index' : page.replace(/^\//, '').replace(/\//g, '_');
      writeFileSync(join(resultsDir, 'lhr', `${file}.json`), JSON.stringify(lhr));
      if (values.details) {
        console.log(`  ${page}: LCP element ${lcpElement}`);
        for (const x of found) console.log(`    - ${x.title}${x.display ? `: ${x.display}` : ''}${x.savingsMs > 0 ? ` (saves ~${Math.round(x.savingsMs)} ms)` : ''}`);
      }
    }
  } finally {
    await server.close();
  }

  console.log('\nMedian of the runs (score: median; other columns: median of each figure):\n');
  console.log(table(rows, threshold));
  const failing = rows.filter((r) => r.median.score < threshold);

  const summary = {
    date: new Date().toISOString(),
    lighthouse: lhVersion,
    chromium: browser,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(totalmem() / 1e9) },
    settings: 'mobile form factor, simulated throttling (Lighthouse defaults), performance category only',
    runsPerPage: runs,
    threshold,
    pages: rows.map((r) => ({
      page: r.page,
      median: { ...r.median, fcp: Math.round(r.median.fcp), lcp: Math.round(r.median.lcp), tbt: Math.round(r.median.tbt), si: Math.round(r.median.si) },
      scores: r.runs.map((x) => x.score),
      lcpElement: r.lcpElement,
      findings: r.findings,
    })),
    pass: failing.length === 0,
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'lighthouse.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(`\nWrote ${join(resultsDir, 'lighthouse.json')}`);

  if (failing.length > 0) {
    console.log(`\n${failing.length} page(s) below ${threshold}: ${failing.map((r) => `${r.page} (${r.median.score})`).join(', ')}`);
    console.log('Run with --details to see what Lighthouse suggests for them.');
    return 1;
  }
  console.log(`\nEvery audited page scores at least ${threshold}.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);
