// The producer: puts JOBS jobs on the queue, at RATE jobs per second, and exits 0 once the broker has
// acknowledged every one of them.
//
// Environment:
//   BROKER_URL=http://127.0.0.1:7700   (the broker listens on 127.0.0.1; "localhost" may mean ::1)
//   JOBS=20              how many jobs to enqueue
//   RATE=5               jobs per second (0 = as fast as the broker answers)
//   PRODUCER_ID=producer-1
//
// Each job carries the idempotency key `${PRODUCER_ID}-${i}`. When a request fails without an answer
// (the broker crashed, the connection dropped), we cannot know whether the job was created, so we send
// the very same request again: the key makes the broker return the job it already has instead of
// creating a second one. Re-running the whole producer is safe for the same reason.
//
// Run it alone:  node --import tsx examples/queue/node/producer.ts

import { BrokerError, createClient, describeError, sleep } from './client.ts';
import { envInt, envNumber, envString } from './env.ts';

const brokerUrl = envString('BROKER_URL', 'http://127.0.0.1:7700');
const jobs = envInt('JOBS', 20);
const rate = envNumber('RATE', 5);
const producerId = envString('PRODUCER_ID', 'producer-1');
const client = createClient(brokerUrl);

// #region produce
async function enqueueWithRetry(i: number): Promise<void> {
  const key = `${producerId}-${i}`;
  const payload = { task: 'resize-image', n: i };
  for (let attempt = 1; ; attempt++) {
    try {
      const { job, created } = await client.enqueue(payload, key);
      // This line is printed only after the broker's reply, i.e. after the job is on its disk.
      console.log(`enqueued ${job.id} (${key})${created ? '' : ' - already there, the key deduplicated a retry'}`);
      return;
    } catch (err) {
      if (err instanceof BrokerError && err.status < 500) throw err; // our request is wrong: retrying won't help
      // No answer: back off exponentially (100 ms, 200 ms, ... capped at 2 s) and send the same request.
      const delay = Math.min(2_000, 100 * 2 ** Math.min(attempt - 1, 5));
      console.log(`enqueue ${key} got no answer (${describeError(err)}); retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}

async function main(): Promise<void> {
  console.log(`producing ${jobs} jobs to ${brokerUrl} at ${rate === 0 ? 'full speed' : `${rate}/s`}`);
  const started = Date.now();
  for (let i = 1; i <= jobs; i++) {
    await enqueueWithRetry(i);
    // Pace by the clock, not by sleeping a fixed time after each job, so slow replies don't slow the rate.
    if (rate > 0) await sleep(Math.max(0, started + (i * 1000) / rate - Date.now()));
  }
  console.log(`all ${jobs} jobs acknowledged by the broker`);
}
// #endregion produce

process.on('SIGTERM', () => {
  console.log('SIGTERM: stopping; every job printed as enqueued is safely on the broker');
  process.exit(0);
});
process.on('SIGINT', () => process.exit(0));

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`producer failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  },
);
