// A store node's disk: what its core asked it to remember (terms and votes, stored values, pending strong
// writes), as an append-only log of changes plus, from time to time, a snapshot that replaces the log.
//
// The core returns, with every step, the changes to persist (types.ts, Change); the server appends them
// here and waits for the fsync BEFORE it sends any message or reply of that step: a vote, an acknowledged
// write, a "stored" answer to a leader are promises, and a node that forgets them after a crash breaks them.
// The same rules as the queue's log (examples/queue/node/log.ts), in a smaller file:
//   - one JSON change per line, each line written with its newline; many steps' changes are written with one
//     write() and one fsync (group commit), and every step waits for the fsync that covers its own lines;
//   - at start-up the newest segment may end with a torn line (a crash mid-write: nobody was told about it),
//     which is cut off with a warning; an unreadable line FOLLOWED by good ones is corruption, and the node
//     refuses to start rather than silently lose what it promised;
//   - compaction: when the live segment passes `compactBytes`, appends move to a new segment, and the state as
//     of the end of the old one is written as `snapshot-N.json` (temp file, fsync, rename, fsync the
//     directory) before the old segments are deleted. A crash at any point leaves either the old files, or
//     the old files plus a complete snapshot; start-up takes the newest snapshot and finishes the cleanup.
//
// Files in the data directory:
//   changes-000003.log       a segment; the newest one is where appends go
//   snapshot-000002.json     what a node had on disk after every change of segments <= 2 (core `Saved`)
//   snapshot-000002.json.tmp a snapshot being written; never read, removed at start-up
//   members.json             the membership last set by POST /admin/members (server.ts)

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { replay, type Saved } from '../core/node.ts';
import type { Change } from '../core/types.ts';

export const segmentFileName = (n: number) => `changes-${String(n).padStart(6, '0')}.log`;
export const snapshotFileName = (n: number) => `snapshot-${String(n).padStart(6, '0')}.json`;
const number = (pattern: RegExp, name: string) => Number(pattern.exec(name)?.[1] ?? NaN);

/** The files of a data directory, numbers ascending. */
function scan(dir: string): { segments: number[]; snapshots: number[]; temps: string[] } {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const numbers = (pattern: RegExp) => names.map((n) => number(pattern, n)).filter(Number.isSafeInteger).sort((a, b) => a - b);
  return {
    segments: numbers(/^changes-(\d{6,})\.log$/),
    snapshots: numbers(/^snapshot-(\d{6,})\.json$/),
    temps: names.filter((n) => n.startsWith('snapshot-') && n.endsWith('.tmp')),
  };
}

export interface Recovered {
  saved: Saved;
  log: ChangeLog;
  /** One line for the server to print. */
  summary: string;
}

/** Thrown when the data directory cannot be trusted: the node must not start and guess. */
export class CorruptDataError extends Error {}

// #region recover
/** Start-up: the newest snapshot, then every segment after it, replayed with the core's own `replay`. */
export async function openStorage(dir: string, options: { compactBytes: number; warn: (line: string) => void }): Promise<Recovered> {
  const files = scan(dir);
  for (const name of files.temps) {
    fs.rmSync(path.join(dir, name), { force: true });
    options.warn(`removed ${name}, an unfinished snapshot (a crash during compaction?)`);
  }
  const changes: Change[] = [];
  let covered = 0; // segments <= covered are in the snapshot
  const newest = files.snapshots.at(-1);
  if (newest !== undefined) {
    const file = path.join(dir, snapshotFileName(newest));
    changes.push(...savedAsChanges(readSnapshot(file)));
    covered = newest;
  }
  // Segments a snapshot covers were meant to be deleted by the compaction that wrote it: finish its job.
  for (const n of files.segments.filter((n) => n <= covered)) fs.rmSync(path.join(dir, segmentFileName(n)), { force: true });
  for (const n of files.snapshots.filter((n) => n < covered)) fs.rmSync(path.join(dir, snapshotFileName(n)), { force: true });
  const live = files.segments.filter((n) => n > covered);
  live.forEach((n, i) => {
    if (n !== covered + 1 + i) {
      throw new CorruptDataError(`${path.join(dir, segmentFileName(covered + 1 + i))} is missing (found ${segmentFileName(n)}); changes would be lost, refusing to start`);
    }
  });
  let lines = 0;
  for (const [i, n] of live.entries()) {
    const segment = readSegment(path.join(dir, segmentFileName(n)), i === live.length - 1, options.warn);
    changes.push(...segment);
    lines += segment.length;
  }
  const saved = replay(changes);
  const liveSegment = live.at(-1) ?? covered + 1;
  const log = await ChangeLog.open(dir, liveSegment, options.compactBytes);
  const what = `${Object.keys(saved.store).length} eventual keys, ${Object.keys(saved.strong).length} strong keys, ${Object.keys(saved.pending).length} pending writes, ${Object.keys(saved.terms).length} group terms`;
  const from = newest === undefined ? '' : `${snapshotFileName(newest)} and `;
  return { saved, log, summary: `recovered ${what} from ${from}${lines} logged changes in ${dir}` };
}
// #endregion recover

