// The queue as the broker holds it: the pure core's state, made durable by the command log, plus the
// two things the core deliberately leaves to the adapter: time (a timer for the next lease expiry or
// backoff end) and waiting (workers parked in a long-poll until a job turns up).
//
// The HTTP layer (broker.ts) turns requests into commands and calls `execute`; this file decides what is
// logged, when a reply may leave, and when the log is compacted into a snapshot (snapshot.ts).

import {
  apply,
  changedState,
  createQueue,
  nextWakeup,
  stats,
  type Command,
  type Job,
  type QueueConfig,
  type QueueState,
  type Result,
} from '../core/queue.ts';
import { CommandLog } from './log.ts';
import { compact, formatBytes, recover, type CompactionReport } from './snapshot.ts';

/** Thrown by `execute` once `close()` has begun: nothing may be applied that can no longer be logged. */
export class QueueClosedError extends Error {
  constructor() {
    super('the queue is shutting down');
  }
}

interface Waiter {
  workerId: string;
  deliver: (job: Job | null) => void;
  timer: NodeJS.Timeout;
}

export interface DurableQueueOptions {
  /** Where the log segments and snapshots live (see snapshot.ts for the file names). */
  dataDir: string;
  config: Partial<QueueConfig>;
  /** Compact once this many records were logged since the last snapshot; 0 = never. */
  compactAfterRecords: number;
  print: (line: string) => void;
  onFatal: (err: Error) => void;
}

export class DurableQueue {
  private readonly waiters: Waiter[] = [];
  private wakeupTimer: NodeJS.Timeout | null = null;
  private wakeupAt: number | null = null; // the moment wakeupTimer is set for
  private wakePending = false;
  private closed = false;

  private recordsSinceSnapshot: number;
  private compaction: Promise<CompactionReport | null> | null = null;

  private constructor(
    readonly state: QueueState,
    private readonly log: CommandLog,
    private readonly options: DurableQueueOptions,
    recordsSinceSnapshot: number,
  ) {
    this.recordsSinceSnapshot = recordsSinceSnapshot;
  }

  // #region start-up
  /** Rebuilds the state from the data directory (snapshot + log segments), then opens the log for appends. */
  static async open(options: DurableQueueOptions): Promise<DurableQueue> {
    // Replay starts from the snapshot's state, or from the defaults; the log's own `configure` records bring
    // back the settings that were in force when each command was applied (a lease keeps the timeout it was
    // granted with).
    const recovery = recover(options.dataDir, options.print);
    const { state } = recovery;
    const s = stats(state);
    options.print(`${recovery.summary}: ${s.total} jobs (${s.pending} pending, ${s.leased} leased, ${s.done} done, ${s.dead} dead)`);
    const log = await CommandLog.open(options.dataDir, recovery.liveSegment);
    const queue = new DurableQueue(state, log, options, recovery.recordsSinceSnapshot);
    // Settings from the environment apply from now on, and are logged like any other change.
    const wanted: QueueConfig = { ...state.config, ...options.config };
    if (JSON.stringify(wanted) !== JSON.stringify(state.config)) {
      const changed = (Object.keys(wanted) as (keyof QueueConfig)[]).filter((k) => wanted[k] !== state.config[k]);
      options.print(`settings changed (logged as a configure record): ${changed.map((k) => `${k} ${state.config[k]} -> ${wanted[k]}`).join(', ')}`);
      await queue.execute({ type: 'configure', now: Date.now(), config: wanted }).durable;
    }
    queue.scheduleWakeup(); // leases that were live at the crash still expire, on the broker's clock
    return queue;
  }
  // #endregion start-up

