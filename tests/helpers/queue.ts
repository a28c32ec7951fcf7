// Starting the queue's programs (examples/queue/node) from tests, on a temp DATA_DIR and a free port.

import { createClient, type Job, type QueueClient } from '../../examples/queue/node/client.ts';
import { startScript, waitFor, type Proc } from './processes.ts';

export const BROKER = 'examples/queue/node/broker.ts';
export const PRODUCER = 'examples/queue/node/producer.ts';
export const WORKER = 'examples/queue/node/worker.ts';
export const RUNNER = 'examples/queue/node/run.ts';

export interface Broker {
  proc: Proc;
  port: number;
  url: string;
  client: QueueClient;
}

/** Starts a broker (PORT=0 unless given: the OS picks a free port, the broker prints it) and waits for /health. */
export async function startBroker(dataDir: string, env: Record<string, string> = {}, port = 0): Promise<Broker> {
  const proc = startScript(BROKER, { DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), ...env }, 'broker');
  const match = await proc.waitForLine(/broker listening on http:\/\/[^:]+:(\d+)/);
  const actualPort = Number(match[1]);
  const url = `http://127.0.0.1:${actualPort}`;
  const client = createClient(url);
  await waitFor('broker /health', () => client.health(), 30_000);
  return { proc, port: actualPort, url, client };
}

export function startWorker(url: string, id: string, env: Record<string, string> = {}): Proc {
  return startScript(WORKER, { BROKER_URL: url, WORKER_ID: id, WORK_MS: '10', ...env }, id);
}

export function startProducer(url: string, jobs: number, env: Record<string, string> = {}): Proc {
  return startScript(PRODUCER, { BROKER_URL: url, JOBS: String(jobs), RATE: '0', ...env }, 'producer');
}

/** Done jobs that were leased more than once: the work was (or may have been) done twice. */
export function duplicates(jobs: Job[]): Job[] {
  return jobs.filter((j) => j.status === 'done' && j.attempts > 1);
}

/** Lines like "done job-12 (attempt 1)" printed by workers: each is an ack the broker confirmed. */
export function confirmedAcks(procs: Proc[]): { jobId: string; attempt: number }[] {
  const acks: { jobId: string; attempt: number }[] = [];
  for (const p of procs) {
    for (const line of p.lines) {
      const m = /^done (job-\d+) \(attempt (\d+)\)/.exec(line);
      if (m) acks.push({ jobId: m[1]!, attempt: Number(m[2]) });
    }
  }
  return acks;
}

/** Lines like "enqueued job-3 (producer-1-3)" printed by the producer: each is an enqueue the broker confirmed. */
export function confirmedEnqueues(producer: Proc): { jobId: string; key: string }[] {
  return producer.lines.flatMap((line) => {
    const m = /^enqueued (job-\d+) \(([^)]+)\)/.exec(line);
    return m ? [{ jobId: m[1]!, key: m[2]! }] : [];
  });
}
