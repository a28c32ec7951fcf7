// Writes what the bench measured: the raw figures as JSON (tests/bench/results/queue.json) and a short
// page fragment (docs/fundamentals/parts/queue-bench.md) that Session 2 includes in an optional part
// with <!--@include: ./parts/queue-bench.md-->. The fragment is generated: edit this file, not it.
//
// The fragment is rendered by VitePress, i.e. compiled as a Vue template: every tag is closed, no "{{",
// and the inline SVG is one HTML block with no blank line inside (a blank line would end the block).

import path from 'node:path';
import { renderSavedReportFiles, writeReportFiles, type ReportFiles } from './report-files.ts';
import type { LoadResult, Percentiles } from './load.ts';

export type Measured = LoadResult & {
  serverCpuMsPerJob: number | null; // CPU time the server used per job in the measured window
  clientCpuMsPerJob: number; // and the bench process itself (the clients), on the same machine
  fsyncP50Ms?: number; // the disk's fsync latency probed just before the run (absent in older results)
};

export interface Comparison {
  clients: number;
  ours: Measured;
  beanstalkd: Measured | null;
  ratio: number | null; // ours / beanstalkd, jobs per second
  rounds: { ours: number[]; beanstalkd: number[] }; // jobs/s of every round; ours and beanstalkd are the best
}

