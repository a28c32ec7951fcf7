// Settings are history too. A broker restarted with a different VISIBILITY_TIMEOUT_MS must not change the
// expiry of leases it granted before the restart: replay meets the logged `configure` command at the point
// where the old setting was in force, and the new setting applies only to leases granted afterwards. The
// same holds for DONE_RETENTION_MS, how long done jobs and their idempotency keys are remembered.

import { afterAll, expect, it } from 'vitest';
import { makeTempDir, stopAll } from '../helpers/processes.ts';
import { startBroker } from '../helpers/queue.ts';

afterAll(stopAll);

it('a lease granted under one visibility timeout keeps its expiry when the broker restarts with another', async () => {
  const dataDir = makeTempDir();
  const first = await startBroker(dataDir, { VISIBILITY_TIMEOUT_MS: '300000' });
  await first.client.enqueue({ n: 1 }, 'settings-1');
  const held = await first.client.lease('slow-worker', 0);
  expect(held).not.toBeNull();
  const expiresAt = held!.lease!.expiresAt;
  await first.proc.kill('SIGKILL');

  // Restart with a 1 s timeout: the five-minute lease is still live, with the same expiry.
  const second = await startBroker(dataDir, { VISIBILITY_TIMEOUT_MS: '1000' });
  expect((await second.proc.waitForLine(/broker listening .*visibility timeout (\d+) ms/))[1]).toBe('1000');
  const replayed = await second.client.getJob(held!.id);
  expect(replayed.status).toBe('leased');
  expect(replayed.lease?.expiresAt).toBe(expiresAt);
  expect(replayed.lease?.token).toBe(held!.lease!.token);

  // A lease granted now gets the new, shorter timeout.
  await second.client.enqueue({ n: 2 }, 'settings-2');
  // The broker stamps the lease with its clock between our `before` and `after` (same machine, same clock).
  const before = Date.now();
  const fresh = await second.client.lease('new-worker', 0);
  const after = Date.now();
  expect(fresh!.lease!.expiresAt).toBeGreaterThanOrEqual(before + 1000);
  expect(fresh!.lease!.expiresAt).toBeLessThanOrEqual(after + 1000);
});

it('DONE_RETENTION_MS: a done job and its idempotency key are remembered that long, then forgotten, also after a restart', async () => {
  const dataDir = makeTempDir();
  // Default retention (one hour): a retry with the key of a done job gets that job back, not a new one.
  const first = await startBroker(dataDir);
  const { job } = await first.client.enqueue({ n: 1 }, 'retained');
  await first.client.ack((await first.client.lease('w', 0))!);
  expect(await first.client.enqueue({ n: 1 }, 'retained')).toMatchObject({ created: false, job: { id: job.id, status: 'done' } });
  await first.proc.kill('SIGKILL');

  // Restarted with a retention of 1 ms: the change is logged like any other setting. The next command, even
  // a lease that finds nothing and is not logged itself, forgets the job (it was done long ago by now).
  const second = await startBroker(dataDir, { DONE_RETENTION_MS: '1' });
  await second.proc.waitForLine(/^settings changed \(logged as a configure record\): doneRetentionMs 3600000 -> 1$/);
  expect(await second.client.getJob(job.id)).toMatchObject({ status: 'done' }); // a read changes nothing
  expect(await second.client.lease('w', 0)).toBeNull();
  await expect(second.client.getJob(job.id)).rejects.toMatchObject({ status: 404 });
  await second.proc.kill('SIGKILL');

  // The forgetting was logged (as a tick), so replay forgets too, before any new command arrives.
  const third = await startBroker(dataDir, { DONE_RETENTION_MS: '1' });
  expect(third.proc.lines.some((l) => l.startsWith('settings changed'))).toBe(false); // the setting came back from the log
  await expect(third.client.getJob(job.id)).rejects.toMatchObject({ status: 404 });
  const retry = await third.client.enqueue({ n: 1 }, 'retained'); // the key is free again: a new job
  expect(retry).toMatchObject({ created: true, job: { status: 'pending' } });
  expect(retry.job.id).not.toBe(job.id);
});
