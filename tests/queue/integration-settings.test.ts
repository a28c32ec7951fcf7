// Settings are history too. A broker restarted with a different VISIBILITY_TIMEOUT_MS must not change the
// expiry of leases it granted before the restart: replay meets the logged `configure` command at the point
// where the old setting was in force, and the new setting applies only to leases granted afterwards.

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
