// Compaction: the whole state written as one snapshot file, replacing the log segments it covers.
//
// Replaying a log that only grows gets slower with every command ever accepted (the issue measured 2.8 s
// at 30,000 records, long enough for every lease to expire during a restart). The core's state is plain
// JSON, so a snapshot is simply JSON.stringify(state). `snapshot-000003.json` means "the state after every
// record of segments 1..3"; at start-up we load it and replay only the segments after it.
//
// Files in the data directory:
//   queue-000004.log      a log segment (log.ts); the newest one is where appends go
//   snapshot-000003.json  the state after every record of segments <= 3
//   snapshot-000003.json.tmp   a snapshot being written; never read, removed at start-up
//   queue.log             the single log of earlier versions, read as segment 0
//
// The rule that makes every step crash-safe: a file is deleted only once a newer file that covers it is
// complete on disk, and a snapshot counts only once it has its final name (rename is atomic). A crash at
// any point leaves either the old files, or the old files plus the new snapshot; start-up picks the newest
// snapshot and finishes the cleanup. tests/queue/compaction-crash.test.ts kills the broker at every step.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createQueue, type QueueState } from '../core/queue.ts';
import { replaySegment, segmentFileName, segmentNumber, syncDirectory, type CommandLog } from './log.ts';

export function snapshotFileName(n: number): string {
  return `snapshot-${String(n).padStart(6, '0')}.json`;
}

function snapshotNumber(fileName: string): number | null {
  const m = /^snapshot-(\d{6,})\.json$/.exec(fileName);
  return m === null ? null : Number(m[1]);
}

const TEMP_SUFFIX = '.tmp';

interface DataFiles {
  segments: number[]; // ascending
  snapshots: number[]; // ascending
  temps: string[]; // unfinished snapshot files
}

function scan(dir: string): DataFiles {
  const files: DataFiles = { segments: [], snapshots: [], temps: [] };
  if (!fs.existsSync(dir)) return files;
  for (const name of fs.readdirSync(dir)) {
    const segment = segmentNumber(name);
    const snapshot = snapshotNumber(name);
    if (segment !== null) files.segments.push(segment);
    else if (snapshot !== null) files.snapshots.push(snapshot);
    else if (name.startsWith('snapshot-') && name.endsWith(TEMP_SUFFIX)) files.temps.push(name);
  }
  files.segments.sort((a, b) => a - b);
  files.snapshots.sort((a, b) => a - b);
  return files;
}

/**
 * Removes the queue's data (every segment, snapshot and unfinished snapshot) from `dir`, and nothing else.
 * For the runner's "start from an empty log" and for tests. Returns the names it removed.
 */
export function removeQueueData(dir: string): string[] {
  const { segments, snapshots, temps } = scan(dir);
  const names = [...segments.map(segmentFileName), ...snapshots.map(snapshotFileName), ...temps];
  for (const name of names) fs.rmSync(path.join(dir, name), { force: true });
  return names;
}

// #region recover
export interface Recovery {
  state: QueueState;
  /** The segment to append to from now on. */
  liveSegment: number;
  /** Records replayed from segments (not covered by the snapshot): what the next compaction will fold in. */
  recordsSinceSnapshot: number;
  /** One line for the broker to print. */
  summary: string;
}

/**
 * Start-up: the newest snapshot, then every segment after it, in order. Refuses to start (throws) when a
 * segment is missing or a snapshot is unreadable: guessing would silently lose acknowledged jobs.
 */
export function recover(dir: string, warn: (line: string) => void): Recovery {
  const files = scan(dir);
  // A temp file is a snapshot whose writing never finished: nothing relies on it (the segments it was
  // going to replace are still there), so it goes.
  for (const name of files.temps) {
    fs.rmSync(path.join(dir, name), { force: true });
    warn(`removed ${name}, an unfinished snapshot (a crash during compaction?)`);
  }

  let state = createQueue(); // replay starts from the defaults; the log's `configure` records do the rest
  let covered = -1; // segments <= covered are in the snapshot
  let loaded = '';
  const newest = files.snapshots.at(-1);
  if (newest !== undefined) {
    const file = path.join(dir, snapshotFileName(newest));
    state = readSnapshot(file, newest);
    covered = newest;
    loaded = `loaded ${file} (${formatBytes(fs.statSync(file).size)}) and `;
  }

  // The segments after the snapshot must follow each other without a gap. Without a snapshot, the history
  // starts at segment 1 (or at 0, the `queue.log` of earlier versions).
  const live = files.segments.filter((n) => n > covered);
  let expected = covered !== -1 ? covered + 1 : live[0] === 0 ? 0 : 1;
  for (const n of live) {
    if (n !== expected) {
      throw new Error(
        `${path.join(dir, segmentFileName(expected))} is missing (found ${segmentFileName(n)} after ` +
          `${covered === -1 ? 'no snapshot' : snapshotFileName(covered)}); records would be lost, refusing to start`,
      );
    }
    expected += 1;
  }

  let records = 0;
  live.forEach((n, i) => {
    records += replaySegment(path.join(dir, segmentFileName(n)), state, { newest: i === live.length - 1, warn }).records;
  });

  // Leftovers of a compaction that crashed before its cleanup: files the newest snapshot covers. The
  // snapshot's rename may not be durable yet (the crash may have come before the directory fsync), so
  // make it durable before deleting anything it replaces.
  const leftovers = [
    ...files.segments.filter((n) => n <= covered).map(segmentFileName),
    ...files.snapshots.filter((n) => n < covered).map(snapshotFileName),
  ];
  if (leftovers.length > 0) {
    syncDirectorySync(dir);
    for (const name of leftovers) fs.rmSync(path.join(dir, name), { force: true });
    warn(`removed ${leftovers.join(', ')}: ${snapshotFileName(covered)} already covers them (a crash during compaction?)`);
  }

  const liveSegment = live.at(-1) ?? Math.max(covered + 1, 1);
  const from = (live.length === 0 ? [liveSegment] : live).map((n) => path.join(dir, segmentFileName(n))).join(', ');
  return { state, liveSegment, recordsSinceSnapshot: records, summary: `${loaded}replayed ${records} records from ${from}` };
}

