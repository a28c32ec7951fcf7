// The broker's durable memory: an append-only log of commands, one JSON object per line.
//
// The queue's state is never written to disk record by record. Only the commands that changed it are, in
// order. Because the core is deterministic (time and randomness travel inside each command), applying the
// same commands again at start-up rebuilds exactly the same state. This is the "log as the source of truth"
// idea from Kleppmann, Designing Data-Intensive Applications, ch. 3 (log-structured storage) and ch. 11
// (event sourcing, state as a fold over the log).
//
// Two things make it trustworthy:
//   1. fsync: a write() only reaches the operating system's page cache. If the machine loses power, it
//      is gone. fsync() returns only once the data is on the disk. The broker replies to nobody before that.
//   2. Every record ends with "\n" and is written in the same write() as its newline. A crash in the
//      middle of a write leaves at most one torn line at the very end, which replay recognises and drops.
//
// A log that only grows makes every restart slower (each record is applied again). So the log is cut into
// numbered segments, queue-000001.log, queue-000002.log, ..., and from time to time the state is written
// whole as a snapshot that replaces the segments it covers (compaction, see snapshot.ts). This file only
// knows segments: how to append to the live one, how to switch to the next, how to replay one.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { apply, type Command, type QueueState } from '../core/queue.ts';

/**
 * Segment n's file name. Segment 0 is the single `queue.log` that earlier versions of the broker wrote: a
 * data directory from before compaction existed is read as "segment 0", and the first compaction retires it.
 */
export function segmentFileName(n: number): string {
  return n === 0 ? 'queue.log' : `queue-${String(n).padStart(6, '0')}.log`;
}

/** The segment number in a file name, or null if the file is not a segment. */
export function segmentNumber(fileName: string): number | null {
  if (fileName === 'queue.log') return 0;
  const m = /^queue-(\d{6,})\.log$/.exec(fileName);
  return m === null ? null : Number(m[1]);
}

interface PendingAppend {
  kind: 'record';
  line: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A request to move to a new segment, queued behind the records that belong to the old one. */
interface PendingSwitch {
  kind: 'switch';
  segment: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class CommandLog {
  private pending: (PendingAppend | PendingSwitch)[] = []; // arrived while a flush was in flight: the next batch
  private flushing: Promise<void> | null = null;
  private failed: Error | null = null;
  private last: Promise<void> = Promise.resolve(); // the newest record's fsync; earlier ones finish first
  /** Statistics, so the broker can print how well batching works. */
  readonly counters = { records: 0, fsyncs: 0 };

  private constructor(
    readonly dir: string,
    /** The segment that new appends go to. The file handle may still be on the previous one (see rotate). */
    private appendingTo: number,
    private handle: FileHandle,
  ) {}

  /** Opens (or creates) segment `segment` in `dir` for appending. Replay what is already there first. */
  static async open(dir: string, segment: number): Promise<CommandLog> {
    return new CommandLog(dir, segment, await openSegment(dir, segment));
  }

  /** The segment that new appends go to. */
  get segment(): number {
    return this.appendingTo;
  }

  /** The file of the segment that new appends go to. */
  get path(): string {
    return path.join(this.dir, segmentFileName(this.appendingTo));
  }

  // #region group-commit
  /**
   * Append one command. The promise resolves only once the record is on disk (fsynced).
   *
   * Why group commit? An fsync takes from a fraction of a millisecond (an SSD with a write cache) up to
   * ~10 ms (a spinning disk, a cloud volume). One fsync per request would cap the broker at a few hundred
   * or thousand requests per second, however fast the CPU is. So while one fsync is in flight, new records
   * simply queue up; when it finishes, the whole queue is written with ONE write() and made durable with
   * ONE fsync. Each caller still waits for the fsync that covers its own record, so the promise we make to
   * clients is unchanged: no reply before the data is on disk. Databases do the same (PostgreSQL's
   * commit_delay / group commit, the "group commit" of DDIA ch. 7); under load, batches grow by themselves.
   */
  append(command: Command): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    const written = new Promise<void>((resolve, reject) => {
      this.pending.push({ kind: 'record', line: JSON.stringify(command) + '\n', resolve, reject });
      if (this.flushing === null) this.flushing = this.flushLoop();
    });
    this.last = written.catch(() => {});
    return written;
  }

  /** Resolves once every record appended so far is on disk (records are confirmed in order). */
  synced(): Promise<void> {
    return this.last;
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      if (this.pending[0]!.kind === 'switch') {
        await this.switchSegment(this.pending.shift() as PendingSwitch);
        continue;
      }
      // Everything that arrived so far, up to a segment switch, is one batch; whatever arrives from now on
      // waits for the next round.
      const end = this.pending.findIndex((p) => p.kind === 'switch');
      const batch = this.pending.splice(0, end === -1 ? this.pending.length : end) as PendingAppend[];
      try {
        await this.handle.appendFile(batch.map((p) => p.line).join(''));
        await this.handle.sync(); // the durability point: after this, a power cut cannot lose the batch
        this.counters.records += batch.length;
        this.counters.fsyncs += 1;
        for (const p of batch) p.resolve();
      } catch (err) {
        this.fail(err, batch);
      }
    }
    this.flushing = null;
  }

