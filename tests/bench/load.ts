// The load generator: N clients, each running job cycles (enqueue -> lease -> ack, or put -> reserve ->
// delete) back to back on its own connection, as fast as the server answers. Closed loop: a client sends
// its next request only when the previous one was answered, so N is the number of requests in flight.
//
// A run has a warm-up (connections opened, JIT warm, nothing recorded), then a measured window. Throughput
// counts the cycles completed inside the window; latencies are those of operations started inside it.

export const OPS = ['enqueue', 'lease', 'ack'] as const;
export type Op = (typeof OPS)[number];

/** Times one operation of a cycle: `time('lease', () => client.lease(...))`. */
export type Timer = <T>(op: Op, work: () => Promise<T>) => Promise<T>;

/** One bench client with its own connection. `cycle` takes one job through its whole life. */
export interface LoadClient {
  cycle(time: Timer): Promise<void>;
  close(): void;
}

export interface Percentiles {
  p50: number; // milliseconds
  p99: number;
}

export interface LoadResult {
  clients: number;
  jobs: number; // cycles completed in the measured window
  seconds: number;
  jobsPerSec: number;
  latency: Record<Op, Percentiles>;
}

export interface LoadOptions {
  clients: number;
  warmupMs: number;
  durationMs: number;
  connect: (index: number) => Promise<LoadClient>;
  /** Called when the measured window opens and closes (e.g. to read the server's CPU time). */
  onWindow?: (edge: 'begin' | 'end') => void;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const clients = await Promise.all(Array.from({ length: options.clients }, (_, i) => options.connect(i)));
  const samples: Record<Op, number[]> = { enqueue: [], lease: [], ack: [] };
  let measuring = false;
  let stopped = false;
  let completed = 0;

  const time: Timer = async (op, work) => {
    const recording = measuring;
    const start = performance.now();
    const value = await work();
    if (recording) samples[op].push(performance.now() - start);
    return value;
  };

  const loops = clients.map(async (client) => {
    while (!stopped) {
      await client.cycle(time);
      if (measuring) completed++;
    }
  });
  // If a client fails, stop the others too and report the first error (after they have wound down).
  const failed = Promise.all(loops).catch((err: unknown) => {
    stopped = true;
    throw err;
  });

  let windowStart = 0;
  let windowEnd = 0;
  const schedule = (async () => {
    await sleepOrFail(options.warmupMs, failed);
    measuring = true;
    options.onWindow?.('begin');
    windowStart = performance.now();
    await sleepOrFail(options.durationMs, failed);
    windowEnd = performance.now();
    measuring = false;
    options.onWindow?.('end');
    stopped = true;
  })();

  try {
    await Promise.all([schedule, failed]);
  } finally {
    stopped = true;
    for (const c of clients) c.close();
  }
  const seconds = (windowEnd - windowStart) / 1000;
  return {
    clients: options.clients,
    jobs: completed,
    seconds,
    jobsPerSec: completed / seconds,
    latency: {
      enqueue: percentiles(samples.enqueue),
      lease: percentiles(samples.lease),
      ack: percentiles(samples.ack),
    },
  };
}

/** Nearest-rank percentiles (p50 and p99) of latencies in milliseconds. */
export function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** Nearest-rank quantile of ascending samples (q in [0, 1]); NaN for none. */
export function quantile(ascending: ArrayLike<number>, q: number): number {
  if (ascending.length === 0) return NaN;
  const rank = Math.min(ascending.length, Math.max(1, Math.ceil(q * ascending.length)));
  return ascending[rank - 1]!;
}

/**
 * Runs `total` calls of `one` with `concurrency` of them in flight, calling `progress` every `every`
 * completions (filling a 100,000-job backlog takes a while; the person watching should see it move).
 */
export async function fill(
  total: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
  progress: (done: number) => void,
  every = 10_000,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      await one(i);
      done++;
      if (done % every === 0 || done === total) progress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

async function sleepOrFail(ms: number, failed: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), failed]);
  } finally {
    clearTimeout(timer);
  }
}