interface SnapshotFile {
  format: 'queue-snapshot/1';
  /** The state after every record of segments <= this one. */
  segment: number;
  state: QueueState;
}

function readSnapshot(file: string, segment: number): QueueState {
  let parsed: Partial<SnapshotFile>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SnapshotFile>;
  } catch (err) {
    // It had its final name, so it was complete and fsynced: this is damage, not a crash.
    throw new Error(`${file} is unreadable (${err instanceof Error ? err.message : String(err)}); refusing to start`);
  }
  if (parsed.format !== 'queue-snapshot/1' || parsed.segment !== segment || typeof parsed.state !== 'object' || parsed.state === null) {
    throw new Error(`${file} is not a queue snapshot this broker understands; refusing to start`);
  }
  return parsed.state;
}
// #endregion recover

// #region compaction
/** The steps of a compaction, in order. Tests crash the broker at each one (QUEUE_CRASH_AT). */
export const compactionSteps = [
  'rotated', // appends go to the new segment; the snapshot text is captured
  'segment-synced', // every record of the old segments is on disk
  'temp-partial', // half of the snapshot is in the temp file
  'temp-synced', // the whole snapshot is in the temp file, fsynced
  'renamed', // the snapshot has its final name
  'dir-synced', // ...and that name is durable
  'deleting', // the first covered file is gone, the others not yet
  'done', // every covered file is gone
] as const;
export type CompactionStep = (typeof compactionSteps)[number];

export interface CompactionReport {
  segment: number; // the snapshot covers segments <= this one
  file: string;
  bytes: number;
  removed: string[];
  /** Time the event loop was blocked capturing the state (JSON.stringify), in ms. */
  captureMs: number;
  totalMs: number;
}

/**
 * Compacts the log into a snapshot. Call it BETWEEN two commands: the synchronous first part captures the
 * state and switches appends to a new segment in the same turn of the event loop, so the snapshot holds
 * exactly the records of the segments it will replace, no more and no fewer. The rest runs in the
 * background while the broker keeps serving.
 */
export function compact(dir: string, state: QueueState, log: CommandLog, step: (s: CompactionStep) => void = crashHook): Promise<CompactionReport> {
  const started = performance.now();
  const segment = log.segment;
  const body: SnapshotFile = { format: 'queue-snapshot/1', segment, state };
  const text = JSON.stringify(body) + '\n';
  const { switched } = log.rotate();
  const captureMs = performance.now() - started;
  step('rotated');
  return finishCompaction(dir, segment, text, switched, step).then((removed) => ({
    segment,
    file: path.join(dir, snapshotFileName(segment)),
    bytes: Buffer.byteLength(text),
    removed,
    captureMs,
    totalMs: performance.now() - started,
  }));
}

async function finishCompaction(
  dir: string,
  segment: number,
  text: string,
  switched: Promise<void>,
  step: (s: CompactionStep) => void,
): Promise<string[]> {
  // 1. The snapshot will replace segment `segment`: every record of it must be on disk first.
  await switched;
  step('segment-synced');

  // 2. Write the snapshot under a temporary name and fsync it. A crash here leaves a temp file that
  //    start-up removes; the segments are all still there.
  const final = path.join(dir, snapshotFileName(segment));
  const temp = final + TEMP_SUFFIX;
  const handle = await fsp.open(temp, 'w');
  try {
    const half = Math.floor(text.length / 2);
    await handle.writeFile(text.slice(0, half));
    step('temp-partial');
    await handle.writeFile(text.slice(half));
    await handle.sync();
  } finally {
    await handle.close();
  }
  step('temp-synced');

  // 3. Give it its final name. rename() is atomic: the name refers to the old state (no file) or to the
  //    complete new file, never to half of it. Then fsync the directory so the new name survives a power cut.
  await fsp.rename(temp, final);
  step('renamed');
  await syncDirectory(dir);
  step('dir-synced');

  // 4. Only now may the covered files go. A crash halfway leaves some of them; start-up removes the rest.
  const { segments, snapshots } = scan(dir);
  const covered = [...segments.filter((n) => n <= segment).map(segmentFileName), ...snapshots.filter((n) => n < segment).map(snapshotFileName)];
  for (const name of covered) {
    await fsp.rm(path.join(dir, name), { force: true });
    step('deleting');
  }
  step('done');
  return covered;
}
// #endregion compaction

/**
 * Test-only: QUEUE_CRASH_AT=<step> (one of `compactionSteps`) makes the process SIGKILL itself when a
 * compaction reaches that step, as `kill -9` would (a power cut is harsher: it also loses what was written
 * but not fsynced, which is why every step above fsyncs before the next one relies on it). It is how
 * tests/queue/compaction-crash.test.ts checks that a crash between any two steps loses nothing.
 */
const crashAt = process.env.QUEUE_CRASH_AT;
if (crashAt !== undefined && crashAt !== '' && !(compactionSteps as readonly string[]).includes(crashAt)) {
  console.error(`QUEUE_CRASH_AT must be one of ${compactionSteps.join(', ')}; got "${crashAt}"`);
  process.exit(2);
}

function crashHook(step: CompactionStep): void {
  if (step !== crashAt) return;
  fs.writeSync(2, `QUEUE_CRASH_AT=${step}: killing the broker with SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}

function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows: see syncDirectory in log.ts
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