  // #region execute
  /**
   * Runs one command: apply it to the in-memory state, append it to the log, and hand back a promise
   * that resolves once the record is on disk. The caller replies only after awaiting `durable`.
   *
   * Applying before the fsync is safe because the log keeps the order of `execute` calls: anything a
   * later reply depends on (the job a lease hands out was enqueued earlier) sits earlier in the log and
   * is on disk no later than the record of that reply. What we must never do is reply before the fsync.
   * A command that changed nothing (a refusal, an empty lease) still waits for the records before it:
   * its answer ("job-3 is done, not leased") may describe a change whose fsync is still running.
   */
  execute(cmd: Command): { result: Result; durable: Promise<void> } {
    if (this.closed) throw new QueueClosedError();
    const appends: Promise<void>[] = [];
    // Time passes first. The core would reclaim expired leases and forget old done jobs inside any command
    // anyway; doing it as an explicit `tick` lets us log it, so what a command we do not log did to the
    // state (an empty lease that reclaimed a job) is not lost on replay.
    if (cmd.type !== 'tick') {
      const tickCmd: Command = { type: 'tick', now: cmd.now };
      if (changedState(apply(this.state, tickCmd))) {
        appends.push(this.append(tickCmd));
        this.wakeSoon(); // reclaimed jobs are pending again: someone may be waiting for them
      }
    }
    const result = apply(this.state, cmd);
    if (changedState(result)) {
      appends.push(this.append(cmd));
      if (cmd.type === 'enqueue' || cmd.type === 'fail' || cmd.type === 'redrive') this.wakeSoon();
    }
    if (appends.length > 0) this.scheduleWakeup();
    const durable = appends.length > 0 ? Promise.all(appends).then(() => undefined) : this.log.synced();
    this.compactIfDue(); // between two commands: see snapshot.ts
    return { result, durable };
  }
  // #endregion execute

  private append(cmd: Command): Promise<void> {
    const written = this.log.append(cmd);
    this.recordsSinceSnapshot += 1;
    // If the disk fails we cannot keep our promise of durability: stop (see log.ts).
    written.catch((err: Error) => this.options.onFatal(err));
    return written;
  }

  // #region compaction-trigger
  /**
   * Fold the log into a snapshot once COMPACT_AFTER_RECORDS records were logged since the last one, so a
   * restart reads one file and a short segment instead of every command ever accepted.
   *
   * A snapshot costs time in proportion to the state (capturing it, JSON.stringify, blocks the event loop;
   * writing it does not), so we also wait until the log has grown by at least as many records as there are
   * jobs to write. Then a compaction's cost is paid for by the records it folds: O(1) per record on
   * average however big the state gets, and a restart replays at most about as many records as the
   * snapshot holds jobs. (Redis rewrites its append-only file on the same rule: auto-aof-rewrite-percentage.)
   */
  private compactIfDue(): void {
    const every = this.options.compactAfterRecords;
    if (every === 0 || this.compaction !== null || this.closed) return;
    if (this.recordsSinceSnapshot >= every && this.recordsSinceSnapshot >= stats(this.state).total) void this.compact();
  }

  /** Compacts now (unless a compaction is already running) and resolves with what it did, or null if it failed. */
  compact(): Promise<CompactionReport | null> {
    if (this.compaction !== null) return this.compaction;
    if (this.closed) return Promise.resolve(null);
    const records = this.recordsSinceSnapshot;
    this.recordsSinceSnapshot = 0; // the snapshot will cover all of them
    const { dataDir, print } = this.options;
    this.compaction = compact(dataDir, this.state, this.log)
      .then((r) => {
        print(
          `compacted ${records} records into ${r.file} (${formatBytes(r.bytes)}), removed ${r.removed.join(', ') || 'nothing'}; ` +
            `took ${Math.round(r.totalMs)} ms, of which ${Math.round(r.captureMs)} ms blocked the broker`,
        );
        return r;
      })
      .catch((err: unknown) => {
        // The segments are all still there, so nothing is lost; the next compaction covers them too.
        print(`warning: compaction failed (${err instanceof Error ? err.message : String(err)}); the log keeps growing until the next try`);
        return null;
      })
      .finally(() => {
        this.compaction = null;
      });
    return this.compaction;
  }
  // #endregion compaction-trigger

