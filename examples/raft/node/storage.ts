// A Raft node's disk: its term and vote, its log and its snapshot (Figure 2, "Persistent state on all
// servers"), in RAFT_DATA. The server hands every ready() of the core to `persist` and waits for it BEFORE it
// sends any message or reply of that ready: a vote, an acknowledged entry, an answered client are promises,
// and a node that forgets them after a crash breaks them (§5.1, §5.4; the ordering duty is in types.ts, Ready).
//
// The same rules as the queue's log (examples/queue/node/log.ts), in a smaller file:
//   - raft.log is append-only, one record per line, each line `<crc32 hex> <json>\n`, written with its newline.
//     Records: {"hard":{term,votedFor}} the term and vote; {"entry":{index,term,command}} one log entry;
//     {"truncate":N} every entry with index >= N is gone (a follower's conflicting suffix, §5.3). Truncation is
//     a record rather than a rewrite so that the hot path only ever appends.
//   - group commit: everything one ready() asks for (many client writes and messages of one event-loop turn)
//     is ONE write() and ONE fsync; the server waits for that fsync before anything of that ready leaves.
//   - at start-up the file may end with a torn record (a crash mid-write: its fsync never returned, so nobody
//     was told about it), which is cut off with a warning; an unreadable record FOLLOWED by good ones (or a
//     checksum that does not match) is corruption, and the node refuses to start rather than guess.
//   - a snapshot (§7) is written to snapshot.json.tmp, fsynced, renamed to snapshot.json and the directory
//     fsynced; then raft.log is rewritten the same way with only the term, vote and the entries after the
//     snapshot (compaction). A crash between the two leaves the old log beside the new snapshot, which loading
//     reconciles exactly as the core does on InstallSnapshot (entries the snapshot covers are dropped; entries
//     after it are kept only if the log agrees with the snapshot's last entry).
//
// Files in the data directory:
//   raft.log            the records above
//   snapshot.json       {"lastIndex","lastTerm","data"} (data: the KV state, sessions included), with a crc
//   *.tmp               a snapshot or a log rewrite that did not finish; removed at start-up
//   broker.lock         who is using the directory (examples/queue/node/lock.ts)

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Entry, NodeId, Persisted, Ready, Snapshot } from '../core/types.ts';

export const LOG_FILE = 'raft.log';
export const SNAPSHOT_FILE = 'snapshot.json';

/** Thrown when the data directory cannot be trusted: the node must not start and guess. */
export class CorruptDataError extends Error {}

type LogRecord = { hard: { term: number; votedFor: NodeId | null } } | { entry: Entry } | { truncate: number };

