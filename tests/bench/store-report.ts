// What the store bench measured: the raw figures as JSON (tests/bench/results/store.json) and a page part
// (docs/data-store/parts/store-bench.md) that Session 5 includes with <!--@include: ./parts/store-bench.md-->:
// two charts (writes/s per consistency level; the share of requests answered on each side of a partition)
// and the tables behind them. The part is generated: edit this file, not it.
//
// The part is rendered by VitePress, i.e. compiled as a Vue template: every tag is closed, no "{{", and each
// inline SVG is one HTML block with no blank line inside (a blank line would end the block). Everything
// here except writeStoreReport/renderSavedStoreReport is pure, and tested in store-bench.test.ts.

import path from 'node:path';
import { renderSavedReportFiles, writeReportFiles, type ReportFiles } from './report-files.ts';
import type { Percentiles } from './load.ts';
import type { Consistency } from './store-cluster.ts';
import type { Availability, Throughput } from './store-load.ts';

export type System = 'store' | 'etcd';
export type Operation = 'write' | 'read';

/** One load run: one system, one operation at one level, N clients. */
export interface LoadRun {
  system: System;
  op: Operation;
  level: Consistency;
  clients: number;
  result: Throughput;
}

/** One availability measurement: one side of one partition, one system, one mode, one operation. */
export interface AvailabilityRun {
  system: System;
  mode: Consistency; // our store: strong | eventual; etcd: linearizable | serializable (reads only)
  op: Operation;
  cutOff: number; // how many members were cut off (the minority's size)
  side: 'majority' | 'minority';
  members: string[];
  /** null: not measured on this side (why: see the report's partition method for that system). */
  whole: Availability | null; // every request started in the window, which opens at the cut
  settled: Availability | null; // those started after `settledFromMs`
}

