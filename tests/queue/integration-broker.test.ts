// The broker killed with kill -9 in the middle of a run, then restarted on the same DATA_DIR.
// Its promise: nothing it acknowledged is lost. Every enqueue the producer got a reply for is still
// there, and every ack a worker got a reply for stays done (the job is never handed out again).

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../../examples/queue/node/client.ts';
import { makeTempDir, REPO_ROOT, startScript, stopAll, waitFor } from '../helpers/processes.ts';
import { BROKER, confirmedAcks, confirmedEnqueues, duplicates, startBroker, startProducer, startWorker } from '../helpers/queue.ts';

const JOBS = 150;
afterAll(stopAll);

it('survives kill -9 mid-run: acknowledged enqueues and acks are kept, every job finishes', async () => {
  const dataDir = makeTempDir();
  const env = { VISIBILITY_TIMEOUT_MS: '2000' };
  const first = await startBroker(dataDir, env);
  const producer = startProducer(first.url, JOBS, { RATE: '100' });
  const workers = [1, 2, 3].map((n) => startWorker(first.url, `worker-${n}`, { WORK_MS: '20' }));

  // Let the run get going: some jobs enqueued, some done, more still coming.
  await waitFor('30 enqueued and 10 done', () => confirmedEnqueues(producer).length >= 30 && confirmedAcks(workers).length >= 10);
  expect(await first.proc.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  const enqueuedBefore = confirmedEnqueues(producer);
  const acksBefore = confirmedAcks(workers);
  expect(enqueuedBefore.length).toBeLessThan(JOBS); // the crash really was mid-run

  // Restart on the same log and port; producer and workers have been retrying meanwhile.
  const second = await startBroker(dataDir, env, first.port);
  const replayed = await second.proc.waitForLine(/^replayed (\d+) records/);
  expect(Number(replayed[1])).toBeGreaterThan(0);

  // Right after the restart: everything acknowledged before the crash is there.
  for (const { jobId, key } of enqueuedBefore) {
    expect(await second.client.getJob(jobId)).toMatchObject({ id: jobId, idempotencyKey: key });
  }
  for (const { jobId } of acksBefore) expect((await second.client.getJob(jobId)).status).toBe('done');

  // The run finishes.
  expect(await producer.exited).toEqual({ code: 0, signal: null });
  await waitFor('every job done', async () => (await second.client.stats()).done === JOBS, 45_000);
  const jobs = await second.client.listJobs();
  expect(jobs).toHaveLength(JOBS); // the producer's retries were deduplicated by idempotency key
  expect(new Set(jobs.map((j) => j.idempotencyKey)).size).toBe(JOBS);
  expect(jobs.every((j) => j.status === 'done')).toBe(true);

  // An acknowledged ack is final: each job was acked once, and never leased again after that ack.
  const acks = confirmedAcks(workers);
  expect(new Set(acks.map((a) => a.jobId)).size).toBe(acks.length);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  for (const { jobId, attempt } of acks) expect(byId.get(jobId)?.attempts).toBe(attempt);

  const dups = duplicates(jobs);
  console.log(
    `kill -9 the broker: ${enqueuedBefore.length} enqueues and ${acksBefore.length} acks confirmed before the crash; ` +
      `${replayed[1]} records replayed; ${dups.length} duplicate(s) (jobs leased more than once): ${dups.map((j) => j.id).join(', ') || 'none'}`,
  );
});

it('starts on a log whose last record is torn: warns, drops it, serves the rest', async () => {
  const dataDir = makeTempDir();
  const first = await startBroker(dataDir);
  for (let i = 1; i <= 3; i++) await first.client.enqueue({ n: i }, `k-${i}`);
  expect(await first.proc.kill('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
  const newest = fs.readdirSync(dataDir).filter((f) => /^queue-\d+\.log$/.test(f)).sort().pop()!; // where appends went
  fs.appendFileSync(path.join(dataDir, newest), '{"type":"enqueue","now":17,"paylo'); // torn mid-write

  const second = await startBroker(dataDir);
  await second.proc.waitForLine(/warning: .*torn record/);
  expect(await second.client.stats()).toMatchObject({ pending: 3, total: 3 });
  const { job } = await second.client.enqueue({ n: 4 }, 'k-4');
  expect(job.id).toBe('job-4');
});

describe('where the broker listens', () => {
  /** A non-loopback IPv4 address of this machine, if it has one. */
  const lanAddress = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

  it('by default only on 127.0.0.1, and it prints the address it really listens on', async () => {
    const broker = startScript(BROKER, { DATA_DIR: makeTempDir(), PORT: '0', HOST: '' }, 'broker');
    const port = Number((await broker.waitForLine(/^broker listening on http:\/\/127\.0\.0\.1:(\d+) /))[1]);
    expect(await createClient(`http://127.0.0.1:${port}`).health()).toBe(true);
    if (lanAddress !== undefined) {
      // The API has no authentication: another machine on the network must not reach it.
      expect(await createClient(`http://${lanAddress}:${port}`).health()).toBe(false);
    }
  });

  it('HOST=0.0.0.0 (what containers set) listens on every interface and says so', async () => {
    const broker = startScript(BROKER, { DATA_DIR: makeTempDir(), PORT: '0', HOST: '0.0.0.0' }, 'broker');
    const port = Number((await broker.waitForLine(/^broker listening on http:\/\/0\.0\.0\.0:(\d+) /))[1]);
    expect(await createClient(`http://${lanAddress ?? '127.0.0.1'}:${port}`).health()).toBe(true);
  });

  it('a port that is taken: exit 1 with a sentence, not a stack trace, and the lock is released', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = makeTempDir();
    try {
      const broker = startScript(BROKER, { DATA_DIR: dataDir, PORT: String(port) }, 'broker');
      expect(await broker.exited).toEqual({ code: 1, signal: null });
      expect(broker.lines).toContain(
        `broker cannot listen on 127.0.0.1:${port}: the port is already in use (another broker? the Docker setup?); stop that program or set PORT to another port`,
      );
      expect(broker.lines.some((l) => /^\s+at /.test(l))).toBe(false); // no stack trace
      const page = fs.readFileSync(path.join(REPO_ROOT, 'docs/reference/troubleshooting.md'), 'utf8'); // "Ports already in use"
      expect(page).toContain(broker.lines.find((l) => l.startsWith('broker cannot listen'))!.replaceAll(String(port), '7700'));
      expect(fs.existsSync(path.join(dataDir, 'broker.lock'))).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