/** One line of raft.log: the checksum of the JSON, a space, the JSON, a newline. */
export function encodeRecord(record: LogRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** The record in one line (without its newline), or null if the line is damaged. */
function decodeRecord(line: string): LogRecord | null {
  const m = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (m === null || crc32(m[2]!) !== parseInt(m[1]!, 16)) return null;
  try {
    const value = JSON.parse(m[2]!) as Record<string, unknown>;
    if (typeof value !== 'object' || value === null) return null;
    if ('hard' in value || 'entry' in value || 'truncate' in value) return value as LogRecord;
    return null;
  } catch {
    return null;
  }
}

export interface Loaded {
  persisted: Persisted;
  storage: RaftStorage;
  /** One line for the server to print. */
  summary: string;
}

export interface StorageCounters {
  /** Calls of persist() that wrote something (one per ready with a change). */
  batches: number;
  records: number;
  fsyncs: number;
  snapshots: number;
}

export class RaftStorage {
  readonly counters: StorageCounters = { batches: 0, records: 0, fsyncs: 0, snapshots: 0 };
  private failed: Error | null = null;
  private busy = false;

  private constructor(
    readonly dir: string,
    private handle: FileHandle,
    /** A copy of what is on disk, so a compaction can rewrite the log without asking the core. */
    private hard: { term: number; votedFor: NodeId | null },
    private snapshot: Snapshot | null,
    private entries: Entry[],
  ) {}

  // #region load
  /** Start-up: the snapshot, then every record of raft.log. Creates the directory and files if needed. */
  static async open(dir: string, warn: (line: string) => void = () => {}): Promise<Loaded> {
    const created = !fs.existsSync(dir);
    fs.mkdirSync(dir, { recursive: true });
    if (created) await syncDirectory(path.dirname(dir));
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))) {
      fs.rmSync(path.join(dir, name), { force: true });
      warn(`removed ${name}, an unfinished snapshot or log rewrite (a crash while writing it?)`);
    }
    const snapshot = readSnapshot(path.join(dir, SNAPSHOT_FILE));
    const { hard, entries: logged, records } = readLog(path.join(dir, LOG_FILE), warn);
    const entries = reconcile(snapshot, logged);
    const logFile = path.join(dir, LOG_FILE);
    const isNew = !fs.existsSync(logFile);
    const handle = await fsp.open(logFile, 'a');
    if (isNew) await syncDirectory(dir); // a new file's name lives in the directory: make it durable too
    const storage = new RaftStorage(dir, handle, hard, snapshot, entries);
    const persisted: Persisted = { term: hard.term, votedFor: hard.votedFor, snapshot, entries: entries.map((e) => ({ ...e })) };
    const snap = snapshot === null ? 'no snapshot' : `a snapshot up to index ${snapshot.lastIndex}`;
    const last = entries.at(-1)?.index ?? snapshot?.lastIndex ?? 0;
    const summary = `term ${hard.term}, voted for ${hard.votedFor ?? 'nobody'}, ${snap}, ${entries.length} log entries (last index ${last}) from ${records} records in ${dir}`;
    return { persisted, storage, summary };
  }
  // #endregion load

  // #region persist
  /**
   * Makes one ready()'s hardState, snapshot and log change durable. Resolves only after the fsync: the caller
   * sends the ready's messages and answers its clients after this, never before (the core's ordering duty).
   * Calls must not overlap (the server awaits each one before the next ready).
   */
  async persist(ready: Pick<Ready, 'hardState' | 'snapshot' | 'log'>): Promise<void> {
    if (this.failed !== null) throw this.failed;
    if (this.busy) throw new Error('RaftStorage.persist called while a persist is in flight');
    if (ready.hardState === null && ready.snapshot === null && ready.log === null) return;
    this.busy = true;
    try {
      const records: LogRecord[] = [];
      if (ready.hardState !== null) {
        this.hard = { ...ready.hardState };
        records.push({ hard: this.hard });
      }
      if (ready.snapshot !== null) {
        this.snapshot = ready.snapshot;
        this.entries = this.entries.filter((e) => e.index > ready.snapshot!.lastIndex);
      }
      if (ready.log !== null) {
        const { truncateFrom, entries } = ready.log;
        const last = this.entries.at(-1)?.index ?? this.snapshot?.lastIndex ?? 0;
        if (truncateFrom <= last) {
          this.entries = this.entries.filter((e) => e.index < truncateFrom);
          records.push({ truncate: truncateFrom });
        }
        for (const entry of entries) {
          this.entries.push(entry);
          records.push({ entry });
        }
      }
      if (ready.snapshot !== null) {
        await this.writeSnapshot(ready.snapshot);
        await this.rewriteLog(); // the term, the vote and the entries after the snapshot, nothing more
        return;
      }
      // Group commit: every record of this ready in one write, one fsync.
      writeAll(this.handle, Buffer.from(records.map(encodeRecord).join(''), 'utf8'));
      await this.handle.datasync(); // the durability point: after this, a power cut cannot lose the batch
      this.counters.batches += 1;
      this.counters.records += records.length;
      this.counters.fsyncs += 1;
    } catch (err) {
      // A failed write or fsync means we no longer know what is on disk ("fsyncgate"): refuse everything after.
      this.failed = err instanceof Error ? err : new Error(String(err));
      throw this.failed;
    } finally {
      this.busy = false;
    }
  }
  // #endregion persist

  // #region snapshot
  /** Temp file, fsync, rename, fsync the directory: a crash leaves either the old snapshot or the new one. */
  private async writeSnapshot(snapshot: Snapshot): Promise<void> {
    const json = JSON.stringify(snapshot);
    await writeFileAtomic(path.join(this.dir, SNAPSHOT_FILE), `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`);
    this.counters.snapshots += 1;
    this.counters.fsyncs += 2;
  }

  /** Compaction: a new raft.log with the current term and vote and the entries after the snapshot. */
  private async rewriteLog(): Promise<void> {
    const lines = [encodeRecord({ hard: this.hard }), ...this.entries.map((entry) => encodeRecord({ entry }))];
    const file = path.join(this.dir, LOG_FILE);
    await writeFileAtomic(file, lines.join(''));
    const previous = this.handle;
    this.handle = await fsp.open(file, 'a');
    await previous.close();
    this.counters.fsyncs += 2;
  }
  // #endregion snapshot

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}