  // #region long-poll
  /**
   * POST /jobs/lease with waitMs: try now; if nothing is ready, park the worker in `waiters` until
   * something makes a job available (an enqueue, a fail whose backoff is over, a redrive, a reclaimed
   * lease, all signalled through wakeSoon) or until waitMs runs out. No polling loop: an idle broker with
   * a hundred waiting workers does nothing at all. Returns `cancel` for when the client hangs up.
   */
  leaseOrWait(workerId: string, waitMs: number, deliver: (job: Job | null) => void): () => void {
    if (this.closed) throw new QueueClosedError();
    const { result, durable } = this.execute({ type: 'lease', now: Date.now(), workerId });
    const job = leasedJob(result);
    if (job !== null || waitMs === 0) {
      void durable.then(() => deliver(job), () => {});
      return () => {};
    }
    const waiter: Waiter = { workerId, deliver, timer: setTimeout(() => this.dropWaiter(waiter, null), waitMs) };
    this.waiters.push(waiter);
    return () => this.dropWaiter(waiter, undefined);
  }

  private dropWaiter(waiter: Waiter, answer: Job | null | undefined): void {
    const i = this.waiters.indexOf(waiter);
    if (i === -1) return;
    this.waiters.splice(i, 1);
    clearTimeout(waiter.timer);
    if (answer !== undefined) waiter.deliver(answer);
  }

  /** Coalesces many wake-ups in one turn of the event loop (e.g. a burst of enqueues) into one pass. */
  private wakeSoon(): void {
    if (this.wakePending || this.waiters.length === 0) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      this.wakeWaiters();
    });
  }

  /** Oldest waiter first: lease on its behalf until the jobs or the waiters run out. */
  private wakeWaiters(): void {
    while (this.waiters.length > 0 && !this.closed) {
      const waiter = this.waiters[0]!;
      const { result, durable } = this.execute({ type: 'lease', now: Date.now(), workerId: waiter.workerId });
      const job = leasedJob(result);
      if (job === null) return;
      this.waiters.shift();
      clearTimeout(waiter.timer);
      void durable.then(() => waiter.deliver(job), () => {});
    }
  }
  // #endregion long-poll

  // #region wakeup-timer
  /**
   * One timer, set for the earliest moment something changes by itself (the core's `nextWakeup`: a lease
   * expires or a backoff ends). When it fires we run a `tick` (logged only if it reclaimed or forgot something)
   * and offer the now-available jobs to waiting workers. Rescheduled after every change.
   */
  private scheduleWakeup(): void {
    const now = Date.now();
    const at = this.closed ? null : nextWakeup(this.state, now);
    // Most changes (an ack, an enqueue) leave the earliest deadline where it was: keep the timer we have.
    if (at === this.wakeupAt && (at === null || this.wakeupTimer !== null)) return;
    if (this.wakeupTimer !== null) clearTimeout(this.wakeupTimer);
    this.wakeupTimer = null;
    this.wakeupAt = at;
    if (at === null) return;
    this.wakeupTimer = setTimeout(() => this.onWakeup(), Math.max(0, at - now) + 1);
  }

  private onWakeup(): void {
    this.wakeupTimer = null;
    this.wakeupAt = null;
    this.execute({ type: 'tick', now: Date.now() }); // logs the tick itself if it reclaimed or forgot anything
    this.wakeWaiters(); // a backoff may have ended even if nothing was reclaimed
    this.scheduleWakeup();
  }
  // #endregion wakeup-timer

  /**
   * For reads (GET /stats, /jobs): resolves once everything applied so far is on disk, so not even a read
   * reports a change that a crash could still undo.
   */
  synced(): Promise<void> {
    return this.log.synced();
  }

  get logCounters(): { records: number; fsyncs: number } {
    return this.log.counters;
  }

  /** Stops timers, answers every waiting worker with "nothing" and waits until the log is on disk. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.wakeupTimer !== null) clearTimeout(this.wakeupTimer);
    for (const waiter of [...this.waiters]) this.dropWaiter(waiter, null);
    await this.compaction; // a half-written snapshot would be harmless, a finished one saves the next start-up time
    await this.log.close();
  }
}

/**
 * The job a lease handed out, copied at the moment of the lease. The worker hears about it only after the
 * fsync, and by then the live job may have moved on (acked, failed, reclaimed): the reply must describe
 * the lease this worker was given, and nothing that happened after.
 */
function leasedJob(result: Result): Job | null {
  return result.ok && result.type === 'leased' && result.job !== null ? structuredClone(result.job) : null;
}

