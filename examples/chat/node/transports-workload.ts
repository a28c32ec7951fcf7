// The pure half of `npm run demo:transports` (transports.ts): the seeded workload every transport gets, the
// maths that sums a run up, a small parser for server-sent events, and the table the demo prints. No sockets,
// no clock, no Math.random: tests/chat/transports.test.ts checks all of it, and the page shows two regions.
import { mulberry32 } from '../../shared/random.ts';

// #region workload
/** One update the server produces: its number (1, 2, 3, ...) and when, in ms after the run starts. */
export interface PlannedUpdate {
  seq: number;
  atMs: number;
}

/**
 * The same workload for every transport: `count` updates whose gaps are drawn from an exponential
 * distribution with the given mean (a Poisson process: mostly short gaps, now and then a long silence, as in
 * a chat room). Seeded, so every transport, and every run with the same seed, gets the same schedule.
 */
export function schedule(seed: number, count: number, meanGapMs: number): PlannedUpdate[] {
  const random = mulberry32(seed);
  const updates: PlannedUpdate[] = [];
  let at = 0;
  for (let seq = 1; seq <= count; seq++) {
    at += -Math.log(1 - random()) * meanGapMs; // random() < 1, so the log is finite
    updates.push({ seq, atMs: Math.round(at * 10) / 10 });
  }
  return updates;
}
// #endregion workload

/** What one update looks like on the wire: its number, when it was produced, and a short chat-like text. */
export interface Update {
  seq: number;
  /** The producer's clock (performance.now() in ms) when it was produced. */
  producedAt: number;
  text: string;
}

export function updateText(seq: number): string {
  return `update ${seq}: the quick brown fox jumps over the lazy dog`;
}

/** What the demo counted for one transport. */
export interface TransportCounts {
  transport: string;
  /** HTTP requests the server received (a WebSocket's opening handshake is one). */
  requests: number;
  /** Requests answered with no update in them: pure overhead. */
  emptyAnswers: number;
  /** Bytes the server's sockets read and wrote: HTTP headers and bodies, WebSocket frames (not TCP/IP headers). */
  bytes: number;
  /** Produce-to-receive delay of each update the client got, in ms. */
  latenciesMs: number[];
  /** How many updates the client got, counting a repeat only once. */
  received: number;
  /** Updates the client got more than once. */
  duplicates: number;
}

// #region summary
/** The p-th percentile (0 < p ≤ 100) by the nearest-rank method: the smallest value with p% at or below it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface TransportSummary {
  transport: string;
  requests: number;
  emptyAnswers: number;
  bytes: number;
  bytesPerUpdate: number;
  received: number;
  expected: number;
  duplicates: number;
  p50Ms: number;
  p99Ms: number;
}

export function summarise(counts: TransportCounts, expected: number): TransportSummary {
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    transport: counts.transport,
    requests: counts.requests,
    emptyAnswers: counts.emptyAnswers,
    bytes: counts.bytes,
    bytesPerUpdate: counts.received === 0 ? 0 : Math.round(counts.bytes / counts.received),
    received: counts.received,
    expected,
    duplicates: counts.duplicates,
    p50Ms: round(percentile(counts.latenciesMs, 50)),
    p99Ms: round(percentile(counts.latenciesMs, 99)),
  };
}
// #endregion summary

/** The summaries as an aligned text table, one row per transport. */
export function formatTable(rows: readonly TransportSummary[]): string {
  const header = ['transport', 'HTTP requests', 'empty answers', 'bytes', 'bytes/update', 'received', 'p50 ms', 'p99 ms'];
  const cells = rows.map((r) => [
    r.transport,
    String(r.requests),
    String(r.emptyAnswers),
    r.bytes.toLocaleString('en-US'),
    String(r.bytesPerUpdate),
    `${r.received}/${r.expected}${r.duplicates > 0 ? ` (+${r.duplicates} dup)` : ''}`,
    Number.isNaN(r.p50Ms) ? '-' : r.p50Ms.toFixed(1),
    Number.isNaN(r.p99Ms) ? '-' : r.p99Ms.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}

/** One event of a server-sent event stream: `id:` and `data:` fields (several data lines join with "\n"). */
export interface SseEvent {
  id?: string;
  data: string;
}

/**
 * Reads a text/event-stream as it arrives, in chunks cut anywhere. Feed it each chunk; it returns the events
 * the chunk completed (an event ends at a blank line). Comments (`:` lines) and other fields are skipped.
 * The rules are the WHATWG HTML standard's "Server-sent events" parsing, reduced to what the demo sends.
 */
export class SseParser {
  private buffer = '';

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const data: string[] = [];
      let id: string | undefined;
      for (const line of block.split(/\r?\n/)) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (data.length > 0) events.push({ ...(id === undefined ? {} : { id }), data: data.join('\n') });
    }
    return events;
  }
}

/** The demo's options, from its command line. Throws with a message on a bad one. */
export interface DemoOptions {
  seed: number;
  updates: number;
  meanGapMs: number;
  pollMs: number;
  json: boolean;
}

export function parseArgs(argv: readonly string[]): DemoOptions {
  const options: DemoOptions = { seed: 1, updates: 50, meanGapMs: 20, pollMs: 100, json: false };
  const numeric: Record<string, keyof Omit<DemoOptions, 'json'>> = {
    '--seed': 'seed',
    '--updates': 'updates',
    '--mean-gap-ms': 'meanGapMs',
    '--poll-ms': 'pollMs',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') {
      options.json = true;
      continue;
    }
    const key = numeric[arg];
    if (key === undefined) throw new Error(`unknown option ${arg} (options: --seed N, --updates N, --mean-gap-ms N, --poll-ms N, --json)`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < (key === 'seed' ? 0 : 1) || value > 100_000) {
      throw new Error(`${arg} needs a whole number${key === 'seed' ? '' : ' from 1'} up to 100000, got ${argv[i] ?? 'nothing'}`);
    }
    options[key] = value;
  }
  return options;
}