function savedAsChanges(saved: Saved): Change[] {
  return [
    ...Object.entries(saved.terms).map(([group, t]): Change => ({ kind: 'term', group, term: t.term, votedFor: t.votedFor })),
    ...Object.entries(saved.store).map(([key, stored]): Change => ({ kind: 'store', key, stored })),
    ...Object.entries(saved.strong).map(([key, value]): Change => ({ kind: 'strong', key, value })),
    ...Object.entries(saved.pending).map(([key, write]): Change => ({ kind: 'pending', key, write })),
  ];
}

function readSnapshot(file: string): Saved {
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Saved;
    if (typeof saved.terms !== 'object' || typeof saved.store !== 'object' || typeof saved.strong !== 'object' || typeof saved.pending !== 'object') throw new Error('not a snapshot');
    return saved;
  } catch (err) {
    throw new CorruptDataError(`${file} is unreadable (${(err as Error).message}); refusing to start rather than lose data`);
  }
}

/** One segment's changes. Only the newest segment may end with a torn line, which is cut off the file. */
function readSegment(file: string, newest: boolean, warn: (line: string) => void): Change[] {
  const data = fs.readFileSync(file);
  const changes: Change[] = [];
  let offset = 0;
  let goodEnd = 0;
  let badLine: number | null = null;
  while (offset < data.length) {
    const newline = data.indexOf(0x0a, offset);
    const end = newline === -1 ? data.length : newline + 1;
    const change = newline === -1 ? null : parseChange(data.subarray(offset, newline).toString('utf8'));
    if (change !== null && badLine !== null) {
      throw new CorruptDataError(`${file}: line ${badLine} is unreadable but later lines are fine; the log is corrupt, refusing to start`);
    }
    if (change !== null) {
      changes.push(change);
      goodEnd = end;
    } else if (badLine === null) {
      badLine = changes.length + 1;
    }
    offset = end;
  }
  const torn = data.length - goodEnd;
  if (torn > 0 && !newest) throw new CorruptDataError(`${file} ends with a torn line although a newer segment follows; the log is corrupt, refusing to start`);
  if (torn > 0) {
    warn(`warning: ${file} ends with a torn line (${torn} bytes, a crash mid-write?); cutting it off`);
    fs.truncateSync(file, goodEnd);
  }
  return changes;
}

function parseChange(line: string): Change | null {
  try {
    const value = JSON.parse(line) as Change;
    const known = value.kind === 'term' || value.kind === 'store' || value.kind === 'strong' || value.kind === 'pending';
    return known ? value : null;
  } catch {
    return null;
  }
}

/** Lines waiting for the next write, or the move to a new segment (queued, so the order is exact). */
type Waiting =
  | { kind: 'lines'; lines: string; resolve: () => void; reject: (err: Error) => void }
  | { kind: 'switch'; segment: number; resolve: () => void; reject: (err: Error) => void };

// #region group-commit
/** The live segment: appends are batched into one write() and one fsync while the previous fsync runs. */
export class ChangeLog {
  private waiting: Waiting[] = [];
  private flushing: Promise<void> | null = null;
  private failed: Error | null = null;
  private last: Promise<void> = Promise.resolve();
  private bytes: number;
  private compacting = false;
  readonly counters = { changes: 0, fsyncs: 0, compactions: 0 };