/**
 * One write() for the whole batch (the file is opened for appending); a short write is continued. It is a
 * synchronous write: it only copies the batch into the page cache (microseconds for a batch), and handing it
 * to the thread pool cost more than that (a round trip through another thread, per batch, on every node).
 * The slow part, the fsync that follows, stays asynchronous.
 */
function writeAll(handle: FileHandle, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += fs.writeSync(handle.fd, data, offset, data.length - offset);
}

/** Writes `file` so that a crash leaves either the old content or the new, never a mix. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await fsp.open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, file);
  await syncDirectory(path.dirname(file)); // the rename lives in the directory
}

export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a directory this way; there we rely on the file system's metadata journal.
  } finally {
    await handle?.close();
  }
}

function readSnapshot(file: string): Snapshot | null {
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  const m = /^([0-9a-f]{8}) (.*)\n$/s.exec(text);
  const refuse = (why: string) =>
    new CorruptDataError(`${file} is damaged (${why}); it was written to a temp file and renamed, so a crash cannot do this: refusing to start rather than lose data (move the directory aside to start this node empty; it will catch up from the leader)`);
  if (m === null || crc32(m[2]!) !== parseInt(m[1]!, 16)) throw refuse('its checksum does not match');
  const s = JSON.parse(m[2]!) as Snapshot;
  if (!Number.isSafeInteger(s.lastIndex) || !Number.isSafeInteger(s.lastTerm) || typeof s.data !== 'object') throw refuse('not a snapshot');
  return s;
}

// #region replay
/**
 * Every record of raft.log, in order. A record counts only if its newline reached the disk and its checksum
 * matches. A torn LAST record is cut off the file (with a warning); a bad record followed by good ones is
 * corruption.
 */
export function readLog(file: string, warn: (line: string) => void): { hard: { term: number; votedFor: NodeId | null }; entries: Entry[]; records: number } {
  let hard: { term: number; votedFor: NodeId | null } = { term: 0, votedFor: null };
  let entries: Entry[] = [];
  if (!fs.existsSync(file)) return { hard, entries, records: 0 };
  const data = fs.readFileSync(file);
  let offset = 0;
  let goodEnd = 0;
  let records = 0;
  let badRecord: number | null = null;
  while (offset < data.length) {
    const newline = data.indexOf(0x0a, offset);
    const end = newline === -1 ? data.length : newline + 1;
    const record = newline === -1 ? null : decodeRecord(data.subarray(offset, newline).toString('utf8'));
    if (record !== null && badRecord !== null) {
      throw new CorruptDataError(`${file}: record ${badRecord} is unreadable but later records are fine; the log is corrupt, refusing to start rather than lose acknowledged entries (move the directory aside to start this node empty; it will catch up from the leader)`);
    }
    if (record === null) {
      badRecord ??= records + 1;
    } else {
      records += 1;
      goodEnd = end;
      if ('hard' in record) hard = record.hard;
      else if ('truncate' in record) entries = entries.filter((e) => e.index < record.truncate);
      else {
        const previous = entries.at(-1);
        if (previous !== undefined && record.entry.index !== previous.index + 1) {
          throw new CorruptDataError(`${file}: record ${records} holds entry ${record.entry.index} right after entry ${previous.index}; the log is corrupt, refusing to start`);
        }
        entries.push(record.entry);
      }
    }
    offset = end;
  }
  const torn = data.length - goodEnd;
  if (torn > 0) {
    warn(`warning: ${file} ends with a torn record (${torn} bytes, a crash mid-write?); cutting it off`);
    fs.truncateSync(file, goodEnd);
  }
  return { hard, entries, records };
}
// #endregion replay

/** The log's entries that belong after `snapshot`, by the core's own rule for InstallSnapshot (§7). */
function reconcile(snapshot: Snapshot | null, entries: Entry[]): Entry[] {
  if (snapshot === null) return entries;
  const at = entries.find((e) => e.index === snapshot.lastIndex);
  const first = entries[0];
  if (first !== undefined && first.index > snapshot.lastIndex + 1) {
    throw new CorruptDataError(`the log starts at entry ${first.index} but the snapshot ends at ${snapshot.lastIndex}; entries are missing, refusing to start`);
  }
  // The log was compacted (it starts right after the snapshot), or it agrees with the snapshot's last entry.
  if (first?.index === snapshot.lastIndex + 1 || at?.term === snapshot.lastTerm) return entries.filter((e) => e.index > snapshot.lastIndex);
  return [];
}
