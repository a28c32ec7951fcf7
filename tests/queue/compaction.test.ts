// Compaction (examples/queue/node/snapshot.ts), in-process on real files: a snapshot plus the segments after
// it must rebuild exactly the state the live broker had, whichever step a compaction stopped at, and the
// start-up must refuse (not guess) when a file that holds acknowledged records is missing or unreadable.
// The same steps with a real broker killed by SIGKILL are in compaction-crash.test.ts.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, createQueue, stats, type Command, type QueueState, type Result } from '../../examples/queue/core/queue.ts';
import { DurableQueue } from '../../examples/queue/node/durable-queue.ts';
import { CommandLog } from '../../examples/queue/node/log.ts';
import { compact, compactionSteps, recover, removeQueueData, snapshotFileName, type CompactionStep } from '../../examples/queue/node/snapshot.ts';
import { mulberry32 } from '../../examples/shared/random.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';

afterAll(stopAll);

// ---- A deterministic workload: every kind of command, leases that expire, done jobs that are forgotten ----

/** Makes commands that make sense for the state they will be applied to (acks carry live tokens, mostly). */
function workload(seed: number) {
  const rnd = mulberry32(seed); // seeded, so a failure replays exactly
  let now = 1_000_000;
  let n = 0;
  return (state: QueueState): Command => {
    now += Math.floor(rnd() * 40);
    const leased = Object.values(state.jobs).filter((j) => j.lease !== undefined);
    const held = leased[Math.floor(rnd() * leased.length)];
    const r = rnd();
    if (r < 0.3) return { type: 'enqueue', now, payload: { n: ++n }, idempotencyKey: rnd() < 0.7 ? `key-${Math.floor(rnd() * 400)}` : undefined } as Command;
    if (r < 0.55) return { type: 'lease', now, workerId: `w${Math.floor(rnd() * 3)}` };
    if (r < 0.75 && held) return { type: 'ack', now, jobId: held.id, token: held.lease!.token };
    if (r < 0.85 && held) return { type: 'fail', now, jobId: held.id, token: held.lease!.token, error: 'boom', jitter: rnd() };
    if (r < 0.9 && held) return { type: 'heartbeat', now, jobId: held.id, token: held.lease!.token };
    if (r < 0.93) {
      const dead = Object.values(state.jobs).find((j) => j.status === 'dead');
      if (dead) return { type: 'redrive', now, jobId: dead.id };
    }
    return { type: 'tick', now };
  };
}

const settings: Command = {
  type: 'configure',
  now: 1_000_000,
  config: { visibilityTimeoutMs: 300, maxAttempts: 3, backoffBaseMs: 20, backoffMaxMs: 100, doneRetentionMs: 2_000 },
};

/** The live side of a test: the state in memory and the log on disk, fed the same commands. */
class Live {
  readonly state = createQueue();
  readonly writes: Promise<void>[] = [];
  private readonly next = workload(7);
  constructor(readonly log: CommandLog) {}
  run(count: number): void {
    for (let i = 0; i < count; i++) this.do(this.next(this.state));
  }
  do(cmd: Command): void {
    apply(this.state, cmd);
    this.writes.push(this.log.append(cmd)); // logging every command (even refusals) replays the same
  }
}

class Stop extends Error {}
const stopAt = (target: CompactionStep) => (step: CompactionStep) => {
  if (step === target) throw new Stop(step);
};

/** Compacts, stopping (as a crash would) at `target`; commands keep arriving while it runs, as in the broker. */
async function compactUntil(dir: string, live: Live, target: CompactionStep | null, commandsMeanwhile: number): Promise<void> {
  let running: Promise<unknown>;
  try {
    running = compact(dir, live.state, live.log, target === null ? () => {} : stopAt(target));
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    running = Promise.resolve(); // stopped at 'rotated', inside the synchronous part
  }
  live.run(commandsMeanwhile);
  await running.catch((err: unknown) => {
    if (!(err instanceof Stop)) throw err;
  });
}

const files = (dir: string) => fs.readdirSync(dir).sort();

/** Applies the same commands to two states and expects the same results: they behave the same, not only look it. */
function expectSameBehaviour(a: QueueState, b: QueueState, count: number): void {
  const next = workload(99);
  for (let i = 0; i < count; i++) {
    const cmd = next(a);
    const ra: Result = apply(a, cmd);
    const rb: Result = apply(b, structuredClone(cmd));
    expect(rb).toEqual(ra);
  }
  expect(b).toEqual(a);
}

