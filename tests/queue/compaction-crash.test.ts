// kill -9 between every two steps of a compaction, with a real broker process over HTTP.
//
// The broker compacts after COMPACT_AFTER_RECORDS records. QUEUE_CRASH_AT=<step> makes it SIGKILL itself
// when its compaction reaches that step (see snapshot.ts). For each step: a first broker compacts once
// completely (so there is an old snapshot to replace), a second one crashes in the middle of the next
// compaction, and a third one must come back with every enqueue and ack the test was told about, the
// leases with their tokens, and the idempotency keys. The one request in flight at the crash may have
// happened or not (nobody was told either way); everything else must be exactly as the test expects.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerError, type Job, type QueueClient } from '../../examples/queue/node/client.ts';
import { compactionSteps, type CompactionStep } from '../../examples/queue/node/snapshot.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';
import { startBroker } from '../helpers/queue.ts';

afterAll(stopAll);

const env = { COMPACT_AFTER_RECORDS: '30', VISIBILITY_TIMEOUT_MS: '600000' }; // no lease expires during a test

interface Expected {
  key: string;
  status: Job['status'];
  token?: string;
}

/** What the test was told, and the one request whose answer never came. */
class Model {
  readonly jobs = new Map<string, Expected>();
  inFlight: { op: 'enqueue' | 'lease' | 'ack'; jobId?: string } | null = null;
  private n = 0;
  private ops = 0;

  /** Runs one request; false if the broker is gone (no answer: the request may or may not have happened). */
  private async call<T>(op: NonNullable<Model['inFlight']>, request: () => Promise<T>): Promise<T | typeof GONE> {
    this.inFlight = op;
    this.ops += 1;
    try {
      const answer = await request();
      this.inFlight = null;
      return answer;
    } catch (err) {
      if (err instanceof BrokerError) throw err; // an answer we did not expect: a real failure
      return GONE;
    }
  }

  /** One round: enqueue a job; most rounds also lease the oldest pending job; most of those ack it. */
  async round(client: QueueClient): Promise<boolean> {
    const i = ++this.n;
    const key = `crash-test-${i}`;
    const enqueued = await this.call({ op: 'enqueue' }, () => client.enqueue({ i }, key));
    if (enqueued === GONE) return false;
    this.jobs.set(enqueued.job.id, { key, status: 'pending' });
    if (i % 4 === 0) return true; // stays pending for a while
    const leased = await this.call({ op: 'lease' }, () => client.lease('w', 0));
    if (leased === GONE) return false;
    expect(leased).not.toBeNull();
    this.jobs.set(leased!.id, { key: leased!.idempotencyKey!, status: 'leased', token: leased!.lease!.token });
    if (i % 3 === 0) return true; // stays leased: its token must survive the crash
    const acked = await this.call({ op: 'ack', jobId: leased!.id }, () => client.ack(leased!));
    if (acked === GONE) return false;
    this.jobs.set(leased!.id, { key: leased!.idempotencyKey!, status: 'done' });
    return true;
  }

  get requests(): number {
    return this.ops;
  }

  /**
   * The broker's jobs must be the expected ones. Only the request in flight at the crash may have gone
   * either way: an enqueue may have created one more job, a lease may have leased one more pending job,
   * an ack may have finished its job. Afterwards the model adopts what the broker says.
   */
  check(jobs: Job[]): void {
    const byId = new Map(jobs.map((j) => [j.id, j]));
    const unexpected = jobs.filter((j) => !this.jobs.has(j.id));
    expect(unexpected.length).toBeLessThanOrEqual(this.inFlight?.op === 'enqueue' ? 1 : 0);
    const differ: string[] = [];
    for (const [id, want] of this.jobs) {
      const job = byId.get(id);
      expect(job, `${id} was confirmed but is gone`).toBeDefined();
      expect(job!.idempotencyKey).toBe(want.key);
      if (job!.status === want.status) {
        if (want.status === 'leased') expect(job!.lease?.token).toBe(want.token);
        continue;
      }
      differ.push(id);
      const op = this.inFlight?.op;
      const mayHaveLeased = op === 'lease' && want.status === 'pending' && job!.status === 'leased';
      const mayHaveAcked = op === 'ack' && this.inFlight?.jobId === id && want.status === 'leased' && job!.status === 'done';
      expect(mayHaveLeased || mayHaveAcked, `${id} is ${job!.status}, expected ${want.status}`).toBe(true);
    }
    expect(differ.length).toBeLessThanOrEqual(1);
    this.jobs.clear();
    for (const j of jobs) {
      const adopted: Expected = { key: j.idempotencyKey!, status: j.status };
      if (j.lease !== undefined) adopted.token = j.lease.token;
      this.jobs.set(j.id, adopted);
    }
    this.inFlight = null;
  }
}
const GONE = Symbol('broker gone');