export interface StoreBenchReport {
  date: string;
  command: string;
  note?: string;
  machine: { cpu: string; memory: string; os: string; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  versions: { store: string | null; etcd: string | null };
  fsync: { atStart: Percentiles; atEnd: Percentiles };
  settings: {
    members: number;
    clients: number[];
    warmupMs: number;
    writeMs: number;
    readMs: number;
    valueBytes: number;
    timeoutMs: number;
    partitionMs: number;
    settledFromMs: number;
    partitionClients: number; // per side, per mode
  };
  partitionMethods: Partial<Record<System, string>>;
  load: LoadRun[];
  /** The load table's rows: our store at one level beside etcd's counterpart, and the ratio of their ops/s. */
  rows: ComparisonRow[];
  availability: AvailabilityRun[];
  seconds: number;
}

export interface ComparisonRow {
  op: Operation;
  clients: number;
  storeLevel: Consistency;
  etcdLevel: Consistency;
  store: Throughput | null; // null: not measured
  etcd: Throughput | null;
  ratio: number | null; // store ops/s ÷ etcd ops/s
}

/**
 * Which etcd figure each of our levels is compared with. Every etcd write is linearizable, so both of our
 * write levels face it; a strong read faces etcd's linearizable read, an eventual read its serializable one.
 */
export const PAIRS: { op: Operation; store: Consistency; etcd: Consistency }[] = [
  { op: 'write', store: 'strong', etcd: 'linearizable' },
  { op: 'write', store: 'eventual', etcd: 'linearizable' },
  { op: 'read', store: 'strong', etcd: 'linearizable' },
  { op: 'read', store: 'eventual', etcd: 'serializable' },
];

/** The table's rows from the runs: one per pair and client count, in PAIRS order then by clients. */
export function comparisonRows(runs: LoadRun[], clients: number[]): ComparisonRow[] {
  const find = (system: System, op: Operation, level: Consistency, n: number) =>
    runs.find((r) => r.system === system && r.op === op && r.level === level && r.clients === n) ?? null;
  const rows: ComparisonRow[] = [];
  for (const pair of PAIRS) {
    for (const n of clients) {
      const ours = find('store', pair.op, pair.store, n);
      const theirs = find('etcd', pair.op, pair.etcd, n);
      if (ours === null && theirs === null) continue;
      rows.push({
        op: pair.op,
        clients: n,
        storeLevel: pair.store,
        etcdLevel: pair.etcd,
        store: ours?.result ?? null,
        etcd: theirs?.result ?? null,
        ratio: ours === null || theirs === null ? null : ratio(ours.result.opsPerSec, theirs.result.opsPerSec),
      });
    }
  }
  return rows;
}

/** a ÷ b, or null when it means nothing (b zero or either missing). */
export function ratio(a: number, b: number): number | null {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;
}

// ---- formatting -------------------------------------------------------------------------------------

/** 1234.5 -> "1,235". */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** Milliseconds: two decimals below 10, one below 100, none above. */
export function msText(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : int(n);
}

/** "1.23×", "12.3×", "0.0042×"; "–" when there is no ratio. */
export function ratioText(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '–';
  if (r >= 10) return `${r.toFixed(1)}×`;
  if (r >= 0.1) return `${r.toFixed(2)}×`;
  return `${r.toPrecision(2)}×`;
}

/**
 * A share as a percentage that never rounds to a lie: 0.9996 is "99.9%", not "100%", and 0.0004 is "0.1%",
 * not "0%" — 100% and 0% mean every and no request.
 */
export function percentText(share: number): string {
  if (!Number.isFinite(share)) return '–';
  if (share >= 1) return '100%';
  if (share <= 0) return '0%';
  const p = share * 100;
  if (p > 99) return `${(Math.floor(p * 10) / 10).toFixed(1)}%`;
  if (p < 1) return `${(Math.ceil(p * 10) / 10).toFixed(1)}%`;
  return `${Math.round(p)}%`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const latencyText = (p: Percentiles) => `${msText(p.p50)} / ${msText(p.p99)}`;

/** Escapes text for SVG/HTML (etcd's version string or a note could hold anything). */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** How a level is named on the page. */
export function levelName(system: System, level: Consistency): string {
  return system === 'store' ? `our store, ${level}` : `etcd, ${level}`;
}

// ---- the charts ---------------------------------------------------------------------------------------

/** The three write series, told apart by shape as well as colour (solid, tinted with a border, outlined). */
const SERIES = [
  { system: 'store' as const, level: 'strong' as const, label: 'our store, strong', style: 'fill: var(--vp-c-brand-1, #3451b2)' },
  { system: 'store' as const, level: 'eventual' as const, label: 'our store, eventual', style: 'fill: var(--vp-c-brand-soft, rgba(100, 108, 255, 0.14)); stroke: var(--vp-c-brand-1, #3451b2); stroke-width: 2; stroke-dasharray: 5 3' },
  { system: 'etcd' as const, level: 'linearizable' as const, label: 'etcd (always linearizable)', style: 'fill: var(--vp-c-bg, transparent); stroke: currentColor; stroke-width: 1.5' },
];

const svgOpen = (id: string, width: number, height: number) =>
  `<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" style="max-width: ${width}px; width: 100%; height: auto; color: var(--vp-c-text-1, currentColor)" fill="currentColor" font-family="inherit">`;

/** Grouped bars: successful writes per second at each client count, for each series that was measured. */
export function writesChart(r: Pick<StoreBenchReport, 'load' | 'settings'>): string {
  const series = SERIES.filter((s) => r.load.some((run) => run.system === s.system && run.op === 'write' && run.level === s.level));
  const clients = r.settings.clients;
  const value = (s: (typeof SERIES)[number], n: number) =>
    r.load.find((run) => run.system === s.system && run.op === 'write' && run.level === s.level && run.clients === n)?.result.opsPerSec ?? NaN;
  const width = 600;
  const height = 270;
  const left = 16;
  const top = 56;
  const bottom = 40;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...series.flatMap((s) => clients.map((n) => value(s, n))).filter(Number.isFinite));
  const groupWidth = (width - 2 * left) / Math.max(1, clients.length);
  const barWidth = Math.min(52, (groupWidth - 24) / Math.max(1, series.length));
  const parts: string[] = [];
  clients.forEach((n, g) => {
    const center = left + groupWidth * g + groupWidth / 2;
    const x0 = center - (barWidth * series.length + 4 * (series.length - 1)) / 2;
    series.forEach((s, k) => {
      const v = value(s, n);
      const x = x0 + k * (barWidth + 4);
      const h = Number.isFinite(v) ? Math.max(1, (v / max) * plotHeight) : 0;
      const y = top + plotHeight - h;
      if (h > 0) parts.push(`<rect data-value="${Math.round(v)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" style="${s.style}" />`);
      parts.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y - 6).toFixed(1)}" text-anchor="middle" font-size="12">${int(v)}</text>`);
    });
    parts.push(`<text x="${center.toFixed(1)}" y="${height - bottom + 20}" text-anchor="middle" font-size="13">${plural(n, 'client')}</text>`);
  });
  const legend = series.flatMap((s, k) => {
    const x = left + k * 196;
    return [
      `<rect x="${x}" y="8" width="14" height="14" style="${s.style}" />`,
      `<text x="${x + 20}" y="20" font-size="13">${escapeXml(s.label)}</text>`,
    ];
  });
  const desc = clients
    .map((n) => `${plural(n, 'client')}: ` + series.map((s) => `${s.label} ${int(value(s, n))}`).join(', '))
    .join('; ');
  const id = 'store-bench-writes';
  const baseline = top + plotHeight;
  return [
    svgOpen(id, width, height),
    `<title id="${id}-title">Writes per second by consistency level, five nodes with fsync on</title>`,
    `<desc id="${id}-desc">${escapeXml(desc)}.</desc>`,
    ...legend,
    `<text x="${left}" y="42" font-size="12">successful writes per second (higher is better)</text>`,
    ...parts,
    `<line x1="${left}" y1="${baseline}" x2="${width - left}" y2="${baseline}" stroke="currentColor" stroke-width="1" />`,
    '</svg>',
  ].join('\n');
}

