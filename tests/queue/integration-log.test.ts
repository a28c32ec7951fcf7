// The command log on its own (examples/queue/node/log.ts), on real files: group commit, switching to a new
// segment, and replay of one segment, including a torn last line left by a crash mid-write.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, createQueue, stats, type Command } from '../../examples/queue/core/queue.ts';
import { CommandLog, replaySegment, segmentFileName, segmentNumber } from '../../examples/queue/node/log.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';

afterAll(stopAll);

const enqueue = (n: number): Command => ({ type: 'enqueue', now: 1_000 + n, payload: { n }, idempotencyKey: `k-${n}` });

function commandsOf(file: string): Command[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Command);
}

const newest = (warnings: string[] = []) => ({ newest: true, warn: (w: string) => warnings.push(w) });

describe('segment file names', () => {
  it('number segments with six digits, and read the single queue.log of earlier versions as segment 0', () => {
    expect(segmentFileName(1)).toBe('queue-000001.log');
    expect(segmentFileName(1_234_567)).toBe('queue-1234567.log');
    expect(segmentFileName(0)).toBe('queue.log');
    for (const n of [0, 1, 42, 1_234_567]) expect(segmentNumber(segmentFileName(n))).toBe(n);
    expect(segmentNumber('queue-1.log')).toBeNull();
    expect(segmentNumber('snapshot-000001.json')).toBeNull();
  });
});

describe('group commit', () => {
  it('resolves every append once it is on disk, batching concurrent appends into fewer fsyncs, in order', async () => {
    const dir = makeTempDir();
    const log = await CommandLog.open(dir, 1);
    const file = path.join(dir, 'queue-000001.log');
    expect(log.path).toBe(file);
    const cmds = Array.from({ length: 200 }, (_, i) => enqueue(i + 1));
    const order: number[] = [];
    await Promise.all(cmds.map((c, i) => log.append(c).then(() => order.push(i))));
    // When a promise resolves, its record is in the file (the fsync covered it).
    expect(commandsOf(file)).toEqual(cmds);
    expect(order).toEqual(cmds.map((_, i) => i)); // earlier records are never confirmed after later ones
    expect(log.counters.records).toBe(200);
    expect(log.counters.fsyncs).toBeGreaterThanOrEqual(1);
    expect(log.counters.fsyncs).toBeLessThan(200); // appends made while an fsync ran shared the next one
    await log.close();
  });
});

describe('switching segments (rotate)', () => {
  it('sends records appended before the switch to the old segment and after it to the new one, old ones confirmed first', async () => {
    const dir = makeTempDir();
    const log = await CommandLog.open(dir, 1);
    const before = Array.from({ length: 50 }, (_, i) => enqueue(i + 1));
    const after = Array.from({ length: 50 }, (_, i) => enqueue(i + 51));
    const events: string[] = [];
    const done = before.map((c, i) => log.append(c).then(() => events.push(`before-${i}`)));
    const { closed, switched } = log.rotate();
    expect(closed).toBe(1);
    expect(log.segment).toBe(2);
    expect(log.path).toBe(path.join(dir, 'queue-000002.log'));
    done.push(switched.then(() => events.push('switched')));
    done.push(...after.map((c, i) => log.append(c).then(() => events.push(`after-${i}`))));
    await Promise.all(done);
    await log.close();

    expect(commandsOf(path.join(dir, 'queue-000001.log'))).toEqual(before);
    expect(commandsOf(path.join(dir, 'queue-000002.log'))).toEqual(after);
    // Every record of the old segment was on disk before the switch, and the switch before any new record.
    expect(events).toEqual([...before.map((_, i) => `before-${i}`), 'switched', ...after.map((_, i) => `after-${i}`)]);
  });

  it('creates the new segment even when nothing is appended after the switch', async () => {
    const dir = makeTempDir();
    const log = await CommandLog.open(dir, 7);
    await log.append(enqueue(1));
    await log.rotate().switched;
    expect(fs.readdirSync(dir).sort()).toEqual(['queue-000007.log', 'queue-000008.log']);
    expect(fs.statSync(path.join(dir, 'queue-000008.log')).size).toBe(0);
    await log.close();
  });
});

