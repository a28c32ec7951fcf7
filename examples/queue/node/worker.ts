// A worker: leases a job, "works" on it, heartbeats meanwhile, then acks it (or fails it with the error).
//
// Environment:
//   BROKER_URL=http://127.0.0.1:7700   (the broker listens on 127.0.0.1; "localhost" may mean ::1)
//   WORKER_ID=worker-<pid>
//   WORK_MS=1000        simulated work per job
//   FAIL_RATE=0         chance (0..1) that a job throws, to watch retries, backoff and the dead-letter queue
//   HEARTBEAT_MS        how often to extend the lease while working (default: a third of the lease time)
//   GRACE_MS=5000       on SIGTERM, how long the current job may still take before we give it back
//
// Delivery is at-least-once: if this process dies after doing the work but before the ack arrives, the
// lease expires and another worker does the job again. Real job handlers must therefore be idempotent
// (DDIA ch. 11, "exactly-once" is really "effectively-once").
//
// Run it alone:  node --import tsx examples/queue/node/worker.ts

import { BrokerError, createClient, describeError, sleep, type Job } from './client.ts';
import { envInt, envNumber, envString } from './env.ts';

const brokerUrl = envString('BROKER_URL', 'http://127.0.0.1:7700');
const workerId = envString('WORKER_ID', `worker-${process.pid}`);
const workMs = envInt('WORK_MS', 1000);
const failRate = envNumber('FAIL_RATE', 0);
const heartbeatEnv = envInt('HEARTBEAT_MS', 0);
const graceMs = envInt('GRACE_MS', 5000);
const client = createClient(brokerUrl);
const say = (line: string) => console.log(line);

let stopping = false;
let polling: AbortController | null = null; // the long-poll in flight, so SIGTERM can cancel it
let current: { job: Job; finished: Promise<void> } | null = null;

/** The job itself. Here: wait WORK_MS and sometimes throw. In real life: resize the image, send the email. */
async function doWork(job: Job): Promise<void> {
  await sleep(workMs);
  if (Math.random() < failRate) throw new Error(`simulated failure while processing ${job.id}`);
}

// #region worker-loop
async function main(): Promise<void> {
  say(`${workerId} (pid ${process.pid}) polling ${brokerUrl}`);
  let backoff = 100;
  while (!stopping) {
    let job: Job | null;
    try {
      polling = new AbortController();
      job = await client.lease(workerId, 5_000, polling.signal); // long-poll: the broker holds the request
      backoff = 100;
    } catch (err) {
      if (stopping) break;
      say(`lease failed (${describeError(err)}); retrying in ${backoff} ms`);
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 2_000);
      continue;
    } finally {
      polling = null;
    }
    if (job === null) continue; // nothing within 5 s: ask again
    say(`leased ${job.id} (attempt ${job.attempts}) ${JSON.stringify(job.payload)}`);
    const finished = processJob(job);
    current = { job, finished };
    await finished;
    current = null;
  }
}

async function processJob(job: Job): Promise<void> {
  const stopHeartbeat = startHeartbeat(job);
  let error: string | null = null;
  try {
    await doWork(job);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    stopHeartbeat();
  }
  if (error === null) {
    const acked = await retrying(`ack ${job.id}`, () => client.ack(job));
    if (acked) say(`done ${job.id} (attempt ${job.attempts})`);
  } else {
    const failed = await retrying(`fail ${job.id}`, () => client.fail(job, error));
    if (failed) say(`failed ${job.id} (attempt ${job.attempts}): ${error} -> ${failed.status}`);
  }
}
// #endregion worker-loop

// #region heartbeat
/**
 * While the work runs, extend the lease every third of its length, so a slow but healthy worker keeps its
 * job while a dead one (no heartbeats) loses it when the lease runs out. A third leaves room for two
 * heartbeats to be lost or late before the lease expires.
 */
function startHeartbeat(job: Job): () => void {
  const leaseMs = (job.lease?.expiresAt ?? 0) - Date.now(); // assumes our clock is close to the broker's
  const everyMs = heartbeatEnv > 0 ? heartbeatEnv : leaseMs > 300 ? Math.floor(leaseMs / 3) : 3_000;
  const timer = setInterval(() => {
    client.heartbeat(job).then(
      (updated) => {
        if (job.lease && updated.lease) job.lease.expiresAt = updated.lease.expiresAt;
      },
      (err) => {
        // A 409 means the lease is gone (it expired, someone else has the job): our ack will be refused.
        // Anything else is a network hiccup: the next heartbeat may get through.
        say(`heartbeat ${job.id} failed: ${describeError(err)}`);
        if (err instanceof BrokerError && err.status === 409) clearInterval(timer);
      },
    );
  }, everyMs);
  return () => clearInterval(timer);
}
// #endregion heartbeat

/**
 * Sends an ack or fail, retrying while the broker does not answer (it may be restarting). A 4xx answer is
 * final: 409 lease-expired or wrong-lease means our lease ran out (the job is, or soon will be, another
 * worker's), so our result does not count.
 */
async function retrying(what: string, send: () => Promise<Job>): Promise<Job | null> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await send();
    } catch (err) {
      if (err instanceof BrokerError && err.status < 500) {
        say(`${what} refused: ${err.message}`);
        return null;
      }
      say(`${what} got no answer (${describeError(err)}); retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}

// #region sigterm
/**
 * SIGTERM (docker stop, the runner, kill <pid>) or Ctrl-C: stop leasing, give the current job GRACE_MS to
 * finish, and if it cannot, fail it with "worker shutting down" so the broker hands it to another worker
 * right away instead of after the visibility timeout. Then exit 0: a clean, planned stop.
 */
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Hang up the long-poll: the broker drops a waiter whose connection closed. (If a job was leased to us
  // in that very instant, its reply is lost; the lease simply expires and the job goes to someone else.)
  polling?.abort();
  const work = current;
  if (work === null) {
    say(`${signal}: idle, exiting`);
    process.exit(0);
  }
  say(`${signal}: finishing ${work.job.id} (up to ${graceMs} ms) before exiting`);
  const inTime = await Promise.race([work.finished.then(() => true), sleep(graceMs).then(() => false)]);
  if (!inTime) {
    say(`${work.job.id} did not finish within ${graceMs} ms; giving it back`);
    await Promise.race([client.fail(work.job, 'worker shutting down').catch(() => null), sleep(2_000)]);
  }
  say('bye');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// #endregion sigterm

main().then(
  () => {
    if (!stopping) process.exit(0);
  },
  (err) => {
    console.error(`worker failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  },
);
