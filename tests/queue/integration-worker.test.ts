// Workers that die or are stopped, with real processes.
//   kill -9 mid-job: nobody acks, the lease runs out, the broker hands the job to another worker.
//   SIGTERM: the worker finishes its job within the grace period, or gives it back, and exits 0.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, stopAll, waitFor } from '../helpers/processes.ts';
import { duplicates, startBroker, startWorker } from '../helpers/queue.ts';

afterEach(stopAll);

describe('a worker killed with kill -9 mid-job', () => {
  it('loses its lease; the job is redelivered to another worker and completes; nothing is lost', async () => {
    const broker = await startBroker(makeTempDir(), { VISIBILITY_TIMEOUT_MS: '1500' });
    for (let i = 1; i <= 3; i++) await broker.client.enqueue({ task: 'resize-image', n: i }, `k-${i}`);

    // A slow worker takes the first job and is killed while working on it.
    const doomed = startWorker(broker.url, 'doomed', { WORK_MS: '60000' });
    const leased = await doomed.waitForLine(/^leased (job-\d+) \(attempt 1\)/);
    const jobId = leased[1]!;
    const healthy = startWorker(broker.url, 'healthy', { WORK_MS: '20' });
    expect(await doomed.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    // After the lease expires the broker reclaims the job and the healthy worker gets it (attempt 2).
    await healthy.waitForLine(new RegExp(`^done ${jobId} \\(attempt 2\\)`), 30_000);
    await waitFor('all 3 jobs done', async () => (await broker.client.stats()).done === 3);

    const job = await broker.client.getJob(jobId);
    expect(job).toMatchObject({ status: 'done', attempts: 2, lastError: 'lease expired' });
    const jobs = await broker.client.listJobs();
    expect(jobs.map((j) => j.status)).toEqual(['done', 'done', 'done']); // none lost, none dead
    const dups = duplicates(jobs);
    console.log(`kill -9 a worker: ${dups.length} duplicate(s): ${dups.map((j) => j.id).join(', ')}`);
    expect(dups.map((j) => j.id)).toEqual([jobId]); // leased twice, but done only by the healthy worker
  });
});

describe('a worker stopped with SIGTERM', () => {
  it('finishes the job it holds when it can, acks it and exits 0', async () => {
    const broker = await startBroker(makeTempDir());
    await broker.client.enqueue({ task: 'resize-image', n: 1 });
    const worker = startWorker(broker.url, 'w', { WORK_MS: '1500', GRACE_MS: '20000' });
    const [, jobId] = await worker.waitForLine(/^leased (job-\d+)/);
    const exit = await worker.kill('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(worker.lines.some((l) => l.startsWith(`done ${jobId}`))).toBe(true);
    expect(await broker.client.getJob(jobId!)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('gives the job back (fail "worker shutting down") when it cannot finish in the grace period', async () => {
    const broker = await startBroker(makeTempDir(), { VISIBILITY_TIMEOUT_MS: '30000' });
    await broker.client.enqueue({ task: 'resize-image', n: 1 });
    const worker = startWorker(broker.url, 'w', { WORK_MS: '60000', GRACE_MS: '300' });
    const [, jobId] = await worker.waitForLine(/^leased (job-\d+)/);
    expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    // Released at once, not after the 30 s visibility timeout: pending again, no lease, error recorded.
    const job = await broker.client.getJob(jobId!);
    expect(job).toMatchObject({ status: 'pending', attempts: 1, lastError: 'worker shutting down' });
    expect(job.lease).toBeUndefined();
    // Another worker picks it up (after a short backoff) and finishes it.
    const next = startWorker(broker.url, 'next', { WORK_MS: '10' });
    await next.waitForLine(new RegExp(`^done ${jobId} \\(attempt 2\\)`));
  });

  it('exits 0 at once when idle (its long-poll is cancelled, no job is leased to it)', async () => {
    const broker = await startBroker(makeTempDir());
    const worker = startWorker(broker.url, 'idle');
    await worker.waitForLine(/polling/);
    await new Promise((r) => setTimeout(r, 300)); // let it park in a long-poll
    expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    await new Promise((r) => setTimeout(r, 500)); // the broker sees the closed connection
    // Had the broker kept the dead worker's long-poll, this job would be leased to nobody at all.
    const { job } = await broker.client.enqueue({ n: 1 });
    expect(await broker.client.getJob(job.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });
});

describe('idle workers', () => {
  it('wait in a long-poll that writes nothing to the log; an enqueue wakes a waiting lease at once', async () => {
    const dataDir = makeTempDir();
    const broker = await startBroker(dataDir);
    const workers = ['a', 'b'].map((id) => startWorker(broker.url, id));
    for (const w of workers) await w.waitForLine(/polling/);
    await new Promise((r) => setTimeout(r, 1_000)); // both parked in a long-poll
    // A lease that found nothing changed nothing, so it was not logged (no fsync per idle poll).
    expect(fs.statSync(path.join(dataDir, 'queue-000001.log')).size).toBe(0);
    for (const w of workers) expect(await w.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    // A lease waiting up to 30 s gets a job enqueued while it waits. Without the wake-up it would get
    // nothing (204, null) when its 30 s ran out, which is what this checks, not how fast it was.
    const waiting = broker.client.lease('probe', 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const { job } = await broker.client.enqueue({ task: 'wake-up' });
    expect(await waiting).toMatchObject({ id: job.id, status: 'leased', lease: { workerId: 'probe' } });
    const log = fs.readFileSync(path.join(dataDir, 'queue-000001.log'), 'utf8').trim().split('\n');
    expect(log.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['enqueue', 'lease']);
  });
});