const afterRename = new Set<CompactionStep>(['renamed', 'dir-synced', 'deleting', 'done']);

describe('kill -9 during a compaction', () => {
  it.each(compactionSteps.map((s) => [s]))('at %s: a restart keeps every acknowledged enqueue, lease and ack', async (step) => {
    const dataDir = makeTempDir();
    const files = () => fs.readdirSync(dataDir).filter((f) => /^(queue|snapshot)/.test(f)).sort(); // not the broker's lock file
    const model = new Model();

    // 1. A first compaction runs to the end: snapshot-000001.json, appends go to queue-000002.log.
    const first = await startBroker(dataDir, env);
    while (!first.proc.lines.some((l) => l.startsWith('compacted '))) expect(await model.round(first.client)).toBe(true);
    for (let i = 0; i < 3; i++) expect(await model.round(first.client)).toBe(true);
    await first.proc.kill('SIGKILL');
    expect(files()).toEqual(['queue-000002.log', 'snapshot-000001.json']);

    // 2. The second compaction is cut short by SIGKILL at `step`, in the middle of the traffic.
    const second = await startBroker(dataDir, { ...env, QUEUE_CRASH_AT: step });
    model.check(await second.client.listJobs()); // (a plain restart first: nothing in flight, nothing may differ)
    const before = model.requests;
    while (await model.round(second.client)) {
      expect(model.requests - before, 'the broker should have crashed by now').toBeLessThan(200);
    }
    expect(await second.proc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(second.proc.lines).toContain(`QUEUE_CRASH_AT=${step}: killing the broker with SIGKILL`);

    // What the crash left behind tells which step it hit.
    const left = files();
    expect(left.includes('snapshot-000002.json')).toBe(afterRename.has(step));
    expect(left.includes('snapshot-000002.json.tmp')).toBe(step === 'temp-partial' || step === 'temp-synced');
    expect(left.includes('queue-000002.log')).toBe(step !== 'deleting' && step !== 'done');
    expect(left.includes('snapshot-000001.json')).toBe(step !== 'done');
    expect(left.includes('queue-000003.log')).toBe(step !== 'rotated');

    // 3. A plain restart: everything confirmed is there, the leftovers are gone.
    const third = await startBroker(dataDir, env);
    const snapshot = afterRename.has(step) ? 'snapshot-000002.json' : 'snapshot-000001.json';
    await third.proc.waitForLine(new RegExp(`^loaded .*${snapshot.replace('.', '\\.')} .* and replayed \\d+ records from`));
    // At 'rotated' the switch to segment 3 was only queued (it happens after an await), so 2 is still the newest.
    const segments = afterRename.has(step) ? ['queue-000003.log'] : step === 'rotated' ? ['queue-000002.log'] : ['queue-000002.log', 'queue-000003.log'];
    expect(files()).toEqual([...segments, snapshot].sort());
    model.check(await third.client.listJobs());

    // The idempotency keys survived: every key gives back its job instead of creating another.
    const jobs = [...model.jobs.entries()];
    expect(jobs.length).toBeGreaterThan(20);
    for (const [id, { key }] of jobs) {
      const again = await third.client.enqueue({ again: true }, key);
      expect(again).toMatchObject({ created: false, job: { id } });
    }
    // A lease granted before the crash still works with its token.
    const [heldId, held] = jobs.find(([, j]) => j.status === 'leased')!;
    const acked = await third.client.ack({ id: heldId, lease: { token: held.token! } } as Job);
    expect(acked.status).toBe('done');
  });
});