// ---- A compaction stopped at every step ----------------------------------------------------------------------

describe('a compaction stopped at any step loses nothing', () => {
  // Which files exist after start-up cleaned up: before the rename the old snapshot still rules, after it the new one.
  const afterRename = new Set<CompactionStep>(['renamed', 'dir-synced', 'deleting', 'done']);

  it.each(compactionSteps.map((s) => [s]))('stopped at %s: start-up rebuilds exactly the live state', async (step) => {
    const dir = makeTempDir();
    const live = new Live(await CommandLog.open(dir, 1));
    live.do(settings);
    live.run(400);
    await compactUntil(dir, live, null, 50); // a first, complete compaction: snapshot-000001, segment 2
    expect(files(dir)).toEqual(['queue-000002.log', 'snapshot-000001.json']);
    live.run(400);
    await compactUntil(dir, live, step, 100); // the second one stops at `step`; segment 3 gets the rest
    live.run(100);
    await Promise.all(live.writes); // every record the live side appended was acknowledged
    await live.log.close();
    if (step === 'temp-partial') expect(files(dir)).toContain('snapshot-000002.json.tmp');

    const warnings: string[] = [];
    const recovered = recover(dir, (w) => warnings.push(w));
    expect(recovered.state).toEqual(live.state);
    expect(stats(recovered.state)).toEqual(stats(live.state));
    // The workload reached every corner a snapshot must carry: done jobs, forgotten ones, expired leases.
    expect(stats(live.state).done).toBeGreaterThan(0);
    expect(live.state.nextId - 1).toBeGreaterThan(stats(live.state).total);
    expect(Object.values(live.state.jobs).some((j) => j.endedLease?.reason === 'expired')).toBe(true);
    expect(recovered.liveSegment).toBe(3);
    const expectedFiles = afterRename.has(step) ? ['queue-000003.log', 'snapshot-000002.json'] : ['queue-000002.log', 'queue-000003.log', 'snapshot-000001.json'];
    expect(files(dir)).toEqual(expectedFiles);
    if (step === 'temp-partial' || step === 'temp-synced') expect(warnings.join('\n')).toMatch(/removed snapshot-000002\.json\.tmp, an unfinished snapshot/);
    if (step === 'renamed' || step === 'dir-synced') expect(warnings.join('\n')).toMatch(/removed queue-000002\.log, snapshot-000001\.json: snapshot-000002\.json already covers them/);

    // A second start-up finds nothing to clean and the same state; and the state behaves like the live one.
    const again: string[] = [];
    expect(recover(dir, (w) => again.push(w)).state).toEqual(live.state);
    expect(again).toEqual([]);
    expectSameBehaviour(live.state, recovered.state, 300);
  });
});

// ---- Start-up edge cases -----------------------------------------------------------------------------------

async function writeSegment(dir: string, n: number, cmds: Command[]): Promise<void> {
  const log = await CommandLog.open(dir, n);
  for (const c of cmds) await log.append(c);
  await log.close();
}
const enqueue = (n: number): Command => ({ type: 'enqueue', now: 1_000 + n, payload: { n }, idempotencyKey: `k-${n}` });

