// What the chat bench measured: the raw figures as JSON (tests/bench/results/chat.json) and a page part
// (docs/real-time/parts/chat-bench.md) that Session 7 includes with <!--@include: ./parts/chat-bench.md-->:
// a chart (messages delivered per second flat out; p50 / p99 latency at a fixed load) and the table behind it.
// The part is generated: edit this file, not it.
//
// The part is rendered by VitePress, i.e. compiled as a Vue template: every tag is closed, no "{{", and the
// inline SVG is one HTML block with no blank line inside. Everything here except writeChatReport and
// renderSavedChatReport is pure, and tested in chat-report.test.ts.

import path from 'node:path';
import { percentiles, type Percentiles } from './load.ts';
import { renderSavedReportFiles, writeReportFiles, type ReportFiles } from './report-files.ts';
import { escapeXml, int, msText, ratio, ratioText } from './store-report.ts';
import type { RunResult } from './chat-load.ts';

export type SystemKey = 'one-server' | 'bus' | 'redis' | 'bus-fsync' | 'redis-fsync';
export type Phase = 'rate' | 'closed';

/** One measured window of one system: the workers' results added up. */
export interface PhaseResult {
  sent: number;
  sendsPerSec: number; // messages sent (and sequenced) per second inside the window
  deliveredPerSec: number; // copies that reached a subscriber per second inside the window
  latency: Percentiles & { p90: number; max: number }; // send -> each subscriber, ms
  expectedCopies: number;
  receivedCopies: number;
  missing: number; // copies of window messages that never arrived (within the drain)
  duplicates: number;
  refused: number; // sends refused with an error frame (not counted as sent)
  gaveUp: number; // closed loop: a client stopped waiting for its own copy and sent the next

  errors: Record<string, number>;
  closes: Record<string, number>;
  /** CPU used during the window, in % of one core, per process role (s1, s2, bus, redis, load generator). */
  cpu: Record<string, number>;
  /** How busy the whole machine was during the window (all programs, also those not ours), % of all cores. */
  machineBusy: number;
  /** What limited this window, in words (see bottleneck()). */
  bottleneck: string;
}

export interface SystemRun {
  key: SystemKey;
  label: string; // "course bus", "Redis", "one server (course bus)"
  servers: number;
  bus: string; // what the bus was, e.g. "course bus (examples/chat/node/bus-server.ts), memory only"
  version: string | null; // redis-server's version for Redis
  connectMs: number;
  phases: Partial<Record<Phase, PhaseResult>>;
  /** What the system's processes said during the run, counted ("s1 lost the bus", "s1 closed a client 4000"). */
  events: Record<string, number>;
}

