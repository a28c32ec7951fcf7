// The broker against bad input, over real HTTP: malformed JSON, wrong types, missing fields, unknown ids
// and routes, wrong methods, oversized bodies, stale lease tokens. Every answer must be a 4xx with
// {error, message}; then fast-check throws random bodies at random endpoints, and the broker must answer
// each below 500, stay up, and keep its state (and its log) intact.

import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../examples/queue/node/client.ts';
import { makeTempDir, stopAll, waitFor } from '../helpers/processes.ts';
import { startBroker, type Broker } from '../helpers/queue.ts';

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker(makeTempDir(), { VISIBILITY_TIMEOUT_MS: '1000' });
});
afterAll(stopAll);

interface Answer {
  status: number;
  body: unknown;
}

/** Sends a raw request (any method, any bytes) to the shared broker. */
const send = (method: string, path: string, body?: string | Uint8Array) => request(broker.url, method, path, body);

async function request(base: string, method: string, path: string, body?: string | Uint8Array, timeoutMs = 10_000): Promise<Answer> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined && method !== 'GET' && method !== 'HEAD') init.body = typeof body === 'string' ? body : new Blob([body as Uint8Array<ArrayBuffer>]);
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // left as text: the assertions below will say so
  }
  return { status: res.status, body: parsed };
}

/** Asserts the error shape every refusal must have, and returns the message. */
function expectError(answer: Answer, status: number, code?: string): string {
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  const { error, message } = answer.body as { error: string; message: string };
  if (code !== undefined) expect(error).toBe(code);
  return message;
}

describe('malformed and ill-typed bodies get 400 with a message naming the field', () => {
  it.each([
    ['POST', '/jobs', '{"payload":', 'bad-json', /JSON/],
    ['POST', '/jobs', '', 'bad-request', /empty/],
    ['POST', '/jobs', 'payload=1', 'bad-json', /JSON/], // what `curl -d payload=1` sends
    ['POST', '/jobs', '[1,2]', 'bad-request', /JSON object/],
    ['POST', '/jobs', 'null', 'bad-request', /JSON object/],
    ['POST', '/jobs', '{}', 'bad-request', /"payload" is required/],
    ['POST', '/jobs', '{"payload":1,"idempotencyKey":7}', 'bad-request', /"idempotencyKey" must be a string/],
    ['POST', '/jobs', '{"payload":1,"idempotencyKey":""}', 'bad-request', /"idempotencyKey" must not be empty/],
    ['POST', '/jobs/lease', '{}', 'bad-request', /"workerId" is required/],
    ['POST', '/jobs/lease', '{"workerId":42}', 'bad-request', /"workerId" must be a string/],
    ['POST', '/jobs/lease', '{"workerId":"w","waitMs":-1}', 'bad-request', /"waitMs"/],
    ['POST', '/jobs/lease', '{"workerId":"w","waitMs":30001}', 'bad-request', /"waitMs"/],
    ['POST', '/jobs/lease', '{"workerId":"w","waitMs":"5"}', 'bad-request', /"waitMs"/],
    ['POST', '/jobs/lease', '{"workerId":"w","waitMs":1.5}', 'bad-request', /"waitMs"/],
    ['POST', '/jobs/job-1/ack', '{}', 'bad-request', /"token" is required/],
    ['POST', '/jobs/job-1/heartbeat', '{"token":null}', 'bad-request', /"token" must be a string/],
    ['POST', '/jobs/job-1/fail', '{"token":"t"}', 'bad-request', /"error" is required/],
    ['POST', '/jobs/job-1/fail', '{"token":"t","error":{}}', 'bad-request', /"error" must be a string/],
    ['GET', '/jobs?status=lost', undefined, 'bad-request', /"status"/],
    ['GET', '/jobs?limit=0', undefined, 'bad-request', /"limit"/],
    ['GET', '/jobs?limit=ten', undefined, 'bad-request', /"limit"/],
    ['GET', '/jobs?limit=1001', undefined, 'bad-request', /"limit" must be an integer from 1 to 1000.*follow "next"/],
    ['GET', '/jobs?after=12', undefined, 'bad-request', /"after" must be a job id like job-100/],
    ['GET', '/jobs?after=job-', undefined, 'bad-request', /"after"/],
    ['GET', '/jobs?after=job-1e3', undefined, 'bad-request', /"after"/],
    ['GET', '/jobs?after=job-99999999999999999999', undefined, 'bad-request', /"after"/],
    ['GET', '/jobs?stauts=dead', undefined, 'bad-request', /unknown query parameter "stauts"; GET \/jobs takes status, limit, after/],
    ['GET', '/jobs/%E0%A4%A', undefined, 'bad-request', /URL encoding/],
  ])('%s %s %s -> 400 %s', async (method, path, body, code, message) => {
    expect(expectError(await send(method, path, body), 400, code)).toMatch(message);
  });

  it('POST /jobs with a payload nested 20,000 deep -> 400 (it once killed the broker when written to the log)', async () => {
    const deep = `{"payload":${'['.repeat(20_000)}${']'.repeat(20_000)}}`; // 40 KB: under the size limit
    expect(expectError(await send('POST', '/jobs', deep), 400, 'bad-request')).toMatch(/"payload" is nested/);
    expect(await broker.client.health()).toBe(true);
  });
});