describe('replay', () => {
  it('rebuilds the same state as applying the commands directly', async () => {
    const dir = makeTempDir();
    const cmds: Command[] = [enqueue(1), enqueue(2), { type: 'lease', now: 2_000, workerId: 'w' }, { type: 'ack', now: 2_100, jobId: 'job-1', token: 'job-1.1' }];
    const log = await CommandLog.open(dir, 1);
    for (const c of cmds) await log.append(c);
    await log.close();

    const expected = createQueue();
    for (const c of cmds) apply(expected, c);
    const state = createQueue();
    expect(replaySegment(log.path, state, newest())).toEqual({ records: 4, truncatedBytes: 0 });
    expect(state).toEqual(expected);
    expect(stats(state)).toMatchObject({ done: 1, pending: 1 });
  });

  it('tolerates a torn final line in the newest segment: warns, cuts it off, keeps every complete record, and appends cleanly after', async () => {
    const dir = makeTempDir();
    const log = await CommandLog.open(dir, 1);
    for (const n of [1, 2, 3]) await log.append(enqueue(n));
    await log.close();
    const file = log.path;
    const clean = fs.statSync(file).size;
    fs.appendFileSync(file, '{"type":"enqueue","now":1004,"payl'); // the crash hit mid-write

    const warnings: string[] = [];
    const state = createQueue();
    const report = replaySegment(file, state, newest(warnings));
    expect(report).toEqual({ records: 3, truncatedBytes: '{"type":"enqueue","now":1004,"payl'.length });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/torn/);
    expect(stats(state).total).toBe(3);
    expect(fs.statSync(file).size).toBe(clean); // the torn bytes are gone from the file

    // The next append starts on a clean line, and a second replay sees all four records, no warning.
    const again = await CommandLog.open(dir, 1);
    await again.append(enqueue(4));
    await again.close();
    const later = createQueue();
    expect(replaySegment(file, later, newest(warnings))).toEqual({ records: 4, truncatedBytes: 0 });
    expect(warnings).toHaveLength(1);
    expect(Object.keys(later.jobs)).toEqual(['job-1', 'job-2', 'job-3', 'job-4']);
  });

  it('refuses a torn final line in a segment that is not the newest (a switch waits for the last fsync, so a crash cannot do that)', () => {
    const file = path.join(makeTempDir(), 'queue-000001.log');
    const torn = JSON.stringify(enqueue(1)) + '\n' + '{"type":"enq';
    fs.writeFileSync(file, torn);
    const state = createQueue();
    expect(() => replaySegment(file, state, { newest: false, warn: () => {} })).toThrow(/torn record although a newer segment follows/);
    expect(fs.readFileSync(file, 'utf8')).toBe(torn); // nothing cut off: a human should look at it
    expect(stats(state).total).toBe(0); // and nothing applied
  });

  it('drops a complete-looking record whose newline never reached the disk', () => {
    const file = path.join(makeTempDir(), 'queue-000001.log');
    fs.writeFileSync(file, JSON.stringify(enqueue(1)) + '\n' + JSON.stringify(enqueue(2)));
    const state = createQueue();
    expect(replaySegment(file, state, newest()).records).toBe(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(enqueue(1)) + '\n');
  });

  it('refuses to start on corruption in the middle (a bad record followed by good ones)', () => {
    const file = path.join(makeTempDir(), 'queue-000001.log');
    fs.writeFileSync(file, [JSON.stringify(enqueue(1)), 'garbage', JSON.stringify(enqueue(2)), ''].join('\n'));
    expect(() => replaySegment(file, createQueue(), newest())).toThrow(/corrupt/);
  });

  it('reads a missing segment file as empty', () => {
    const state = createQueue();
    expect(replaySegment(path.join(makeTempDir(), 'queue-000001.log'), state, newest())).toEqual({ records: 0, truncatedBytes: 0 });
    expect(stats(state).total).toBe(0);
  });
});
