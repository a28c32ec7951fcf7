// A reply describes the state its own command produced, and a lease token reaches only the worker it was
// issued to. Issue 5 reproduced the opposite with two curls: a worker long-polls, a producer enqueues, and
// the producer's 201 said "status":"leased" with the worker's token, because the broker serialised the job
// after waiting for the fsync, by which time the waiting worker had been handed the same (live) job object.
//
// The broker runs in this process (createBrokerServer over a DurableQueue) so the test can see the exact
// moment a long-poll is parked; every request still goes over HTTP.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Job } from '../../examples/queue/core/queue.ts';
import { createBrokerServer } from '../../examples/queue/node/broker.ts';
import { DurableQueue } from '../../examples/queue/node/durable-queue.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';

let queue: DurableQueue;
let server: http.Server;
let base: string;
let parked: Promise<void>; // resolves once the next long-poll has found nothing and is waiting

beforeEach(async () => {
  queue = await DurableQueue.open({
    dataDir: makeTempDir(),
    // No backoff, so a failed job is ready again at once: the /fail variant needs that.
    config: { backoffBaseMs: 0, backoffMaxMs: 0 },
    compactAfterRecords: 0,
    print: () => {},
    onFatal: (err) => {
      throw err;
    },
  });
  const leaseOrWait = queue.leaseOrWait.bind(queue);
  let onParked = () => {};
  parked = new Promise((r) => (onParked = r));
  queue.leaseOrWait = (workerId, waitMs, deliver) => {
    const cancel = leaseOrWait(workerId, waitMs, deliver);
    if (waitMs > 0) onParked(); // leaseOrWait returns once the worker is served or parked
    return cancel;
  };
  server = createBrokerServer(queue);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await queue.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await stopAll();
});

async function post(path: string, body: unknown): Promise<{ status: number; text: string; json: { job?: Job } }> {
  const res = await fetch(base + path, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, json: text === '' ? {} : (JSON.parse(text) as { job?: Job }) };
}

it('issue 5: an enqueue while a worker long-polls answers 201 "pending" with no lease; the token goes to the worker only', async () => {
  // curl -d '{"workerId":"w1","waitMs":5000}' .../jobs/lease &
  const lease = post('/jobs/lease', { workerId: 'w1', waitMs: 5000 });
  await parked;
  // curl -d '{"payload":{"n":1}}' .../jobs
  const enqueue = await post('/jobs', { payload: { n: 1 } });

  expect(enqueue.status).toBe(201);
  expect(enqueue.json.job).toMatchObject({ id: 'job-1', status: 'pending', attempts: 0 });
  expect(enqueue.json.job).not.toHaveProperty('lease');
  expect(enqueue.text).not.toContain('job-1.1'); // the token, in any field

  const leased = await lease;
  expect(leased.status).toBe(200);
  expect(leased.json.job).toMatchObject({ id: 'job-1', status: 'leased', attempts: 1, lease: { token: 'job-1.1', workerId: 'w1' } });
});

it('issue 5, /fail: the failing worker hears "pending", not the next worker\'s lease and token', async () => {
  await post('/jobs', { payload: { n: 1 } });
  const first = await post('/jobs/lease', { workerId: 'w1', waitMs: 0 });
  expect(first.json.job?.lease?.token).toBe('job-1.1');

  const second = post('/jobs/lease', { workerId: 'w2', waitMs: 5000 });
  await parked;
  const fail = await post('/jobs/job-1/fail', { token: 'job-1.1', error: 'boom' });

  expect(fail.status).toBe(200);
  expect(fail.json.job).toMatchObject({ id: 'job-1', status: 'pending', attempts: 1, lastError: 'boom' });
  expect(fail.json.job).not.toHaveProperty('lease');
  expect(fail.text).not.toContain('job-1.2');

  const leased = await second;
  expect(leased.json.job).toMatchObject({ status: 'leased', attempts: 2, lease: { token: 'job-1.2', workerId: 'w2' } });
});

it('a long-poll delivers the job as it was when leased, not as it is once the fsync completes', async () => {
  // Straight against the DurableQueue, to act in the gap between a waiter's lease and its fsync.
  const delivered = new Promise<Job | null>((resolve) => queue.leaseOrWait('w1', 5000, resolve));
  queue.execute({ type: 'enqueue', now: Date.now(), payload: { n: 1 } });
  await new Promise((r) => setImmediate(r)); // the waiter has been woken and leased job-1; its record is not on disk yet
  expect(queue.state.jobs['job-1']).toMatchObject({ status: 'leased', lease: { token: 'job-1.1' } });
  // In that gap the job moves on (here: acked by someone who guessed the token, the simplest change to make).
  const ack = queue.execute({ type: 'ack', now: Date.now(), jobId: 'job-1', token: 'job-1.1' });
  expect(ack.result).toMatchObject({ ok: true, type: 'acked' });

  expect(await delivered).toMatchObject({ id: 'job-1', status: 'leased', lease: { token: 'job-1.1', workerId: 'w1' } });
});