export interface BenchReport {
  date: string;
  command: string;
  note?: string;
  machine: { cpu: string; memory: string; os: string; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  beanstalkd: string | null;
  /** The disk's fsync latency, probed at the start, between the load and backlog phases, and at the end. */
  fsync?: { atStart: Percentiles; afterLoad: Percentiles; atEnd: Percentiles }; // absent in results from before it was measured
  settings: { clients: number[]; warmupMs: number; durationMs: number; smallBacklog: number; largeBacklog: number; backlogClients: number; rounds: number };
  load: Comparison[];
  backlog: {
    clients: number;
    small: { waiting: number; result: Measured; rounds: number[] };
    large: { waiting: number; result: Measured; rounds: number[] };
    ratio: number; // jobs/s with the small backlog / with the large one; the target is at most 2
  };
  footprint: {
    afterLoad: { jobs: number; rssBytes: number | null; diskBytes: number };
    beanstalkdAfterLoad: { rssBytes: number | null; diskBytes: number } | null;
    withBacklog: { stats: Record<string, number>; rssBytes: number | null; diskBytes: number };
    emptyStartMs: number;
    restartMs: number; // from spawning the broker again until /health answered and /stats matched
    rssAfterRestartBytes: number | null;
  };
  seconds: number;
}

export const RESULTS_FILE = path.join('tests', 'bench', 'results', 'queue.json');
export const FRAGMENT_FILE = path.join('docs', 'fundamentals', 'parts', 'queue-bench.md');

const FILES: ReportFiles<BenchReport> = { results: RESULTS_FILE, fragment: FRAGMENT_FILE, render: (report) => fragment(report) };

/** Writes both files; returns their paths relative to the repository root. */
export function writeReport(report: BenchReport): string[] {
  return writeReportFiles(FILES, report);
}

/** Regenerates the page part from the saved JSON (after a change to this file; no measuring). */
export function renderSavedReport(): string {
  return renderSavedReportFiles(FILES);
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const msText = (n: number) => (!Number.isFinite(n) ? '–' : n < 1 ? n.toFixed(2) : n < 10 ? n.toFixed(1) : Math.round(n).toString());
const mb = (bytes: number | null) => (bytes === null ? '–' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const fsyncText = (p: Percentiles) => `${p.p50.toFixed(2)} / ${p.p99.toFixed(2)}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The markdown fragment: chart, two small tables, where and how it was measured. No heading. */
export function fragment(r: BenchReport): string {
  const cells = (f: (c: Comparison) => string) => `| ${r.load.map(f).join(' | ')} |`;
  const latency = (who: 'ours' | 'beanstalkd', op: 'enqueue' | 'lease' | 'ack') =>
    cells((c) => {
      const m = c[who];
      return m === null ? '–' : `${msText(m.latency[op].p50)} / ${msText(m.latency[op].p99)}`;
    });
  const hasBeanstalkd = r.load.some((c) => c.beanstalkd !== null);
  const loadTable = [
    `| | ${r.load.map((c) => `${c.clients} client${c.clients === 1 ? '' : 's'}`).join(' | ')} |`,
    `|---|${r.load.map(() => '--:').join('|')}|`,
    `| jobs/s, our broker ${cells((c) => int(c.ours.jobsPerSec))}`,
    ...(hasBeanstalkd
      ? [
          `| jobs/s, beanstalkd ${cells((c) => (c.beanstalkd === null ? '–' : int(c.beanstalkd.jobsPerSec)))}`,
          `| ours ÷ beanstalkd ${cells((c) => (c.ratio === null ? '–' : `${c.ratio.toFixed(2)}×`))}`,
        ]
      : []),
    `| enqueue p50 / p99 ms, ours ${latency('ours', 'enqueue')}`,
    ...(hasBeanstalkd ? [`| put, beanstalkd ${latency('beanstalkd', 'enqueue')}`] : []),
    `| lease, ours ${latency('ours', 'lease')}`,
    ...(hasBeanstalkd ? [`| reserve, beanstalkd ${latency('beanstalkd', 'lease')}`] : []),
    `| ack, ours ${latency('ours', 'ack')}`,
    ...(hasBeanstalkd ? [`| delete, beanstalkd ${latency('beanstalkd', 'ack')}`] : []),
    ...(r.load.every((c) => c.ours.fsyncP50Ms !== undefined)
      ? [
          `| disk: fsync p50 ms just before${hasBeanstalkd ? ' (ours / beanstalkd)' : ''} ` +
            cells((c) => [c.ours, c.beanstalkd].flatMap((m) => (m?.fsyncP50Ms === undefined ? [] : [m.fsyncP50Ms.toFixed(2)])).join(' / ')),
        ]
      : []),
  ];
  const b = r.backlog;
  const f = r.footprint;
  const waiting = f.withBacklog.stats.pending ?? b.large.waiting;
  const date = r.date.slice(0, 10);
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(', ');
  return [
    '<!-- Generated by `npm run bench:queue` (tests/bench/report.ts). Do not edit by hand: run the bench again. -->',
    '',
    chart(r),
    '',
    ...loadTable,
    '',
    '| measured | figure |',
    '|---|---|',
    `| jobs/s with ${int(b.small.waiting)} jobs waiting → with ${int(b.large.waiting)} waiting (${b.clients} clients) | ${int(b.small.result.jobsPerSec)} → ${int(b.large.result.jobsPerSec)} (ratio ${b.ratio.toFixed(2)}; target: at most 2) |`,
    `| broker memory (RSS) holding ${int(waiting)} waiting jobs | ${mb(f.withBacklog.rssBytes)} |`,
    `| its data directory on disk | ${mb(f.withBacklog.diskBytes)} |`,
    `| restart after \`kill -9\` until it answers with the same \`/stats\` | ${seconds(f.restartMs)} (an empty broker starts in ${seconds(f.emptyStartMs)}) |`,
    `| after the load runs (${int(f.afterLoad.jobs)} jobs done): memory, disk | ${mb(f.afterLoad.rssBytes)}, ${mb(f.afterLoad.diskBytes)} |`,
    '',
    [
      `Measured ${date} on ${r.machine.cpu}, ${r.machine.memory} RAM, ${r.machine.os}, Node ${r.machine.node}, ` +
        `${r.beanstalkd ?? 'no beanstalkd installed'}; both servers fsync before they answer, clients and servers on the same machine; ` +
        `each throughput is the best of ${r.settings.rounds} run${r.settings.rounds === 1 ? '' : 's'} of ${r.settings.durationMs / 1000} s ` +
        `(load average ${load(r.machine.loadAverageAtStart)} at the start, ${load(r.machine.loadAverageAtEnd)} at the end).`,
      r.fsync === undefined
        ? ''
        : `An fsync of a 100-byte append took ${fsyncText(r.fsync.atStart)} ms (p50 / p99) at the start, ${fsyncText(r.fsync.afterLoad)} after the load runs: ` +
          'beanstalkd -f 0 syncs each put and each delete on its own, so its jobs/s follows that figure; our broker syncs a whole batch at once.',
      r.note ?? '',
    ]
      .filter((sentence) => sentence !== '')
      .join(' '),
    `Your figures will differ: run \`${r.command}\` to measure your machine and regenerate this part.`,
    '',
  ].join('\n');
}

/**
 * Grouped bars: for 1, 8 and 64 clients, our jobs/s (filled, the brand colour) beside beanstalkd's
 * (outlined, the text colour), so the two differ by shape as well as colour. Colours come from
 * VitePress's CSS variables and currentColor, so the chart follows light and dark mode.
 */
export function chart(r: BenchReport): string {
  const width = 560;
  const height = 240;
  const left = 16;
  const top = 34;
  const bottom = 40;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...r.load.flatMap((c) => [c.ours.jobsPerSec, c.beanstalkd?.jobsPerSec ?? 0]));
  const groupWidth = (width - 2 * left) / r.load.length;
  const barWidth = Math.min(64, groupWidth / 3);
  const bar = (value: number, x: number, ours: boolean) => {
    const h = Math.max(1, (value / max) * plotHeight);
    const y = top + plotHeight - h;
    const style = ours ? 'fill: var(--vp-c-brand-1, #3451b2)' : 'fill: var(--vp-c-bg, transparent); stroke: currentColor; stroke-width: 1.5';
    return [
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" style="${style}" />`,
      `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y - 6).toFixed(1)}" text-anchor="middle" font-size="13">${int(value)}</text>`,
    ];
  };
  const parts: string[] = [];
  r.load.forEach((c, i) => {
    const center = left + groupWidth * i + groupWidth / 2;
    parts.push(...bar(c.ours.jobsPerSec, center - barWidth - 2, true));
    if (c.beanstalkd !== null) parts.push(...bar(c.beanstalkd.jobsPerSec, center + 2, false));
    parts.push(`<text x="${center.toFixed(1)}" y="${height - bottom + 20}" text-anchor="middle" font-size="13">${c.clients} client${c.clients === 1 ? '' : 's'}</text>`);
  });
  const baseline = top + plotHeight;
  const summary = r.load
    .map((c) => `${c.clients} client${c.clients === 1 ? '' : 's'}: ours ${int(c.ours.jobsPerSec)}` + (c.beanstalkd === null ? '' : `, beanstalkd ${int(c.beanstalkd.jobsPerSec)}`))
    .join('; ');
  const label = `Jobs per second, enqueue to ack, our broker versus beanstalkd, both with fsync. ${summary}.`;
  return [
    `<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="queue-bench-title" style="max-width: ${width}px; width: 100%; height: auto; color: var(--vp-c-text-1, currentColor)" fill="currentColor" font-family="inherit">`,
    `<title id="queue-bench-title">${label}</title>`,
    `<rect x="${left}" y="8" width="12" height="12" style="fill: var(--vp-c-brand-1, #3451b2)" />`,
    `<text x="${left + 18}" y="18" font-size="13">our broker (jobs/s)</text>`,
    ...(r.load.some((c) => c.beanstalkd !== null)
      ? [
          `<rect x="${left + 170}" y="8" width="12" height="12" style="fill: var(--vp-c-bg, transparent); stroke: currentColor; stroke-width: 1.5" />`,
          `<text x="${left + 188}" y="18" font-size="13">beanstalkd -f 0 (jobs/s)</text>`,
        ]
      : []),
    ...parts,
    `<line x1="${left}" y1="${baseline}" x2="${width - left}" y2="${baseline}" stroke="currentColor" stroke-width="1" />`,
    '</svg>',
  ].join('\n');
}