describe('start-up', () => {
  it('starts empty on an empty or missing directory, appending to segment 1', () => {
    const dir = makeTempDir();
    const r = recover(dir, () => {});
    expect(r).toMatchObject({ liveSegment: 1, recordsSinceSnapshot: 0 });
    expect(r.state).toEqual(createQueue());
    expect(r.summary).toBe(`replayed 0 records from ${path.join(dir, 'queue-000001.log')}`);
    expect(recover(path.join(dir, 'not-there'), () => {}).liveSegment).toBe(1);
  });

  it('replays the segments in order and continues in the newest one', async () => {
    const dir = makeTempDir();
    await writeSegment(dir, 1, [enqueue(1), enqueue(2)]);
    await writeSegment(dir, 2, [enqueue(3)]);
    const r = recover(dir, () => {});
    expect(Object.keys(r.state.jobs)).toEqual(['job-1', 'job-2', 'job-3']);
    expect(r).toMatchObject({ liveSegment: 2, recordsSinceSnapshot: 3 });
  });

  it('cuts a torn tail off the newest segment only', async () => {
    const dir = makeTempDir();
    await writeSegment(dir, 1, [enqueue(1)]);
    await writeSegment(dir, 2, [enqueue(2)]);
    fs.appendFileSync(path.join(dir, 'queue-000002.log'), '{"type":"enq');
    const warnings: string[] = [];
    expect(stats(recover(dir, (w) => warnings.push(w)).state).total).toBe(2);
    expect(warnings.join('\n')).toMatch(/queue-000002\.log ends with a torn record/);

    fs.appendFileSync(path.join(dir, 'queue-000001.log'), '{"type":"enq');
    expect(() => recover(dir, () => {})).toThrow(/queue-000001\.log ends with a torn record although a newer segment follows/);
  });

  it('ignores and removes an unfinished (corrupt) snapshot temp file, replaying the segments instead', async () => {
    const dir = makeTempDir();
    await writeSegment(dir, 1, [enqueue(1), enqueue(2)]);
    fs.writeFileSync(path.join(dir, 'snapshot-000001.json.tmp'), '{"format":"queue-snapshot/1","segment":1,"state":{"conf');
    const warnings: string[] = [];
    const r = recover(dir, (w) => warnings.push(w));
    expect(Object.keys(r.state.jobs)).toEqual(['job-1', 'job-2']);
    expect(files(dir)).toEqual(['queue-000001.log']);
    expect(warnings).toEqual(['removed snapshot-000001.json.tmp, an unfinished snapshot (a crash during compaction?)']);
  });

  it('refuses to start when a segment is missing after the snapshot', async () => {
    const dir = makeTempDir();
    const live = new Live(await CommandLog.open(dir, 1));
    live.run(50);
    await compactUntil(dir, live, null, 10);
    await Promise.all(live.writes);
    await live.log.close();
    await writeSegment(dir, 4, [enqueue(1)]); // segment 3 never made it
    expect(() => recover(dir, () => {})).toThrow(/queue-000003\.log is missing \(found queue-000004\.log after snapshot-000001\.json\); records would be lost, refusing to start/);
    expect(files(dir)).toEqual(['queue-000002.log', 'queue-000004.log', 'snapshot-000001.json']); // nothing deleted
  });

  it('refuses to start when the first segment is missing and no snapshot covers it', async () => {
    const dir = makeTempDir();
    await writeSegment(dir, 2, [enqueue(1)]);
    expect(() => recover(dir, () => {})).toThrow(/queue-000001\.log is missing \(found queue-000002\.log after no snapshot\)/);
  });

  it('refuses to start on a snapshot that has its final name but does not parse (damage, not a crash)', async () => {
    const dir = makeTempDir();
    await writeSegment(dir, 2, [enqueue(1)]);
    fs.writeFileSync(path.join(dir, 'snapshot-000001.json'), '{"format":"queue-snapshot/1","segm');
    expect(() => recover(dir, () => {})).toThrow(/snapshot-000001\.json is unreadable .*refusing to start/);
    fs.writeFileSync(path.join(dir, 'snapshot-000001.json'), '{"format":"queue-snapshot/1","segment":7,"state":{}}');
    expect(() => recover(dir, () => {})).toThrow(/snapshot-000001\.json is not a queue snapshot this broker understands/);
  });

  it('reads the single queue.log of earlier versions as segment 0, and the first compaction retires it', async () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, 'queue.log'), [enqueue(1), enqueue(2)].map((c) => JSON.stringify(c) + '\n').join(''));
    const lines: string[] = [];
    const queue = await DurableQueue.open({ dataDir: dir, config: {}, compactAfterRecords: 0, print: (l) => lines.push(l), onFatal: (e) => { throw e; } });
    expect(lines[0]).toBe(`replayed 2 records from ${path.join(dir, 'queue.log')}: 2 jobs (2 pending, 0 leased, 0 done, 0 dead)`);
    await queue.execute(enqueue(3)).durable;
    expect(files(dir)).toEqual(['queue.log']); // appends continue where they were
    const report = await queue.compact();
    expect(report).toMatchObject({ segment: 0, removed: ['queue.log'] });
    await queue.execute(enqueue(4)).durable;
    await queue.close();
    expect(files(dir)).toEqual(['queue-000001.log', 'snapshot-000000.json']);
    expect(Object.keys(recover(dir, () => {}).state.jobs)).toEqual(['job-1', 'job-2', 'job-3', 'job-4']);
  });
});

// ---- The broker's side: when compaction runs, and the data-directory helpers ---------------------------------