describe('idempotency keys that Object.prototype already "has"', () => {
  it.each(['constructor', '__proto__', 'toString'])('key %s enqueues once, then deduplicates', async (key) => {
    const body = JSON.stringify({ payload: { key }, idempotencyKey: key });
    const first = await send('POST', '/jobs', body);
    expect(first.status).toBe(201);
    const again = await send('POST', '/jobs', body);
    expect(again.status).toBe(200);
    const a = first.body as { job: Job; created: boolean };
    expect(again.body).toMatchObject({ created: false, job: { id: a.job.id, idempotencyKey: key } });
  });
});

describe('unknown ids, routes and methods', () => {
  it.each([
    ['GET', '/jobs/job-999', 404, 'unknown-job'],
    ['GET', '/jobs/constructor', 404, 'unknown-job'], // an Object.prototype name is not a job
    ['POST', '/jobs/__proto__/ack', 404, 'unknown-job'],
    ['POST', '/jobs/job-999/redrive', 404, 'unknown-job'],
    ['POST', '/jobs/toString/fail', 404, 'unknown-job'],
    ['GET', '/nope', 404, 'not-found'],
    ['GET', '//', 404, 'not-found'], // found by fast-check: "//" once made the URL parser throw (a 500)
    ['GET', '/jobs/job-1/ack/extra', 404, 'not-found'],
    ['DELETE', '/jobs', 405, 'method-not-allowed'],
    ['PUT', '/stats', 405, 'method-not-allowed'],
    ['POST', '/health', 405, 'method-not-allowed'],
    ['GET', '/jobs/job-1/ack', 405, 'method-not-allowed'],
    ['PATCH', '/jobs/lease', 405, 'method-not-allowed'],
  ])('%s %s -> %i %s', async (method, path, status, code) => {
    const body = method === 'POST' ? '{"token":"t","error":"e"}' : undefined;
    expectError(await send(method, path, body), status, code);
  });
});

describe('bodies over 64 KiB get 413', () => {
  const big = JSON.stringify({ payload: 'x'.repeat(70 * 1024) });

  it('when the size is announced (Content-Length)', async () => {
    expectError(await send('POST', '/jobs', big), 413, 'body-too-large');
  });

  it('when it is streamed without a length (chunked): cut off without buffering it all', async () => {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = http.request(`${broker.url}/jobs`, { method: 'POST' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10 * 1024)); // 100 KiB, no Content-Length
      req.end();
    });
    expectError(answer, 413, 'body-too-large');
  });
});

