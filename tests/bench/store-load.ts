// The store bench's load: N clients, each with its own connection, each sending one request at a time
// (closed loop: N is the number of requests in flight) for a warm-up and then a measured window. Every
// request started inside the window is recorded (when it started, how long it took, whether it was
// answered); the figures are computed from those records by the pure functions at the bottom.

import { percentiles, type Percentiles } from './load.ts';
import type { Answer, KvClient } from './store-cluster.ts';

export interface OpRecord {
  startMs: number; // since the window opened
  ms: number; // latency
  ok: boolean;
  reason?: string; // why not ok
  label?: string; // what kind of request it was, when a loop mixes kinds (e.g. 'write' and 'read')
}

export interface LoopOptions {
  clients: KvClient[];
  warmupMs: number;
  durationMs: number;
  /** The n-th request of client i. */
  op: (client: KvClient, i: number, n: number) => Promise<Answer>;
  /** Labels the n-th request of client i in its record (optional). */
  label?: (i: number, n: number) => string;
  /** A window longer than a few seconds reports progress every `progressMs` (the availability runs). */
  progress?: (elapsedMs: number, records: OpRecord[]) => void;
  progressMs?: number;
}

/**
 * Runs the loop and returns the records of the requests started inside the window. Requests still in
 * flight when the window closes are awaited (each has its client's timeout), so none goes uncounted.
 */
export async function runLoop(options: LoopOptions): Promise<{ records: OpRecord[]; seconds: number }> {
  const records: OpRecord[] = [];
  let windowStart = Infinity;
  let stopped = false;
  const loops = options.clients.map(async (client, i) => {
    for (let n = 0; !stopped; n++) {
      const start = performance.now();
      const a = await options.op(client, i, n);
      const end = performance.now();
      if (start >= windowStart) {
        records.push({
          startMs: start - windowStart,
          ms: end - start,
          ok: a.ok,
          ...(a.ok ? {} : { reason: a.reason ?? `HTTP ${a.status}` }),
          ...(options.label === undefined ? {} : { label: options.label(i, n) }),
        });
      }
    }
  });
  await sleep(options.warmupMs);
  windowStart = performance.now();
  const every = options.progressMs ?? 0;
  const ticker = every > 0 && options.progress !== undefined ? setInterval(() => options.progress!(performance.now() - windowStart, records), every) : undefined;
  await sleep(options.durationMs);
  const seconds = (performance.now() - windowStart) / 1000;
  stopped = true;
  clearInterval(ticker);
  await Promise.all(loops);
  return { records, seconds };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- pure: the figures from the records -------------------------------------------------------------

export interface Throughput {
  opsPerSec: number; // successful requests per second
  ok: number;
  failed: number;
  latency: Percentiles; // of the successful requests, ms
  /** The most common reasons for failures, most frequent first (at most 3). */
  failures: { reason: string; count: number }[];
}

/** Successful requests completed inside a window of `seconds`, their p50/p99, and the failures. */
export function throughput(records: OpRecord[], seconds: number): Throughput {
  const ok = records.filter((r) => r.ok);
  const inWindow = ok.filter((r) => r.startMs + r.ms <= seconds * 1000).length;
  return {
    opsPerSec: seconds > 0 ? inWindow / seconds : NaN,
    ok: ok.length,
    failed: records.length - ok.length,
    latency: percentiles(ok.map((r) => r.ms)),
    failures: topReasons(records),
  };
}

export interface Availability {
  attempted: number;
  answered: number;
  share: number; // answered / attempted; NaN when nothing was attempted
  failures: { reason: string; count: number }[];
}

/** The share of requests answered among those started in [fromMs, toMs) of the window. */
export function availability(records: OpRecord[], fromMs = 0, toMs = Infinity): Availability {
  const chosen = records.filter((r) => r.startMs >= fromMs && r.startMs < toMs);
  const answered = chosen.filter((r) => r.ok).length;
  return {
    attempted: chosen.length,
    answered,
    share: chosen.length === 0 ? NaN : answered / chosen.length,
    failures: topReasons(chosen),
  };
}

/** The most frequent failure reasons, with numbers in them blurred (so "after 3012 ms" groups together). */
export function topReasons(records: OpRecord[], max = 3): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.ok) continue;
    const reason = (r.reason ?? 'failed').replace(/\d+/g, 'N').slice(0, 160);
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
    .slice(0, max);
}