  private constructor(
    readonly dir: string,
    /** The segment new appends go to (the file handle may still be on the one before: see compact). */
    private segment: number,
    private handle: FileHandle,
    private readonly compactBytes: number,
  ) {
    this.bytes = fs.statSync(path.join(dir, segmentFileName(segment))).size;
  }

  static async open(dir: string, segment: number, compactBytes: number): Promise<ChangeLog> {
    return new ChangeLog(dir, segment, await openSegment(dir, segment), compactBytes);
  }

  /** Appends a step's changes; resolves once they (and everything appended before) are on disk. */
  append(changes: readonly Change[]): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    if (changes.length === 0) return this.last;
    const lines = changes.map((c) => JSON.stringify(c) + '\n').join('');
    const written = this.enqueue((resolve, reject) => ({ kind: 'lines', lines, resolve, reject }));
    this.counters.changes += changes.length;
    this.bytes += Buffer.byteLength(lines);
    this.last = written.catch(() => {});
    return written;
  }

  private enqueue(make: (resolve: () => void, reject: (err: Error) => void) => Waiting): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push(make(resolve, reject));
      this.flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.waiting.length > 0) {
      const first = this.waiting[0]!;
      if (first.kind === 'switch') {
        this.waiting.shift();
        await this.run([first], async () => {
          const next = await openSegment(this.dir, first.segment);
          const previous = this.handle;
          this.handle = next;
          await previous.close(); // its last batch was fsynced before the switch was reached
        });
        continue;
      }
      // Everything queued up to the next segment switch is one batch: one write(), one fsync.
      const end = this.waiting.findIndex((w) => w.kind === 'switch');
      const batch = this.waiting.splice(0, end === -1 ? this.waiting.length : end);
      await this.run(batch, async () => {
        await this.handle.appendFile(batch.map((w) => (w.kind === 'lines' ? w.lines : '')).join(''));
        await this.handle.sync(); // the durability point
        this.counters.fsyncs += 1;
      });
    }
    this.flushing = null;
  }

  private async run(batch: Waiting[], work: () => Promise<void>): Promise<void> {
    try {
      await work();
      for (const w of batch) w.resolve();
    } catch (err) {
      // After a failed write or fsync we no longer know what is on disk: refuse everything from now on.
      this.failed = err instanceof Error ? err : new Error(String(err));
      for (const w of [...batch, ...this.waiting.splice(0)]) w.reject(this.failed);
    }
  }
  // #endregion group-commit

  /** True when the live segment has grown past the threshold and no compaction is running. */
  wantsCompaction(): boolean {
    return this.compactBytes > 0 && this.bytes >= this.compactBytes && !this.compacting && this.failed === null;
  }

  // #region compact
  /**
   * Folds the log into a snapshot. `saved` must be what the node has on disk once every change appended so
   * far is written: the caller takes it synchronously, between two steps. Appends continue meanwhile; they go
   * to the next segment, which the snapshot does not cover.
   */
  async compact(saved: Saved): Promise<void> {
    this.compacting = true;
    const text = JSON.stringify(saved); // now, in the same turn as the switch below: the snapshot ends where the segment does
    const closed = this.segment;
    this.segment = closed + 1;
    this.bytes = 0;
    try {
      await this.enqueue((resolve, reject) => ({ kind: 'switch', segment: closed + 1, resolve, reject }));
      const file = path.join(this.dir, snapshotFileName(closed));
      await writeFileAtomic(file, text);
      const files = scan(this.dir);
      for (const n of files.segments.filter((n) => n <= closed)) await fsp.rm(path.join(this.dir, segmentFileName(n)), { force: true });
      for (const n of files.snapshots.filter((n) => n < closed)) await fsp.rm(path.join(this.dir, snapshotFileName(n)), { force: true });
      this.counters.compactions += 1;
    } finally {
      this.compacting = false;
    }
  }
  // #endregion compact

  /** Resolves once everything appended so far is on disk. */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}

async function openSegment(dir: string, segment: number): Promise<FileHandle> {
  const file = path.join(dir, segmentFileName(segment));
  const isNew = !fs.existsSync(file);
  const handle = await fsp.open(file, 'a');
  if (isNew) await syncDirectory(dir); // a new file's name is durable only once its directory is synced
  return handle;
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

/** Writes a small JSON file atomically: temp file, fsync, rename, fsync the directory. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
  await syncDirectory(path.dirname(file));
}
