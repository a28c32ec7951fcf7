// The course bus's disk, without the process: answers wait for the fsync, replay gives every message its
// seq back (and refuses a log with a hole), compaction keeps exactly what history keeps.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptLogError, keptMessages, MessageLog, readLog, replayMessages } from '../../examples/chat/node/bus-log.ts';
import { read } from '../../examples/chat/core/sequencer.ts';
import type { ChatMessage } from '../../examples/chat/core/types.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';

afterAll(stopAll);

const msg = (room: string, seq: number, id = seq, clientId = 'c'): ChatMessage => ({ room, seq, from: 'a', text: `t${seq}`, clientId, id });
const config = { historyLimit: 3, dedupeLimit: 256 };

describe('MessageLog', () => {
  it('runs an answer only once every line appended before it is on disk, in order', async () => {
    const file = path.join(makeTempDir('chat-bus-log-'), 'messages.jsonl');
    const log = await MessageLog.open(file, (err) => {
      throw err;
    });
    const answered: string[] = [];
    const onDisk = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).length : 0);
    log.whenDurable(() => answered.push(`nothing pending: ${onDisk()}`)); // at once
    log.append(msg('r', 1));
    log.whenDurable(() => answered.push(`after 1: ${onDisk()}`));
    log.append(msg('r', 2));
    log.whenDurable(() => answered.push(`after 2: ${onDisk()}`));
    expect(answered).toEqual(['nothing pending: 0']); // nothing answered before the write
    await new Promise<void>((resolve) => log.whenDurable(resolve));
    log.append(msg('r', 3));
    log.whenDurable(() => answered.push(`after 3: ${onDisk()}`));
    await log.close();
    expect(answered).toEqual(['nothing pending: 0', 'after 1: 2', 'after 2: 2', 'after 3: 3']);
    expect(log.counters).toEqual({ lines: 3, fsyncs: 2 }); // the first two in one group
    expect(readLog(file, () => {})).toEqual([msg('r', 1), msg('r', 2), msg('r', 3)]);
  });
});

describe('replay and compaction', () => {
  it('gives every logged message its seq again and remembers resends', () => {
    const state = replayMessages([msg('a', 1), msg('b', 1, 2), msg('a', 2, 3)], config);
    expect(read(state, 'a', 0, 10).messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(state.seen.c?.['3']).toEqual({ room: 'a', seq: 2 });
  });

  it('starts a room at its first kept seq after compaction', () => {
    const state = replayMessages([msg('a', 5), msg('a', 6)], config);
    expect(read(state, 'a', 0, 10)).toMatchObject({ oldest: 5, last: 6 });
  });

  it('refuses a log with a hole or a resend in it', () => {
    expect(() => replayMessages([msg('a', 1), msg('a', 3)], config)).toThrow(CorruptLogError);
    expect(() => replayMessages([msg('a', 1), msg('a', 2, 1)], config)).toThrow(/resend/);
  });

  it('keeps, in logged order, exactly the messages history still holds', () => {
    const logged = [msg('a', 1), msg('b', 1, 10), msg('a', 2), msg('a', 3), msg('a', 4), msg('a', 5)];
    const kept = keptMessages(logged, replayMessages(logged, config));
    expect(kept).toEqual([msg('b', 1, 10), msg('a', 3), msg('a', 4), msg('a', 5)]);
    const again = replayMessages(kept, config);
    expect(read(again, 'a', 0, 10)).toEqual(read(replayMessages(logged, config), 'a', 0, 10));
  });

  it('reads a torn last line as absent, with a warning', () => {
    const file = path.join(makeTempDir('chat-bus-log-'), 'messages.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(msg('a', 1))}\n{"room":"a","se`);
    const warnings: string[] = [];
    expect(readLog(file, (w) => warnings.push(w))).toEqual([msg('a', 1)]);
    expect(warnings.join()).toMatch(/torn line \(15 bytes/);
  });
});