  /**
   * A failed write or fsync means we no longer know what is on disk (see "fsyncgate", PostgreSQL 2018:
   * retrying an fsync can report success for data that was already dropped). Refuse all further appends;
   * the broker stops, and replay on restart tells the truth.
   */
  private fail(err: unknown, inFlight: (PendingAppend | PendingSwitch)[]): void {
    this.failed = err instanceof Error ? err : new Error(String(err));
    for (const p of [...inFlight, ...this.pending]) p.reject(this.failed);
    this.pending = [];
  }
  // #endregion group-commit

  // #region rotate
  /**
   * Starts the next segment: every record appended from now on goes to segment N+1. Returns N, and a
   * promise that resolves once every record of N is on disk and N+1 exists.
   *
   * The switch waits in line behind N's last records, and the flush loop handles one thing at a time, so
   * nothing is written to N+1 before N's last fsync has finished. That ordering is what lets replay say:
   * only the NEWEST segment may end with a torn record; a torn record anywhere else is corruption.
   */
  rotate(): { closed: number; switched: Promise<void> } {
    const closed = this.appendingTo;
    this.appendingTo += 1;
    const segment = this.appendingTo;
    if (this.failed !== null) return { closed, switched: Promise.reject(this.failed) };
    const switched = new Promise<void>((resolve, reject) => {
      this.pending.push({ kind: 'switch', segment, resolve, reject });
      if (this.flushing === null) this.flushing = this.flushLoop();
    });
    return { closed, switched };
  }

  private async switchSegment(request: PendingSwitch): Promise<void> {
    try {
      const next = await openSegment(this.dir, request.segment);
      const previous = this.handle;
      this.handle = next;
      await previous.close(); // its last batch was fsynced before this switch was reached
      request.resolve();
    } catch (err) {
      this.fail(err, [request]);
    }
  }
  // #endregion rotate

  /** Waits until every record appended so far is on disk. */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}

/** Opens a segment for appending, creating it (and making its name durable) if it does not exist yet. */
async function openSegment(dir: string, segment: number): Promise<FileHandle> {
  const file = path.join(dir, segmentFileName(segment));
  const isNew = !fs.existsSync(file);
  const handle = await fsp.open(file, 'a');
  // A new file's name lives in its directory, and fsyncing the file does not make the directory entry
  // durable. Sync the directory once, or a power cut could lose the whole segment along with its name.
  if (isNew) await syncDirectory(dir);
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

// #region replay
export interface ReplayReport {
  records: number;
  /** Bytes of a torn last line that were cut off (0 if the segment ended cleanly). */
  truncatedBytes: number;
}

/**
 * Applies every command of one segment to `state`, in order, with the core's own `apply`.
 *
 * A record counts only if its newline reached the disk. A crash mid-write can leave a torn last line
 * (half a JSON object, or garbage); no client was ever told about it, because its fsync never finished.
 * In the newest segment (`newest: true`) we warn, cut it off the file (so the next append starts on a clean
 * line) and carry on. Anywhere else it is corruption, and so is a bad line FOLLOWED by good ones: we refuse
 * to start rather than guess.
 */
export function replaySegment(file: string, state: QueueState, options: { newest: boolean; warn: (line: string) => void }): ReplayReport {
  if (!fs.existsSync(file)) return { records: 0, truncatedBytes: 0 };
  const data = fs.readFileSync(file);
  const commands: Command[] = [];
  let offset = 0; // byte offset of the start of the current line
  let goodEnd = 0; // byte offset just past the last good record
  let badLine: number | null = null;
  while (offset < data.length) {
    const newline = data.indexOf(0x0a, offset);
    const end = newline === -1 ? data.length : newline + 1;
    const command = newline === -1 ? null : parseCommand(data.subarray(offset, newline).toString('utf8'));
    if (command !== null && badLine !== null) {
      throw new Error(`${file}: record ${badLine} is unreadable but later records are fine; the log is corrupt`);
    }
    if (command !== null) {
      commands.push(command);
      goodEnd = end;
    } else if (badLine === null) {
      badLine = commands.length + 1;
    }
    offset = end;
  }
  const truncatedBytes = data.length - goodEnd;
  if (truncatedBytes > 0 && !options.newest) {
    // A segment is closed only after its last record was fsynced (see rotate), so a crash cannot do this.
    throw new Error(`${file} ends with a torn record although a newer segment follows; the log is corrupt`);
  }
  for (const command of commands) apply(state, command);
  if (truncatedBytes > 0) {
    options.warn(`warning: ${file} ends with a torn record (${truncatedBytes} bytes, a crash mid-write?); cutting it off`);
    fs.truncateSync(file, goodEnd);
  }
  return { records: commands.length, truncatedBytes };
}

function parseCommand(line: string): Command | null {
  try {
    const value: unknown = JSON.parse(line);
    const ok = typeof value === 'object' && value !== null && 'type' in value && 'now' in value;
    return ok ? (value as Command) : null;
  } catch {
    return null;
  }
}
// #endregion replay
