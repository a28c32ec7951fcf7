// The command log on its own (examples/queue/node/log.ts), on a real file: group commit and replay,
// including a torn last line left by a crash mid-write.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, createQueue, stats, type Command } from '../../examples/queue/core/queue.ts';
import { CommandLog, replayLog } from '../../examples/queue/node/log.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';

afterAll(stopAll);

const enqueue = (n: number): Command => ({ type: 'enqueue', now: 1_000 + n, payload: { n }, idempotencyKey: `k-${n}` });

function commandsOf(file: string): Command[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Command);
}

describe('group commit', () => {
  it('resolves every append once it is on disk, batching concurrent appends into fewer fsyncs, in order', async () => {
    const file = path.join(makeTempDir(), 'queue.log');
    const log = await CommandLog.open(file);
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

describe('replay', () => {
  it('rebuilds the same state as applying the commands directly', async () => {
    const file = path.join(makeTempDir(), 'queue.log');
    const cmds: Command[] = [enqueue(1), enqueue(2), { type: 'lease', now: 2_000, workerId: 'w' }, { type: 'ack', now: 2_100, jobId: 'job-1', token: 'job-1.1' }];
    const log = await CommandLog.open(file);
    for (const c of cmds) await log.append(c);
    await log.close();

    const expected = createQueue();
    for (const c of cmds) apply(expected, c);
    const state = createQueue();
    expect(replayLog(file, state, () => {})).toEqual({ records: 4, truncatedBytes: 0 });
    expect(state).toEqual(expected);
    expect(stats(state)).toMatchObject({ done: 1, pending: 1 });
  });

  it('tolerates a torn final line: warns, cuts it off, keeps every complete record, and appends cleanly after', async () => {
    const file = path.join(makeTempDir(), 'queue.log');
    const log = await CommandLog.open(file);
    for (const n of [1, 2, 3]) await log.append(enqueue(n));
    await log.close();
    const clean = fs.statSync(file).size;
    fs.appendFileSync(file, '{"type":"enqueue","now":1004,"payl'); // the crash hit mid-write

    const warnings: string[] = [];
    const state = createQueue();
    const report = replayLog(file, state, (w) => warnings.push(w));
    expect(report).toEqual({ records: 3, truncatedBytes: '{"type":"enqueue","now":1004,"payl'.length });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/torn/);
    expect(stats(state).total).toBe(3);
    expect(fs.statSync(file).size).toBe(clean); // the torn bytes are gone from the file

    // The next append starts on a clean line, and a second replay sees all four records, no warning.
    const again = await CommandLog.open(file);
    await again.append(enqueue(4));
    await again.close();
    const later = createQueue();
    expect(replayLog(file, later, (w) => warnings.push(w))).toEqual({ records: 4, truncatedBytes: 0 });
    expect(warnings).toHaveLength(1);
    expect(Object.keys(later.jobs)).toEqual(['job-1', 'job-2', 'job-3', 'job-4']);
  });

  it('drops a complete-looking record whose newline never reached the disk', () => {
    const file = path.join(makeTempDir(), 'queue.log');
    fs.writeFileSync(file, JSON.stringify(enqueue(1)) + '\n' + JSON.stringify(enqueue(2)));
    const state = createQueue();
    expect(replayLog(file, state, () => {}).records).toBe(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(enqueue(1)) + '\n');
  });

  it('refuses to start on corruption in the middle (a bad record followed by good ones)', () => {
    const file = path.join(makeTempDir(), 'queue.log');
    fs.writeFileSync(file, [JSON.stringify(enqueue(1)), 'garbage', JSON.stringify(enqueue(2)), ''].join('\n'));
    expect(() => replayLog(file, createQueue(), () => {})).toThrow(/corrupt/);
  });

  it('starts empty when there is no log yet', () => {
    const state = createQueue();
    expect(replayLog(path.join(makeTempDir(), 'none.log'), state, () => {})).toEqual({ records: 0, truncatedBytes: 0 });
    expect(stats(state).total).toBe(0);
  });
});
