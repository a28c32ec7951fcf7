// The course bus's disk: every message it numbered, one JSON line each, in DATA_DIR/messages.jsonl.
//
// The same rules as the queue's and the store's logs (examples/queue/node/log.ts):
//   - fsync before anyone hears of a message. A chat server that was told "your message is seq 7" (or that
//     delivered seq 7 to its clients) must never meet a bus that, after a crash, gives seq 7 to another
//     message. So the bus replies and publishes only once the line is on the disk.
//   - group commit: every append that arrives while the disk is busy (or in the same event-loop turn) goes
//     out in one write() and one fsync(); each reply waits for the fsync that covers its own line.
//   - a crash mid-write leaves at most one torn line at the very end: nobody was told about it, so it is
//     dropped with a warning. An unreadable line FOLLOWED by good ones is corruption: refuse to start.
//   - start-up replays the file through the sequencer core's own `append`, so the seqs AND the resend
//     memory come back exactly; then the file is rewritten to what history still keeps (compaction).

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { append, emptySequencer, type SequencerConfig, type SequencerState } from '../core/sequencer.ts';
import type { ChatMessage } from '../core/types.ts';
import { cleanMessage } from './bus.ts';

export const LOG_FILE = 'messages.jsonl';

/** The data directory cannot be trusted: the bus must not start and guess. */
export class CorruptLogError extends Error {}

// #region replay
/** Rebuild the sequencer from logged messages. Each must get exactly its logged seq again. */
export function replayMessages(messages: ChatMessage[], config: SequencerConfig): SequencerState {
  let state = emptySequencer();
  for (const [i, m] of messages.entries()) {
    const where = `message ${i + 1} (room ${m.room}, seq ${m.seq})`;
    if (state.rooms[m.room] === undefined && m.seq > 1) {
      // Compaction dropped this room's older messages (history no longer kept them): the room starts here.
      // SequencerState is plain data, so the room is set up as the core would have left it.
      state = { ...state, rooms: { ...state.rooms, [m.room]: { next: m.seq, history: [] } } };
    }
    const { room, from, text, clientId, id } = m;
    const result = append(state, { room, from, text, clientId, id }, config);
    if (result.duplicate) throw new CorruptLogError(`${where} is a resend of an earlier one; the log is corrupt`);
    if (result.message.seq !== m.seq) throw new CorruptLogError(`${where} should have been seq ${result.message.seq}: messages are missing`);
    state = result.state;
  }
  return state;
}
// #endregion replay

/** The messages in the log file; a torn last line is cut off with a warning. */
export function readLog(file: string, warn: (line: string) => void): ChatMessage[] {
  if (!fs.existsSync(file)) return [];
  const data = fs.readFileSync(file);
  const messages: ChatMessage[] = [];
  let offset = 0;
  let badLine: number | null = null;
  let goodEnd = 0;
  let lineNo = 0;
  while (offset < data.length) {
    lineNo++;
    const newline = data.indexOf(0x0a, offset);
    const end = newline === -1 ? data.length : newline + 1;
    const message = newline === -1 ? null : parseLine(data.subarray(offset, newline).toString('utf8'));
    if (message !== null && badLine !== null) {
      throw new CorruptLogError(`${file}: line ${badLine} is unreadable but later lines are fine; the log is corrupt, refusing to start (move the file away to start empty)`);
    }
    if (message !== null) {
      messages.push(message);
      goodEnd = end;
    } else if (badLine === null) {
      badLine = lineNo;
    }
    offset = end;
  }
  if (goodEnd < data.length) warn(`warning: ${file} ends with a torn line (${data.length - goodEnd} bytes, a crash mid-write?); ignoring it`);
  return messages;
}

function parseLine(line: string): ChatMessage | null {
  try {
    return cleanMessage(JSON.parse(line));
  } catch {
    return null;
  }
}

/** Rewrite the log to `keep` (temp file, fsync, rename, fsync the directory: a crash leaves old or new). */
export function compactLog(file: string, keep: ChatMessage[]): void {
  const temp = `${file}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, keep.map((m) => JSON.stringify(m) + '\n').join(''));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  syncDir(path.dirname(file));
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The messages still in history, in the order they were logged (so replay meets them in the same order). */
export function keptMessages(logged: ChatMessage[], state: SequencerState): ChatMessage[] {
  return logged.filter((m) => {
    const history = state.rooms[m.room]?.history ?? [];
    return history.length > 0 && m.seq >= history[0]!.seq;
  });
}

// #region group-commit
/**
 * Appends lines with group commit, and runs callbacks once everything appended before them is on disk, in
 * the order they were given. With no file (no DATA_DIR) callbacks run at once: the bus keeps memory only.
 */
export class MessageLog {
  private queued: string[] = [];
  private queuedCallbacks: (() => void)[] = []; // wait for the batch being gathered
  private inflightCallbacks: (() => void)[] = []; // wait for the batch being written
  private flushing = false;
  private scheduled = false;
  readonly counters = { lines: 0, fsyncs: 0 };

  private constructor(
    private handle: FileHandle | null,
    private onFatal: (err: Error) => void,
  ) {}

  static async open(file: string | null, onFatal: (err: Error) => void): Promise<MessageLog> {
    return new MessageLog(file === null ? null : await fsp.open(file, 'a'), onFatal);
  }

  append(message: ChatMessage): void {
    if (this.handle === null) return;
    this.queued.push(JSON.stringify(message) + '\n');
    if (!this.scheduled && !this.flushing) {
      this.scheduled = true;
      setImmediate(() => void this.flush()); // gather this event-loop turn's appends into one fsync
    }
  }

  /** Run `fn` once every line appended so far is durable (at once if none is waiting). */
  whenDurable(fn: () => void): void {
    if (this.queued.length > 0) this.queuedCallbacks.push(fn);
    else if (this.flushing) this.inflightCallbacks.push(fn);
    else fn();
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.handle === null || this.queued.length === 0) return;
    this.flushing = true;
    const lines = this.queued;
    this.inflightCallbacks = this.queuedCallbacks;
    this.queued = [];
    this.queuedCallbacks = [];
    try {
      await this.handle.write(lines.join(''));
      await this.handle.sync();
    } catch (err) {
      this.onFatal(err as Error); // nothing unlogged may be acknowledged: the callbacks never run
      return;
    }
    this.counters.lines += lines.length;
    this.counters.fsyncs++;
    const callbacks = this.inflightCallbacks;
    this.inflightCallbacks = [];
    this.flushing = false;
    for (const fn of callbacks) fn();
    if (this.queued.length > 0) await this.flush(); // what arrived meanwhile: one more group
  }

  /** Waits for what is queued, then closes the file. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.whenDurable(resolve));
    await this.handle?.close();
    this.handle = null;
  }
}
// #endregion group-commit
