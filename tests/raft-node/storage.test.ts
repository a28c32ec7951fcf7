// The Raft node's disk (examples/raft/node/storage.ts): what persist() wrote comes back on open(), after a
// clean stop, a torn last record (cut off), a truncation, a snapshot and its compaction, and a crash between
// the snapshot and the log rewrite; a damaged record in the middle stops the node with a clear message.
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry, Ready, Snapshot } from '../../examples/raft/core/types.ts';
import { CorruptDataError, LOG_FILE, RaftStorage, SNAPSHOT_FILE, encodeRecord } from '../../examples/raft/node/storage.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';

afterAll(stopAll);

type Change = Pick<Ready, 'hardState' | 'snapshot' | 'log'>;
const none: Change = { hardState: null, snapshot: null, log: null };
const put = (index: number, term: number, value = `v${index}`): Entry => ({ index, term, command: { op: 'put', key: 'k', value } });
const entries = (from: number, to: number, term: number) => Array.from({ length: to - from + 1 }, (_, i) => put(from + i, term));
const append = (from: number, list: Entry[]): Change => ({ ...none, log: { truncateFrom: from, entries: list } });
const kvSnapshot = (lastIndex: number, lastTerm: number): Snapshot => ({ lastIndex, lastTerm, data: { data: { k: `v${lastIndex}` }, sessions: { c1: { seq: 3, result: { ok: true, value: 'x' } } } } });