describe('lease tokens', () => {
  it('refuses a wrong token and an expired one with 409, and redrive of a live job with 409', async () => {
    const { job } = await broker.client.enqueue({ task: 'token-test' });
    const leased = await waitFor('our job leased', async () => {
      const j = await broker.client.lease('tester', 0);
      return j?.id === job.id ? j : null; // skip jobs other tests left pending
    });
    expectError(await send('POST', `/jobs/${job.id}/ack`, '{"token":"not-the-token"}'), 409, 'wrong-lease');
    expectError(await send('POST', `/jobs/${job.id}/redrive`), 409, 'not-dead');
    // The lease (1 s) runs out; the broker reclaims the job, and the old token stops working.
    await waitFor('the lease to expire', async () => (await broker.client.getJob(job.id)).status === 'pending');
    const refusal = await send('POST', `/jobs/${job.id}/ack`, JSON.stringify({ token: leased.lease!.token }));
    expectError(refusal, 409, 'lease-expired');
  });
});

describe('random input (fast-check)', () => {
  it('answers every random request below 500, stays up, and keeps its state and its log intact', async () => {
    const dataDir = makeTempDir();
    const fuzzed = await startBroker(dataDir, { VISIBILITY_TIMEOUT_MS: '600000' });
    const seeds: Job[] = [];
    for (let i = 0; i < 5; i++) seeds.push((await fuzzed.client.enqueue({ seed: i }, `seed-${i}`)).job);

    const id = fc.oneof(
      fc.constantFrom('job-1', 'job-2', 'job-99999', 'constructor', '__proto__', 'toString', 'lease', '%', '..', ''),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
    );
    const path = fc.oneof(
      fc.constant('/jobs'),
      fc.constant('/jobs/lease'),
      fc.constant('/stats'),
      id.map((i) => `/jobs/${i}`),
      fc.tuple(id, fc.constantFrom('heartbeat', 'ack', 'fail', 'redrive', 'x')).map(([i, a]) => `/jobs/${i}/${a}`),
      fc.string({ maxLength: 8 }).map((q) => `/jobs?status=${encodeURIComponent(q)}&limit=${encodeURIComponent(q)}`),
      fc.webPath(),
    );
    // Near-valid objects (the right field names with any values) reach deeper validation than pure noise.
    const nearValid = fc.record(
      {
        payload: fc.jsonValue(),
        idempotencyKey: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue()),
        workerId: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue()),
        waitMs: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.jsonValue()),
        token: fc.oneof(fc.constantFrom('job-1.1', 'job-2.1'), fc.string({ maxLength: 10 }), fc.jsonValue()),
        error: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      nearValid.map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }),
    );
    const method = fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH');

    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, path, body, async (m, p, b) => {
        let answer: Answer;
        try {
          answer = await request(fuzzed.url, m, p, b, 5_000);
        } catch (err) {
          // A valid long-poll (waitMs up to 30 s) may legitimately keep us waiting: not a failure.
          if ((err as Error).name === 'TimeoutError') return;
          throw err;
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect(answer.status).toBeLessThan(500);
        if (answer.status >= 400) expectError(answer, answer.status);
      }),
      { numRuns: 200 },
    );
    console.log(`fast-check: 200 random requests, answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`);

    // Still up, and the jobs enqueued before the fuzzing are all still there, unchanged where it matters.
    expect(fuzzed.proc.running()).toBe(true);
    expect(await fuzzed.client.health()).toBe(true);
    for (const seed of seeds) {
      expect(await fuzzed.client.getJob(seed.id)).toMatchObject({ id: seed.id, payload: seed.payload, idempotencyKey: seed.idempotencyKey });
    }
    const s = await fuzzed.client.stats();
    expect(s.pending + s.leased + s.done + s.dead).toBe(s.total);
    const before = await fuzzed.client.listJobs();
    expect(before).toHaveLength(s.total);

    // Whatever the fuzzing did went through the log: a restart replays exactly the same jobs.
    expect(await fuzzed.proc.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    const restarted = await startBroker(dataDir, { VISIBILITY_TIMEOUT_MS: '600000' });
    expect(await restarted.client.listJobs()).toEqual(before);
  });
});