/**
 * Horizontal bars, 0–100%: the share of writes answered during the window after the cut, for each partition
 * (one member cut off, two), each side, and each mode. A side that was not measured says so in words.
 */
export function availabilityChart(r: Pick<StoreBenchReport, 'availability' | 'settings'>): string {
  const writes = r.availability.filter((a) => a.op === 'write');
  const modes = SERIES.filter((s) => writes.some((a) => a.system === s.system && a.mode === s.level));
  const cuts = [...new Set(writes.map((a) => a.cutOff))].sort((a, b) => a - b);
  const groups = cuts.flatMap((cut) =>
    (['majority', 'minority'] as const).map((side) => {
      const any = writes.find((a) => a.cutOff === cut && a.side === side && a.system === 'store') ?? writes.find((a) => a.cutOff === cut && a.side === side);
      const size = side === 'majority' ? r.settings.members - cut : cut;
      return { cut, side, title: `${plural(cut, 'member')} cut off: ${side} side (${plural(size, 'member')}${any?.system === 'store' ? `: ${any.members.join(', ')}` : ''})` };
    }),
  );
  const width = 600;
  const labelWidth = 190;
  const barMax = width - labelWidth - 70;
  const rowHeight = 22;
  const groupGap = 30;
  const top = 38;
  const between = 12; // extra space above every group but the first
  const height = top + groups.length * (groupGap + modes.length * rowHeight) + (groups.length - 1) * between + 8;
  const parts: string[] = [];
  const descParts: string[] = [];
  let y = top;
  for (const [index, g] of groups.entries()) {
    if (index > 0) y += between;
    parts.push(`<text x="0" y="${y + 16}" font-size="13" font-weight="600">${escapeXml(g.title)}</text>`);
    y += groupGap;
    // 0% and 100% marks beside each group's bars instead of a box around each bar, so that an outlined bar
    // (etcd's) stays visible at any width
    const bottom = y + modes.length * rowHeight;
    parts.push(
      `<line x1="${labelWidth}" y1="${y}" x2="${labelWidth}" y2="${bottom}" stroke="currentColor" stroke-width="1" />`,
      `<line x1="${labelWidth + barMax}" y1="${y}" x2="${labelWidth + barMax}" y2="${bottom}" style="stroke: var(--vp-c-divider, #ccc); stroke-width: 1; stroke-dasharray: 3 3" />`,
    );
    const said: string[] = [];
    for (const s of modes) {
      const run = writes.find((a) => a.system === s.system && a.mode === s.level && a.cutOff === g.cut && a.side === g.side);
      const share = run?.whole?.share ?? NaN;
      parts.push(`<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" font-size="12">${escapeXml(s.label)}</text>`);
      if (run?.whole == null || !Number.isFinite(share)) {
        parts.push(`<text x="${labelWidth + 6}" y="${y + 15}" font-size="12" font-style="italic">not measured</text>`);
        said.push(`${s.label} not measured`);
      } else {
        const w = Math.max(share > 0 ? 1 : 0, share * barMax);
        if (w > 0) parts.push(`<rect data-value="${share}" x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" style="${s.style}" />`);
        parts.push(`<text x="${labelWidth + barMax + 6}" y="${y + 15}" font-size="12">${percentText(share)}</text>`);
        said.push(`${s.label} ${percentText(share)}`);
      }
      y += rowHeight;
    }
    descParts.push(`${g.title}: ${said.join(', ')}`);
  }
  const id = 'store-bench-availability';
  return [
    svgOpen(id, width, height),
    `<title id="${id}-title">Share of writes answered on each side of a partition, by consistency level</title>`,
    `<desc id="${id}-desc">During the ${(r.settings.partitionMs / 1000).toFixed(0)} s after the cut. ${escapeXml(descParts.join('. '))}.</desc>`,
    `<text x="0" y="16" font-size="12">share of writes answered in the ${(r.settings.partitionMs / 1000).toFixed(0)} s after the cut (the rest were refused or timed out)</text>`,
    `<text x="${labelWidth}" y="${top - 6}" text-anchor="middle" font-size="11">0%</text>`,
    `<text x="${labelWidth + barMax}" y="${top - 6}" text-anchor="middle" font-size="11">100%</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

// ---- the page part ------------------------------------------------------------------------------------

export function loadTable(rows: ComparisonRow[]): string[] {
  const lines = [
    '| operation | clients | our store: ops/s | p50 / p99 ms | etcd: ops/s | p50 / p99 ms | store ÷ etcd |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const row of rows) {
    const what = `${row.op}: ${row.storeLevel} ↔ etcd ${row.etcdLevel}`;
    const failed = (t: Throughput) => (t.failed > 0 ? ` (${int(t.failed)} failed)` : '');
    lines.push(
      `| ${what} | ${row.clients} | ` +
        (row.store === null ? '– | – | ' : `${int(row.store.opsPerSec)}${failed(row.store)} | ${latencyText(row.store.latency)} | `) +
        (row.etcd === null ? '– | – | ' : `${int(row.etcd.opsPerSec)}${failed(row.etcd)} | ${latencyText(row.etcd.latency)} | `) +
        `${ratioText(row.ratio)} |`,
    );
  }
  return lines;
}

export function availabilityTable(r: Pick<StoreBenchReport, 'availability' | 'settings'>): string[] {
  const whole = `0–${(r.settings.partitionMs / 1000).toFixed(0)} s`;
  const settled = `${(r.settings.settledFromMs / 1000).toFixed(0)}–${(r.settings.partitionMs / 1000).toFixed(0)} s`;
  const lines = [
    `| system, mode | cut off | side | writes answered, ${whole} (${settled}) | reads answered, ${whole} (${settled}) |`,
    '|---|--:|---|--:|--:|',
  ];
  const keys = [...new Map(r.availability.map((a) => [`${a.system}|${a.mode}|${a.cutOff}|${a.side}`, a])).values()];
  const cell = (a: AvailabilityRun | undefined) =>
    a === undefined ? '–' : a.whole === null ? 'not measured' : `${percentText(a.whole.share)} (${a.settled === null ? '–' : percentText(a.settled.share)})`;
  for (const k of keys) {
    const same = (op: Operation) => r.availability.find((a) => a.system === k.system && a.mode === k.mode && a.cutOff === k.cutOff && a.side === k.side && a.op === op);
    const members = k.members.length > 0 ? ` (${k.members.join(', ')})` : '';
    lines.push(`| ${levelName(k.system, k.mode)} | ${k.cutOff} | ${k.side}${members} | ${cell(same('write'))} | ${cell(same('read'))} |`);
  }
  return lines;
}

/** The markdown part: charts, tables, where and how it was measured. No heading (the page has it). */
export function fragment(r: StoreBenchReport): string {
  const date = r.date.slice(0, 10);
  const s = r.settings;
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(', ');
  const fsync = (p: Percentiles) => `${msText(p.p50)} / ${msText(p.p99)}`;
  // Text from outside this file is escaped: a "<" in it would be read as a tag by markdown and Vue.
  const methods = (Object.entries(r.partitionMethods) as [System, string][]).map(([system, how]) => `${system === 'store' ? 'Our store' : 'etcd'}: ${escapeXml(how)}.`);
  return [
    '<!-- Generated by `npm run bench:store` (tests/bench/store-report.ts). Do not edit by hand: run the bench again. -->',
    '',
    writesChart(r),
    '',
    ...loadTable(r.rows),
    '',
    ...(r.availability.length === 0 ? [] : [availabilityChart(r), '', ...availabilityTable(r), '']),
    [
      `Measured ${date} on ${r.machine.cpu}, ${r.machine.memory} RAM, ${r.machine.os}, Node ${r.machine.node}: ` +
        `${s.members} members of each system on loopback, each with its own data directory, fsync on (${r.versions.etcd ?? 'etcd not installed'}; ` +
        `${r.versions.store ?? 'our store not measured'}). Clients and servers share the machine; each client sends one request at a time ` +
        `over its own keep-alive HTTP connection to one member (client i to member i mod ${s.members}, so both systems forward some requests), ` +
        `values of ${s.valueBytes} bytes. Each load figure is one run of ${s.writeMs / 1000} s (writes) or ${s.readMs / 1000} s (reads) ` +
        `after ${s.warmupMs / 1000} s of warm-up; ops/s counts successful requests only, latencies are theirs.`,
      `An fsync of a 100-byte append took ${fsync(r.fsync.atStart)} ms (p50 / p99) at the start; load average ${load(r.machine.loadAverageAtStart)} at the start, ${load(r.machine.loadAverageAtEnd)} at the end.`,
      escapeXml(r.note ?? ''),
    ]
      .filter((x) => x !== '')
      .join(' '),
    '',
    ...(r.availability.length === 0
      ? []
      : [
          `Availability: during each partition ${plural(s.partitionClients, 'client')} per side and mode alternate a write and a read of random keys ` +
            `(${s.timeoutMs / 1000} s timeout), from the moment of the cut for ${s.partitionMs / 1000} s; "answered" means a success (a read of a missing key counts), ` +
            `anything else (refused, timed out) does not. In brackets: only the requests started ${s.settledFromMs / 1000} s or more after the cut, once elections have settled. ` +
            methods.join(' '),
          '',
        ]),
    `Your figures will differ: run \`${r.command}\` to measure your machine and regenerate this part.`,
    '',
  ].join('\n');
}

export const RESULTS_FILE = path.join('tests', 'bench', 'results', 'store.json');
export const FRAGMENT_FILE = path.join('docs', 'data-store', 'parts', 'store-bench.md');

const FILES: ReportFiles<StoreBenchReport> = { results: RESULTS_FILE, fragment: FRAGMENT_FILE, render: (report) => fragment(report) };

/** Writes both files; returns their paths relative to the repository root. */
export function writeStoreReport(report: StoreBenchReport): string[] {
  return writeReportFiles(FILES, report);
}

/** Regenerates the page part from the saved JSON (after a change to this file; no measuring). */
export function renderSavedStoreReport(): string {
  return renderSavedReportFiles(FILES);
}