/** A snapshot file as storage.ts writes it: 8 hex digits of crc32, a space, the JSON, a newline. */
function snapshotText(snap: Snapshot): string {
  const json = JSON.stringify(snap);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

async function reopen(dir: string, warnings: string[] = []) {
  const loaded = await RaftStorage.open(dir, (line) => warnings.push(line));
  await loaded.storage.close();
  return loaded.persisted;
}

describe('raft node storage', () => {
  it('gives back the term, vote and entries it persisted, in a new directory it creates', async () => {
    const dir = path.join(makeTempDir('raft-storage-'), 'fresh', 'n1');
    const { storage, persisted } = await RaftStorage.open(dir);
    expect(persisted).toEqual({ term: 0, votedFor: null, snapshot: null, entries: [] });
    await storage.persist({ ...none, hardState: { term: 3, votedFor: 'n2' } });
    await storage.persist(append(1, entries(1, 3, 3)));
    await storage.persist({ hardState: { term: 4, votedFor: null }, snapshot: null, log: { truncateFrom: 4, entries: [put(4, 4)] } });
    expect(storage.counters.fsyncs).toBe(3); // one fsync per persist: every record of a ready in one write
    await storage.close();
    expect(await reopen(dir)).toEqual({ term: 4, votedFor: null, snapshot: null, entries: [...entries(1, 3, 3), put(4, 4)] });
  });

  it('replays a truncation record: a conflicting suffix is replaced, the entries before it stay', async () => {
    const dir = makeTempDir('raft-storage-');
    const { storage } = await RaftStorage.open(dir);
    await storage.persist(append(1, entries(1, 5, 1)));
    await storage.persist(append(3, [put(3, 2, 'new3'), put(4, 2, 'new4')])); // a new leader's entries from 3 on
    await storage.close();
    const text = fs.readFileSync(path.join(dir, LOG_FILE), 'utf8');
    expect(text).toContain('"truncate":3'); // expressed as a record: the log is only ever appended to
    const { entries: back } = await reopen(dir);
    expect(back).toEqual([put(1, 1), put(2, 1), put(3, 2, 'new3'), put(4, 2, 'new4')]);
  });

  it('cuts off a torn last record (a crash mid-write) and keeps everything before it', async () => {
    const dir = makeTempDir('raft-storage-');
    const { storage } = await RaftStorage.open(dir);
    await storage.persist({ hardState: { term: 2, votedFor: 'n1' }, snapshot: null, log: { truncateFrom: 1, entries: entries(1, 4, 2) } });
    await storage.close();
    const file = path.join(dir, LOG_FILE);
    const whole = encodeRecord({ entry: put(5, 2) });
    fs.appendFileSync(file, whole.slice(0, whole.length - 9)); // half a record, no newline
    const sizeBefore = fs.statSync(file).size;
    const warnings: string[] = [];
    const again = await RaftStorage.open(dir, (l) => warnings.push(l));
    expect(again.persisted.entries).toEqual(entries(1, 4, 2));
    expect(again.persisted.term).toBe(2);
    expect(warnings.join('\n')).toMatch(/torn record/);
    expect(fs.statSync(file).size).toBeLessThan(sizeBefore);
    // The next append starts on a clean line, and both survive another restart.
    await again.storage.persist(append(5, [put(5, 2, 'five')]));
    await again.storage.close();
    expect((await reopen(dir)).entries).toEqual([...entries(1, 4, 2), put(5, 2, 'five')]);
  });

  it('refuses to start when a record in the middle is damaged, naming the file and the record', async () => {
    for (const damage of ['garbage', 'flip'] as const) {
      const dir = makeTempDir('raft-storage-');
      const { storage } = await RaftStorage.open(dir);
      for (let i = 1; i <= 4; i++) await storage.persist(append(i, [put(i, 1)]));
      await storage.close();
      const file = path.join(dir, LOG_FILE);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      // garbage: an unreadable line; flip: a value changed so that the JSON still parses (only the crc sees it)
      lines[1] = damage === 'garbage' ? 'not a record at all' : lines[1]!.replace('"v2"', '"v9"');
      fs.writeFileSync(file, lines.join('\n'));
      const opened = RaftStorage.open(dir);
      await expect(opened).rejects.toBeInstanceOf(CorruptDataError);
      await expect(opened).rejects.toThrow(/raft\.log: record 2 is unreadable but later records are fine; the log is corrupt, refusing to start/);
    }
  });

  it('writes a snapshot atomically and compacts the log to the entries after it; both reload', async () => {
    const dir = makeTempDir('raft-storage-');
    const { storage } = await RaftStorage.open(dir);
    await storage.persist({ hardState: { term: 2, votedFor: 'n3' }, snapshot: null, log: { truncateFrom: 1, entries: entries(1, 10, 2) } });
    await storage.persist({ ...none, snapshot: kvSnapshot(6, 2) });
    await storage.close();
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const logText = fs.readFileSync(path.join(dir, LOG_FILE), 'utf8');
    expect(logText.trim().split('\n')).toHaveLength(1 + 4); // the hard state and entries 7..10
    expect(await reopen(dir)).toEqual({ term: 2, votedFor: 'n3', snapshot: kvSnapshot(6, 2), entries: entries(7, 10, 2) });
  });

  it('a snapshot from the leader (InstallSnapshot) with a conflicting log keeps only what agrees with it', async () => {
    const dir = makeTempDir('raft-storage-');
    const { storage } = await RaftStorage.open(dir);
    await storage.persist(append(1, entries(1, 8, 1)));
    // The core's InstallSnapshot: the snapshot, and the log replaced from lastIndex + 1 (nothing kept).
    await storage.persist({ hardState: { term: 3, votedFor: null }, snapshot: kvSnapshot(12, 3), log: { truncateFrom: 13, entries: [] } });
    await storage.persist(append(13, [put(13, 3)]));
    await storage.close();
    expect(await reopen(dir)).toEqual({ term: 3, votedFor: null, snapshot: kvSnapshot(12, 3), entries: [put(13, 3)] });
  });

  it('after a crash between the snapshot rename and the log rewrite, reconciles like InstallSnapshot', async () => {
    // Old log 1..8 (term 1) and a new snapshot at 5: the log agrees at 5, so 6..8 stay.
    const agree = makeTempDir('raft-storage-');
    let s = (await RaftStorage.open(agree)).storage;
    await s.persist(append(1, entries(1, 8, 1)));
    await s.close();
    fs.writeFileSync(path.join(agree, SNAPSHOT_FILE), snapshotText(kvSnapshot(5, 1)));
    fs.writeFileSync(path.join(agree, `${LOG_FILE}.tmp`), 'half a rewrite');
    const warnings: string[] = [];
    expect((await reopen(agree, warnings)).entries).toEqual(entries(6, 8, 1));
    expect(warnings.join('\n')).toMatch(/removed raft\.log\.tmp/);
    // The same log with a snapshot of another term at 5 (a leader's): the log's suffix goes.
    const conflict = makeTempDir('raft-storage-');
    s = (await RaftStorage.open(conflict)).storage;
    await s.persist(append(1, entries(1, 8, 1)));
    await s.close();
    fs.writeFileSync(path.join(conflict, SNAPSHOT_FILE), snapshotText(kvSnapshot(5, 2)));
    expect((await reopen(conflict)).entries).toEqual([]);
  });

  it('refuses a damaged snapshot file', async () => {
    const dir = makeTempDir('raft-storage-');
    const { storage } = await RaftStorage.open(dir);
    await storage.persist({ ...none, log: { truncateFrom: 1, entries: entries(1, 3, 1) } });
    await storage.persist({ ...none, snapshot: kvSnapshot(2, 1) });
    await storage.close();
    const file = path.join(dir, SNAPSHOT_FILE);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"v2"', '"v7"'));
    await expect(RaftStorage.open(dir)).rejects.toThrow(/snapshot\.json is damaged \(its checksum does not match\)/);
  });
});

