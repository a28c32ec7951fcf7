// The broker's durable memory: an append-only log of commands, one JSON object per line.
//
// The queue's state is never written to disk as such. Only the commands that changed it are, in order.
// Because the core is deterministic (time and randomness travel inside each command), applying the same
// commands again at start-up rebuilds exactly the same state. This is the "log as the source of truth"
// idea from Kleppmann, Designing Data-Intensive Applications, ch. 3 (log-structured storage) and ch. 11
// (event sourcing, state as a fold over the log).
//
// Two things make it trustworthy:
//   1. fsync: a write() only reaches the operating system's page cache. If the machine loses power, it
//      is gone. fsync() returns only once the data is on the disk. The broker replies to nobody before that.
//   2. Every record ends with "\n" and is written in the same write() as its newline. A crash in the
//      middle of a write leaves at most one torn line at the very end, which replay recognises and drops.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { apply, type Command, type QueueState } from '../core/queue.ts';

interface PendingAppend {
  line: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class CommandLog {
  private pending: PendingAppend[] = []; // appended while a flush was in flight: they form the next batch
  private flushing: Promise<void> | null = null;
  private failed: Error | null = null;
  private last: Promise<void> = Promise.resolve(); // the newest record's fsync; earlier ones finish first
  /** Statistics, so the broker can print how well batching works. */
  readonly counters = { records: 0, fsyncs: 0 };

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Opens (or creates) the log file for appending. Call replayLog first to read what is already there. */
  static async open(path: string): Promise<CommandLog> {
    const isNew = !fs.existsSync(path);
    const handle = await fsp.open(path, 'a');
    // A new file's name lives in its directory, and fsyncing the file does not make the directory entry
    // durable. Sync the directory once, or a power cut could lose the whole log along with its name.
    if (isNew) await syncDirectory(dirname(path));
    return new CommandLog(path, handle);
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
      this.pending.push({ line: JSON.stringify(command) + '\n', resolve, reject });
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
      const batch = this.pending; // everything that arrived so far...
      this.pending = []; // ...and whatever arrives from now on waits for the next round
      try {
        await this.handle.appendFile(batch.map((p) => p.line).join(''));
        await this.handle.sync(); // the durability point: after this, a power cut cannot lose the batch
        this.counters.records += batch.length;
        this.counters.fsyncs += 1;
        for (const p of batch) p.resolve();
      } catch (err) {
        // A failed write or fsync means we no longer know what is on disk (see "fsyncgate", PostgreSQL
        // 2018: retrying an fsync can report success for data that was already dropped). Refuse all
        // further appends; the broker stops, and replay on restart tells the truth.
        this.failed = err instanceof Error ? err : new Error(String(err));
        for (const p of [...batch, ...this.pending]) p.reject(this.failed);
        this.pending = [];
      }
    }
    this.flushing = null;
  }
  // #endregion group-commit

  /** Waits until every record appended so far is on disk. */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
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
  /** Bytes of a torn last line that were cut off (0 if the log ended cleanly). */
  truncatedBytes: number;
}

/**
 * Rebuilds the state by applying every command in the log, in order, with the core's own `apply`.
 *
 * A record counts only if its newline reached the disk. A crash mid-write can leave a torn last line
 * (half a JSON object, or garbage); no client was ever told about it, because its fsync never finished.
 * We warn, cut it off the file (so the next append starts on a clean line) and carry on. A bad line
 * FOLLOWED by good ones is not a torn write but corruption: we refuse to start rather than guess.
 */
export function replayLog(path: string, state: QueueState, warn: (line: string) => void): ReplayReport {
  if (!fs.existsSync(path)) return { records: 0, truncatedBytes: 0 };
  const data = fs.readFileSync(path);
  const commands: Command[] = [];
  let offset = 0; // byte offset of the start of the current line
  let goodEnd = 0; // byte offset just past the last good record
  let badLine: number | null = null;
  while (offset < data.length) {
    const newline = data.indexOf(0x0a, offset);
    const end = newline === -1 ? data.length : newline + 1;
    const command = newline === -1 ? null : parseCommand(data.subarray(offset, newline).toString('utf8'));
    if (command !== null && badLine !== null) {
      throw new Error(`${path}: record ${badLine} is unreadable but later records are fine; the log is corrupt`);
    }
    if (command !== null) {
      commands.push(command);
      goodEnd = end;
    } else if (badLine === null) {
      badLine = commands.length + 1;
    }
    offset = end;
  }
  for (const command of commands) apply(state, command);
  const truncatedBytes = data.length - goodEnd;
  if (truncatedBytes > 0) {
    warn(`warning: ${path} ends with a torn record (${truncatedBytes} bytes, a crash mid-write?); cutting it off`);
    fs.truncateSync(path, goodEnd);
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