describe('DurableQueue compacts by itself', () => {
  it('after COMPACT_AFTER_RECORDS records, prints what it did, and a restart loads the snapshot', async () => {
    const dir = makeTempDir();
    const lines: string[] = [];
    const open = (compactAfterRecords: number) =>
      DurableQueue.open({ dataDir: dir, config: {}, compactAfterRecords, print: (l) => lines.push(l), onFatal: (e) => { throw e; } });
    const queue = await open(100);
    const now = Date.now();
    for (let i = 1; i <= 150; i++) await queue.execute({ type: 'enqueue', now, payload: { i }, idempotencyKey: `k-${i}` }).durable;
    await queue.close(); // waits for a compaction still running
    const compacted = lines.filter((l) => l.startsWith('compacted '));
    expect(compacted).toHaveLength(1);
    expect(compacted[0]).toMatch(/^compacted 100 records into .*snapshot-000001\.json \(\d+(\.\d)? KB\), removed queue-000001\.log; took \d+ ms, of which \d+ ms blocked the broker$/);
    expect(files(dir)).toEqual(['queue-000002.log', 'snapshot-000001.json']);

    lines.length = 0;
    const again = await open(0); // 0: never compact
    expect(lines[0]).toBe(`loaded ${path.join(dir, 'snapshot-000001.json')} (${(fs.statSync(path.join(dir, 'snapshot-000001.json')).size / 1024).toFixed(1)} KB) and replayed 50 records from ${path.join(dir, 'queue-000002.log')}: 150 jobs (150 pending, 0 leased, 0 done, 0 dead)`);
    for (let i = 151; i <= 400; i++) await again.execute({ type: 'enqueue', now, payload: { i } }).durable;
    await again.close();
    expect(lines.filter((l) => l.startsWith('compacted '))).toEqual([]);
    expect(files(dir)).toEqual(['queue-000002.log', 'snapshot-000001.json']);
  });

  it('waits until the log has grown by as many records as the state has jobs, so a big state is not rewritten every few records', async () => {
    const dir = makeTempDir();
    const lines: string[] = [];
    const open = (compactAfterRecords: number) =>
      DurableQueue.open({ dataDir: dir, config: {}, compactAfterRecords, print: (l) => lines.push(l), onFatal: (e) => { throw e; } });
    const setup = await open(0);
    const now = Date.now();
    for (let i = 1; i <= 500; i++) setup.execute({ type: 'enqueue', now, payload: { i } });
    await setup.compact(); // a snapshot of 500 pending jobs
    await setup.close();

    lines.length = 0;
    const queue = await open(50);
    for (let i = 1; i <= 499; i++) await queue.execute({ type: 'lease', now, workerId: 'w' }).durable;
    expect(lines.filter((l) => l.startsWith('compacted '))).toEqual([]); // 499 records >= 50, but < 500 jobs
    await queue.execute({ type: 'lease', now, workerId: 'w' }).durable;
    await queue.close();
    expect(lines.filter((l) => l.startsWith('compacted '))).toEqual([expect.stringMatching(/^compacted 500 records into .*snapshot-000002\.json/)]);
  });

  it('logs a change of settings, doneRetentionMs among them, as a configure record that outlives a snapshot', async () => {
    const dir = makeTempDir();
    const lines: string[] = [];
    const open = (doneRetentionMs: number) =>
      DurableQueue.open({ dataDir: dir, config: { doneRetentionMs }, compactAfterRecords: 0, print: (l) => lines.push(l), onFatal: (e) => { throw e; } });
    const first = await open(60_000);
    expect(lines).toContain('settings changed (logged as a configure record): doneRetentionMs 3600000 -> 60000');
    await first.compact();
    await first.close();
    lines.length = 0;
    const second = await open(60_000); // the snapshot holds the setting: nothing new to log
    expect(second.state.config.doneRetentionMs).toBe(60_000);
    expect(lines.filter((l) => l.startsWith('settings changed'))).toEqual([]);
    await second.close();
  });
});

describe('removeQueueData', () => {
  it('removes every segment, snapshot and unfinished snapshot, and nothing else', () => {
    const dir = makeTempDir();
    const ours = ['queue.log', 'queue-000001.log', 'queue-000002.log', snapshotFileName(1), 'snapshot-000002.json.tmp'];
    for (const name of [...ours, 'broker.lock', 'notes.txt', 'queue-1.log']) fs.writeFileSync(path.join(dir, name), 'x');
    expect(removeQueueData(dir).sort()).toEqual([...ours].sort());
    expect(files(dir)).toEqual(['broker.lock', 'notes.txt', 'queue-1.log']);
    expect(removeQueueData(path.join(dir, 'missing'))).toEqual([]);
  });
});