export interface ChatBenchReport {
  date: string;
  command: string;
  note?: string;
  machine: { cpu: string; cores: number; memory: string; os: string; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  settings: {
    clients: number;
    rooms: number;
    perRoom: number;
    workers: number;
    textChars: number;
    warmupMs: number;
    durationMs: number;
    drainMs: number;
    perClientPerSec: number; // the fixed load ('rate')
    maxPerClientPerSec: number; // the cap of the closed loop ('closed'), below the servers' 20 frames/s
    rateLimitPerSec: number; // the servers' own limit, unchanged
    durable: boolean; // whether the fsync pair was measured too
  };
  systems: SystemRun[];
  seconds: number;
}

/** How each system is named on the page (also for a report saved before a label changed). */
export const LABELS: Record<SystemKey, string> = {
  'one-server': 'one server (course bus in memory)',
  bus: 'course bus in memory, 2 servers',
  redis: 'Redis in memory, 2 servers',
  'bus-fsync': 'course bus with fsync, 2 servers',
  'redis-fsync': 'Redis with fsync, 2 servers',
};
export const nameOf = (s: Pick<SystemRun, 'key' | 'label'>): string => LABELS[s.key] ?? s.label;

// ---- figures from the workers' results ----------------------------------------------------------------

/** Adds up the workers' results of one window. `cpu` is the CPU % of one core of each server-side process. */
export function summarize(results: RunResult[], cpu: Record<string, number>, machineBusy = NaN, cores = 2): PhaseResult {
  const windowMs = Math.max(1, ...results.map((r) => r.windowMs));
  const sum = (f: (r: RunResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const merge = (pick: (r: RunResult) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(pick(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const all = results.flatMap((r) => r.latencies);
  const p = percentiles(all);
  const sorted = Float64Array.from(all).sort();
  const p90 = sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]!;
  const max = sorted.length === 0 ? NaN : sorted[sorted.length - 1]!;
  const expectedCopies = sum((r) => r.expectedCopies);
  const receivedCopies = sum((r) => r.receivedCopies);
  const withLoad = { ...cpu, 'load generator': round1((sum((r) => r.cpuMs) / windowMs) * 100) };
  const perWorker = results.map((r) => round1((r.cpuMs / windowMs) * 100));
  return {
    sent: sum((r) => r.sent),
    sendsPerSec: (sum((r) => r.sent) / windowMs) * 1000,
    deliveredPerSec: (sum((r) => r.deliveredInWindow) / windowMs) * 1000,
    latency: { ...p, p90, max },
    expectedCopies,
    receivedCopies,
    missing: expectedCopies - receivedCopies,
    duplicates: sum((r) => r.duplicates),
    refused: sum((r) => r.refused),
    gaveUp: sum((r) => r.gaveUp),
    errors: merge((r) => r.errors),
    closes: merge((r) => r.closes),
    cpu: withLoad,
    machineBusy: round1(machineBusy),
    bottleneck: bottleneck(cpu, perWorker, machineBusy, cores),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** A Node process (and Redis) runs its work on one thread: near 100% of a core, it is what limits. */
export const BUSY = 85;

/**
 * What limited a window, from the CPU each process used (in % of one core) and how busy the whole machine was
 * (% of all its cores): a server-side process near a full core; a load-generator process near a full core;
 * the machine's cores full (between the bench's processes and any other program running); or nothing busy
 * (then the time went to waiting: the disk, the closed loop's round trips).
 */
export function bottleneck(system: Record<string, number>, workers: number[], machineBusy = NaN, cores = 2): string {
  const hot = Object.entries(system).filter(([, v]) => v >= BUSY).sort((a, b) => b[1] - a[1]);
  const hotWorkers = workers.filter((w) => w >= BUSY);
  const ours = Object.values(system).reduce((a, b) => a + b, 0) + workers.reduce((a, b) => a + b, 0);
  const name = (entries: [string, number][]) => entries.map(([k, v]) => `${k} at ${Math.round(v)}%`).join(', ');
  if (hot.length > 0 && hotWorkers.length === 0) return `the system (${name(hot)} of a core)`;
  if (hot.length > 0) return `both (${name(hot)} and a load generator at ${Math.round(Math.max(...hotWorkers))}% of a core)`;
  if (hotWorkers.length > 0) return `the load generator (a process at ${Math.round(Math.max(...hotWorkers))}% of a core)`;
  const others = Number.isFinite(machineBusy) ? Math.max(0, (machineBusy * cores) - ours) : NaN;
  if (Number.isFinite(machineBusy) && machineBusy >= 90) {
    return `the machine: its ${cores} cores were ${Math.round(machineBusy)}% busy, the bench's processes using ${Math.round(ours)}% of a core and other programs ${Math.round(others)}%`;
  }
  return `no process was CPU-bound (the bench's processes used ${Math.round(ours)}% of a core, of ${cores * 100}%)`;
}

/** CPU time per message sent, in µs, per process role: how much work a message costs each process. */
export function cpuPerMessage(p: Pick<PhaseResult, 'cpu' | 'sendsPerSec'>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [role, percent] of Object.entries(p.cpu)) out[role] = p.sendsPerSec > 0 ? ((percent / 100) * 1e6) / p.sendsPerSec : NaN;
  return out;
}

// ---- formatting ----------------------------------------------------------------------------------------

const latencyText = (p: Percentiles) => `${msText(p.p50)} / ${msText(p.p99)}`;
const counts = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${int(v)}× ${k}`).join(', ');

/** The two systems compared (course bus vs Redis, two servers each), in memory or with fsync. */
export function pairs(r: Pick<ChatBenchReport, 'systems'>): { bus: SystemRun; redis: SystemRun; durable: boolean }[] {
  const find = (k: SystemKey) => r.systems.find((s) => s.key === k);
  const out: { bus: SystemRun; redis: SystemRun; durable: boolean }[] = [];
  for (const [b, x, durable] of [['bus', 'redis', false], ['bus-fsync', 'redis-fsync', true]] as const) {
    const bus = find(b);
    const redis = find(x);
    if (bus !== undefined && redis !== undefined) out.push({ bus, redis, durable });
  }
  return out;
}

/** course bus ÷ Redis: delivered/s flat out (higher is better), p50 and p99 at the fixed load (lower is better). */
export function ratios(bus: SystemRun, redis: SystemRun): { delivered: number | null; p50: number | null; p99: number | null } {
  return {
    delivered: ratio(bus.phases.closed?.deliveredPerSec ?? NaN, redis.phases.closed?.deliveredPerSec ?? NaN),
    p50: ratio(bus.phases.rate?.latency.p50 ?? NaN, redis.phases.rate?.latency.p50 ?? NaN),
    p99: ratio(bus.phases.rate?.latency.p99 ?? NaN, redis.phases.rate?.latency.p99 ?? NaN),
  };
}

/** The table: one row per system; the fixed load and flat out side by side. */
export function table(r: Pick<ChatBenchReport, 'systems' | 'settings'>): string[] {
  const s = r.settings;
  const offered = int(s.clients * s.perClientPerSec);
  const lines = [
    `| system | fixed load (${offered} sent/s): copies delivered/s | p50 / p99 ms | flat out: sent/s | copies delivered/s | p50 / p99 ms | what limited flat out |`,
    '|---|--:|--:|--:|--:|--:|---|',
  ];
  for (const sys of r.systems) {
    const rate = sys.phases.rate;
    const closed = sys.phases.closed;
    const lost = (p: PhaseResult) => (p.missing > 0 ? ` (${int(p.missing)} missing)` : '');
    lines.push(
      `| ${escapeXml(nameOf(sys))} | ` +
        (rate === undefined ? '– | – | ' : `${int(rate.deliveredPerSec)}${lost(rate)} | ${latencyText(rate.latency)} | `) +
        (closed === undefined ? '– | – | – | – |' : `${int(closed.sendsPerSec)} | ${int(closed.deliveredPerSec)}${lost(closed)} | ${latencyText(closed.latency)} | ${escapeXml(closed.bottleneck)} |`),
    );
  }
  return lines;
}

/** The ratios as lines of text (printed by the bench and shown under the table). */
export function ratioLines(r: Pick<ChatBenchReport, 'systems'>): string[] {
  return pairs(r).map(({ bus, redis, durable }) => {
    const q = ratios(bus, redis);
    return (
      `course bus ÷ Redis${durable ? ' (both with fsync)' : ' (both in memory)'}: ${ratioText(q.delivered)} the copies delivered/s flat out; ` +
      `${ratioText(q.p50)} the p50 and ${ratioText(q.p99)} the p99 latency at the fixed load`
    );
  });
}

// ---- the chart ------------------------------------------------------------------------------------------

const BAR_STYLES = [
  'fill: var(--vp-c-brand-1, #3451b2)',
  'fill: var(--vp-c-brand-soft, rgba(100, 108, 255, 0.14)); stroke: var(--vp-c-brand-1, #3451b2); stroke-width: 2; stroke-dasharray: 5 3',
  'fill: var(--vp-c-bg, transparent); stroke: currentColor; stroke-width: 1.5',
];

/**
 * Two panels of horizontal bars, one row per system: copies delivered per second flat out (higher is better),
 * and p50 (solid) / p99 (outlined) latency at the fixed load (lower is better). Colours only from CSS
 * variables and currentColor, so it follows light and dark mode; every figure is also in the description.
 */
export function chart(r: Pick<ChatBenchReport, 'systems' | 'settings'>): string {
  const width = 600;
  const labelWidth = 200;
  const barMax = width - labelWidth - 80;
  const row = 24;
  const systems = r.systems;
  const id = 'chat-bench';
  const parts: string[] = [];
  let y = 0;
  const offered = int(r.settings.clients * r.settings.perClientPerSec);

  // panel 1: delivered/s flat out
  parts.push(`<text x="0" y="${y + 16}" font-size="13" font-weight="600">Copies delivered per second, flat out (higher is better)</text>`);
  y += 28;
  const maxDelivered = Math.max(1, ...systems.map((s) => s.phases.closed?.deliveredPerSec ?? 0));
  for (const s of systems) {
    const v = s.phases.closed?.deliveredPerSec ?? NaN;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end" font-size="12">${escapeXml(nameOf(s))}</text>`);
    if (Number.isFinite(v)) {
      const w = Math.max(1, (v / maxDelivered) * barMax);
      parts.push(`<rect data-value="${Math.round(v)}" x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${row - 8}" style="${BAR_STYLES[0]}" />`);
      parts.push(`<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 16}" font-size="12">${int(v)}</text>`);
    } else parts.push(`<text x="${labelWidth + 6}" y="${y + 16}" font-size="12" font-style="italic">not measured</text>`);
    y += row;
  }
  parts.push(`<line x1="${labelWidth}" y1="${28}" x2="${labelWidth}" y2="${y}" stroke="currentColor" stroke-width="1" />`);

  // panel 2: latency at the fixed load, p50 and p99 per system
  y += 18;
  const panel2 = y;
  parts.push(`<text x="0" y="${y + 16}" font-size="13" font-weight="600">Delivery latency at ${offered} messages/s sent, ms (lower is better)</text>`);
  y += 22;
  parts.push(
    `<rect x="${labelWidth}" y="${y + 2}" width="12" height="12" style="${BAR_STYLES[0]}" />`,
    `<text x="${labelWidth + 18}" y="${y + 13}" font-size="12">p50</text>`,
    `<rect x="${labelWidth + 60}" y="${y + 2}" width="12" height="12" style="${BAR_STYLES[2]}" />`,
    `<text x="${labelWidth + 78}" y="${y + 13}" font-size="12">p99</text>`,
  );
  y += 22;
  const top2 = y;
  const maxLatency = Math.max(1, ...systems.map((s) => s.phases.rate?.latency.p99 ?? 0).filter(Number.isFinite));
  for (const s of systems) {
    const lat = s.phases.rate?.latency;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 22}" text-anchor="end" font-size="12">${escapeXml(nameOf(s))}</text>`);
    if (lat === undefined || !Number.isFinite(lat.p50)) {
      parts.push(`<text x="${labelWidth + 6}" y="${y + 22}" font-size="12" font-style="italic">not measured</text>`);
    } else {
      for (const [k, v, style] of [[0, lat.p50, BAR_STYLES[0]], [1, lat.p99, BAR_STYLES[2]]] as const) {
        const w = Math.max(1, (v / maxLatency) * barMax);
        const by = y + 3 + k * 16;
        parts.push(`<rect data-value="${v}" x="${labelWidth}" y="${by}" width="${w.toFixed(1)}" height="13" style="${style}" />`);
        parts.push(`<text x="${(labelWidth + w + 6).toFixed(1)}" y="${by + 11}" font-size="11">${msText(v)}</text>`);
      }
    }
    y += 38;
  }
  parts.push(`<line x1="${labelWidth}" y1="${top2}" x2="${labelWidth}" y2="${y}" stroke="currentColor" stroke-width="1" />`);
  void panel2;

  const desc =
    'Copies delivered per second flat out: ' +
    systems.map((s) => `${nameOf(s)} ${int(s.phases.closed?.deliveredPerSec ?? NaN)}`).join(', ') +
    `. Delivery latency at ${offered} messages/s sent, p50 / p99 in ms: ` +
    systems.map((s) => `${nameOf(s)} ${s.phases.rate === undefined ? 'not measured' : latencyText(s.phases.rate.latency)}`).join(', ') +
    '.';
  const height = y + 6;
  return [
    `<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" style="max-width: ${width}px; width: 100%; height: auto; color: var(--vp-c-text-1, currentColor)" fill="currentColor" font-family="inherit">`,
    `<title id="${id}-title">Chat: messages delivered per second and delivery latency, course bus and Redis, ${r.settings.clients} clients in ${r.settings.rooms} rooms</title>`,
    `<desc id="${id}-desc">${escapeXml(desc)}</desc>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

// ---- the page part --------------------------------------------------------------------------------------

/** The markdown part: chart, table, ratios, how and where it was measured. No heading (the page has it). */
export function fragment(r: ChatBenchReport): string {
  const s = r.settings;
  const date = r.date.slice(0, 10);
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(', ');
  const buses = r.systems.map((sys) => `${escapeXml(nameOf(sys))}: ${sys.servers} server${sys.servers === 1 ? '' : 's'}, ${escapeXml(sys.bus)}`).join('; ');
  const problems = r.systems.flatMap((sys) =>
    (['rate', 'closed'] as const).flatMap((phase) => {
      const p = sys.phases[phase];
      if (p === undefined) return [];
      const what = [
        p.missing > 0 ? `${int(p.missing)} of ${int(p.expectedCopies)} copies never arrived` : '',
        p.duplicates > 0 ? `${int(p.duplicates)} duplicates` : '',
        p.refused > 0 ? `${int(p.refused)} sends refused (not counted as sent)` : '',
        p.gaveUp > 0 ? `${int(p.gaveUp)} times a client gave up waiting for its own copy` : '',
        Object.keys(p.errors).length > 0 ? `error frames: ${counts(p.errors)}` : '',
        Object.keys(p.closes).length > 0 ? `connections closed: ${counts(p.closes)}` : '',
      ].filter((x) => x !== '');
      return what.length === 0 ? [] : [`${escapeXml(nameOf(sys))}, ${phase === 'rate' ? 'fixed load' : 'flat out'}: ${escapeXml(what.join('; '))}.`];
    }),
  );
  const events = r.systems
    .filter((sys) => Object.keys(sys.events).length > 0)
    .map((sys) => `${escapeXml(nameOf(sys))}: ${escapeXml(counts(sys.events))}.`);
  const cpuLines = r.systems.map((sys) => {
    const c = sys.phases.closed?.cpu ?? {};
    const busy = sys.phases.closed?.machineBusy;
    const per = sys.phases.closed === undefined ? {} : cpuPerMessage(sys.phases.closed);
    return (
      `${escapeXml(nameOf(sys))}: ${Object.entries(c).map(([k, v]) => `${escapeXml(k)} ${Math.round(v)}% (${int(per[k] ?? NaN)} µs)`).join(', ')}` +
      (busy === undefined || !Number.isFinite(busy) ? '' : ` (whole machine ${Math.round(busy)}% busy)`)
    );
  });
  return [
    '<!-- Generated by `npm run bench:chat` (tests/bench/chat-report.ts). Do not edit by hand: run the bench again. -->',
    '',
    chart(r),
    '',
    ...table(r),
    '',
    ...ratioLines(r).map((l) => `- ${escapeXml(l)}`),
    '',
    [
      `Measured ${date} on ${escapeXml(r.machine.cpu)}, ${r.machine.memory} RAM, ${escapeXml(r.machine.os)}, Node ${r.machine.node}, everything on loopback on the same machine. ` +
        `${int(s.clients)} WebSocket clients, ${s.perRoom} in each of ${s.rooms} rooms, each client in one room; with two servers, half of each room's members are on each ` +
        `(so every message crosses the bus). The clients speak the real protocol (hello, join, send with ids, a ping every 5 s), from ${s.workers} load-generator ` +
        `process${s.workers === 1 ? '' : 'es'}, each owning whole rooms so a message's send time and its copies' arrival times come from one clock. ` +
        `A message has ${s.textChars} characters of text; a "copy" is one message reaching one member of its room, the sender included (${s.perRoom} copies per message).`,
      `Fixed load: every client sends ${s.perClientPerSec} message${s.perClientPerSec === 1 ? '' : 's'} a second on its own schedule (${int(s.clients * s.perClientPerSec)} sent/s, ` +
        `${int(s.clients * s.perClientPerSec * s.perRoom)} copies/s offered), latency from send to each copy. Flat out: each client sends its next message as soon as its own ` +
        `copy of the previous one is back (one in flight per client), at most ${s.maxPerClientPerSec} a second, below the servers' rate limit of ${s.rateLimitPerSec} frames/s ` +
        `per connection, which is left as it is. Each window is ${s.durationMs / 1000} s after ${s.warmupMs / 1000} s of warm-up; copies of window messages may still arrive for ${s.drainMs / 1000} s after it.`,
      `The systems: ${buses}. Both buses in memory is like with like: Redis started with --save '' --appendonly no, the course bus without DATA_DIR (so without its fsync)` +
        (s.durable ? '; the "with fsync" rows give the course bus a DATA_DIR (fsync before every answer, group commit) and Redis --appendonly yes --appendfsync always.' : '.'),
      `CPU used flat out, in % of one core (the machine has ${r.machine.cores}) and in brackets per message sent (less disturbed by other programs than the rates): ${cpuLines.join('; ')}. ` +
        `Load average ${load(r.machine.loadAverageAtStart)} at the start, ${load(r.machine.loadAverageAtEnd)} at the end (other programs were running too).`,
      ...problems,
      ...(events.length === 0 ? [] : [`What the servers and buses reported during the run: ${events.join(' ')}`]),
      escapeXml(r.note ?? ''),
    ]
      .filter((x) => x !== '')
      .join('\n\n'),
    '',
    `Your figures will differ: run \`${r.command}\` to measure your machine and regenerate this part.`,
    '',
  ].join('\n');
}

export const RESULTS_FILE = path.join('tests', 'bench', 'results', 'chat.json');
export const FRAGMENT_FILE = path.join('docs', 'real-time', 'parts', 'chat-bench.md');

const FILES: ReportFiles<ChatBenchReport> = { results: RESULTS_FILE, fragment: FRAGMENT_FILE, render: (report) => fragment(report) };

/** Writes both files; returns their paths relative to the repository root. */
export function writeChatReport(report: ChatBenchReport): string[] {
  return writeReportFiles(FILES, report);
}

/** Regenerates the page part from the saved JSON (after a change to this file; no measuring). */
export function renderSavedChatReport(): string {
  return renderSavedReportFiles(FILES);
}

/**
 * The events worth reporting in the system's output: a chat server losing its bus (its clients' sends are
 * refused meanwhile), and clients it closed, by close code (4000 heartbeat timeout, 4008 slow consumer, 1008
 * flooding). Counted per process.
 */
export function systemEvents(outputs: { name: string; lines: string[] }[]): Record<string, number> {
  const events: Record<string, number> = {};
  const add = (key: string) => (events[key] = (events[key] ?? 0) + 1);
  for (const { name, lines } of outputs) {
    for (const line of lines) {
      if (/lost the bus/.test(line)) add(`${name} lost the bus`);
      const closed = /closing client \S+ \((\d+)/.exec(line);
      if (closed !== null) add(`${name} closed a client with ${closed[1]}`);
    }
  }
  return events;
}
