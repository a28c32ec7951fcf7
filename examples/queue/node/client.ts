// A tiny typed client for the broker's HTTP API (see broker.ts), used by the producer, the workers, the
// runner and the tests. It uses the fetch built into Node.
//
// Two kinds of failure are kept apart on purpose:
//   - the broker answered with an error (4xx): a BrokerError with its code, e.g. "lease-expired". Retrying
//     the same request will not help.
//   - no answer at all (connection refused, reset, timeout): fetch throws. The request may or may not have
//     been applied (the reply can be lost after the broker logged it), so only idempotent requests are
//     safe to retry. Enqueue with an idempotency key is; so are ack and heartbeat (a repeat is refused).

import type { Job, Stats } from '../core/queue.ts';

export type { Job, Stats };

export class BrokerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

export interface QueueClient {
  health(): Promise<boolean>;
  stats(): Promise<Stats>;
  enqueue(payload: unknown, idempotencyKey?: string): Promise<{ job: Job; created: boolean }>;
  getJob(id: string): Promise<Job>;
  /** Every job (with that status), oldest first, following GET /jobs's pages; at most `max` of them. */
  listJobs(status?: Job['status'], max?: number): Promise<Job[]>;
  /** Long-polls up to waitMs; null when nothing turned up. Pass a signal to give up early. */
  lease(workerId: string, waitMs: number, signal?: AbortSignal): Promise<Job | null>;
  heartbeat(job: Job): Promise<Job>;
  ack(job: Job): Promise<Job>;
  fail(job: Job, error: string): Promise<Job>;
  redrive(id: string): Promise<Job>;
}

export function createClient(baseUrl: string): QueueClient {
  const base = baseUrl.replace(/\/+$/, '');

  async function call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    if (signal !== undefined) init.signal = signal;
    const res = await fetch(base + path, init);
    if (res.status >= 400) {
      const text = await res.text();
      let parsed: { error?: string; message?: string } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // not our broker's JSON (a proxy's error page?): keep the raw text as the message
      }
      throw new BrokerError(res.status, parsed.error ?? 'http-error', parsed.message ?? text);
    }
    return res;
  }
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (await call(method, path, body)).json()) as T;
  const token = (job: Job) => ({ token: job.lease?.token ?? '' });
  const jobPath = (id: string) => `/jobs/${encodeURIComponent(id)}`;

  return {
    async health() {
      try {
        const res = await call('GET', '/health');
        await res.text(); // read the body so the connection can be reused
        return res.ok;
      } catch {
        return false;
      }
    },
    stats: () => json<Stats>('GET', '/stats'),
    enqueue: (payload, idempotencyKey) => json('POST', '/jobs', { payload, idempotencyKey }),
    getJob: async (id) => (await json<{ job: Job }>('GET', jobPath(id))).job,
    async listJobs(status, max = Infinity) {
      const jobs: Job[] = [];
      let after: string | null = null;
      do {
        const query = new URLSearchParams({ limit: String(Math.min(1_000, max - jobs.length)) });
        if (status !== undefined) query.set('status', status);
        if (after !== null) query.set('after', after);
        const page: { jobs: Job[]; next: string | null } = await json('GET', `/jobs?${query}`);
        jobs.push(...page.jobs);
        after = page.next;
      } while (after !== null && jobs.length < max);
      return jobs;
    },
    async lease(workerId, waitMs, signal) {
      const res = await call('POST', '/jobs/lease', { workerId, waitMs }, signal);
      if (res.status === 204) return null;
      return ((await res.json()) as { job: Job }).job;
    },
    heartbeat: async (job) => (await json<{ job: Job }>('POST', `${jobPath(job.id)}/heartbeat`, token(job))).job,
    ack: async (job) => (await json<{ job: Job }>('POST', `${jobPath(job.id)}/ack`, token(job))).job,
    fail: async (job, error) => (await json<{ job: Job }>('POST', `${jobPath(job.id)}/fail`, { ...token(job), error })).job,
    redrive: async (id) => (await json<{ job: Job }>('POST', `${jobPath(id)}/redrive`)).job,
  };
}

/** A failed request in a few words: fetch hides the useful part ("ECONNREFUSED") in the error's cause. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: { code?: string } }).cause;
  return cause?.code ?? err.message;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
