// One broker per data directory. Two brokers appending to the same log would interleave their records, and
// a runner that "starts from an empty log" would delete the log a live broker is writing to. So whoever
// uses a DATA_DIR first writes `broker.lock` into it, and everyone else respects it.
//
// The lock file is created with O_EXCL ("wx"): of two processes creating it at the same moment, exactly one
// succeeds. It holds who created it. A lock whose owner is gone (kill -9, a power cut) is stale and taken
// over, with a note. Deciding "gone" is the hard part:
//   - A pid alone is not enough. In Docker the broker is pid 1 in every life of its container, so after a
//     crash and `docker start`, "pid 1 is alive" is true and proves nothing. Where Linux's /proc exists we
//     also record when the process started (field 22 of /proc/self/stat, clock ticks since boot) and the
//     kernel's boot id: the owner is alive only if that pid exists AND started at that moment, this boot.
//   - A lock written on another host (another container sharing the volume, whose processes we cannot
//     see) is judged by its heartbeat: its owner touches the file every REFRESH_MS. If the file's mtime
//     does not move for three periods, the owner is gone.
// Two processes that find the same stale lock in the same instant could both take it over; that window
// is a few microseconds after a crash, and we accept it rather than make this file twice as long.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE = 'broker.lock';
const REFRESH_MS = 2_000;

/** What the lock file holds: enough to tell whether its creator is still running. */
export interface LockOwner {
  pid: number;
  role: string; // "broker" or "runner": named in the error message
  hostname: string;
  bootId: string | null; // null where there is no /proc (macOS, Windows): then the pid is all we have
  startTicks: string | null;
  since: string; // ISO time, for humans reading the file
}

export class DataDirInUseError extends Error {
  constructor(
    readonly owner: LockOwner,
    readonly dir: string,
  ) {
    super(`another ${owner.role} (pid ${owner.pid}) is using ${shown(dir)}; stop it or set DATA_DIR to another directory`);
  }
}

export interface DataDirLock {
  path: string;
  /** Deletes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

/**
 * Takes `dir`'s lock or throws DataDirInUseError. Released by `release()` and, as a last resort, when the
 * process exits normally; a crash leaves a stale lock, which the next process takes over.
 */
export async function lockDataDir(
  dir: string,
  options: { role: string; print: (line: string) => void; refreshMs?: number },
): Promise<DataDirLock> {
  const file = path.join(dir, LOCK_FILE);
  const refreshMs = options.refreshMs ?? REFRESH_MS;
  const me: LockOwner = { pid: process.pid, role: options.role, ...identity(process.pid), since: new Date().toISOString() };
  for (;;) {
    if (tryCreate(file, me)) break;
    let owner = readOwner(file);
    if (owner === null) {
      // Unreadable: maybe its creator is between creating and writing it. Look again a moment later.
      await new Promise((r) => setTimeout(r, 100));
      owner = readOwner(file);
    }
    if (owner === undefined) continue; // it vanished meanwhile: try again
    const verdict = owner === null ? 'the file is unreadable' : await judge(file, owner, refreshMs);
    if (verdict === 'alive') throw new DataDirInUseError(owner!, dir);
    options.print(`taking over a stale lock in ${shown(dir)} (${verdict}${owner ? `: pid ${owner.pid}, since ${owner.since}` : ''})`);
    fs.rmSync(file, { force: true });
  }
  // Our heartbeat, for a process on another host that finds this file and cannot see our pid.
  const heartbeat = setInterval(() => fs.utimes(file, new Date(), new Date(), () => {}), refreshMs);
  heartbeat.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.off('exit', release);
    const owner = readOwner(file);
    if (owner && owner.pid === me.pid && owner.hostname === me.hostname && owner.startTicks === me.startTicks) {
      fs.rmSync(file, { force: true });
    }
  };
  process.on('exit', release);
  return { path: file, release };
}

/** The owner of `dir`'s lock if that process is still running, else null (no lock, or a stale one). */
export async function liveOwner(dir: string): Promise<LockOwner | null> {
  const file = path.join(dir, LOCK_FILE);
  const owner = readOwner(file);
  if (!owner) return null;
  return (await judge(file, owner, REFRESH_MS)) === 'alive' ? owner : null;
}

function tryCreate(file: string, me: LockOwner): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx'); // O_CREAT | O_EXCL: fails if the file exists
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, JSON.stringify(me) + '\n');
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** The lock's owner; null if the file holds no valid owner (torn write); undefined if there is no file. */
function readOwner(file: string): LockOwner | null | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isInteger(owner.pid) && typeof owner.hostname === 'string' ? owner : null;
  } catch {
    return null;
  }
}

/** 'alive', or the reason the owner is gone. */
async function judge(file: string, owner: LockOwner, refreshMs: number): Promise<string> {
  if (owner.hostname !== os.hostname()) {
    // Another host: we cannot see its processes, so watch its heartbeat for three periods.
    const before = mtime(file);
    for (let waited = 0; waited < 3 * refreshMs; waited += refreshMs / 4) {
      await new Promise((r) => setTimeout(r, refreshMs / 4));
      if (mtime(file) !== before) return 'alive';
    }
    return `written on host ${owner.hostname}, which stopped refreshing it`;
  }
  if (owner.pid === process.pid) return 'that pid is now this very process'; // e.g. pid 1 in a container restarted after a crash
  const now = identity(owner.pid);
  if (owner.startTicks !== null && owner.bootId !== null && now.bootId !== null) {
    if (owner.bootId !== now.bootId) return 'written before the machine restarted';
    if (now.startTicks === null) return 'its process is gone';
    return now.startTicks === owner.startTicks ? 'alive' : 'that pid is now another process';
  }
  return pidExists(owner.pid) ? 'alive' : 'its process is gone';
}

/** Boot id and start time of a process, from Linux's /proc; nulls where /proc is missing. */
function identity(pid: number): { hostname: string; bootId: string | null; startTicks: string | null } {
  const hostname = os.hostname();
  try {
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    let startTicks: string | null = null;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (command name) state ppid ...": the name may hold spaces, so count fields after the last ')'.
      startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null; // field 22, starttime
    } catch {
      // no such process
    }
    return { hostname, bootId, startTicks };
  } catch {
    return { hostname, bootId: null, startTicks: null };
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, but belongs to another user
  }
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** The directory as the user would type it: relative to where they are, if it is inside. */
function shown(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? dir : rel;
}
