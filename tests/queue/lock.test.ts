// One broker per data directory (examples/queue/node/lock.ts). Issue 5: a second run on the same
// directory deleted the live broker's log, and a kill -9 then replayed 0 records. A broker must own its
// directory, refuse clearly when another live process does, and take over a lock whose owner is gone,
// including in Docker, where the broker is pid 1 in every life of its container.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir, type LockOwner } from '../../examples/queue/node/lock.ts';
import { makeTempDir, startCommand, startScript, stopAll } from '../helpers/processes.ts';
import { BROKER, startBroker } from '../helpers/queue.ts';

afterAll(stopAll);

const hasProc = fs.existsSync('/proc/self/stat');
// A new pid namespace makes the broker pid 1, as in a container (needs Linux and root or user namespaces).
const canBePid1 = hasProc && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', 'true']).status === 0;
const notes: string[] = [];
const print = (line: string) => notes.push(line);

function writeLock(dir: string, owner: Partial<LockOwner>): void {
  const full: LockOwner = { pid: 1, role: 'broker', hostname: os.hostname(), bootId: null, startTicks: null, since: 'then', ...owner };
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(full));
}

function procIdentity(pid: number): { bootId: string; startTicks: string } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return {
    bootId: fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    startTicks: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!,
  };
}

/** A pid that belonged to a process a moment ago and now belongs to nobody. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('lockDataDir', () => {
  it('writes our pid into broker.lock, and release() removes it', async () => {
    const dir = makeTempDir();
    const lock = await lockDataDir(dir, { role: 'broker', print });
    expect(JSON.parse(fs.readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, role: 'broker', hostname: os.hostname() });
    lock.release();
    expect(fs.existsSync(lock.path)).toBe(false);
  });

  it('takes over the lock of a process that is gone, and says so', async () => {
    const dir = makeTempDir();
    const pid = deadPid();
    writeLock(dir, { pid });
    notes.length = 0;
    const lock = await lockDataDir(dir, { role: 'broker', print });
    expect(notes.join('\n')).toMatch(new RegExp(`taking over a stale lock .*pid ${pid}`));
    lock.release();
  });

  it.skipIf(!hasProc)('refuses while the owner runs: same pid, same start time', async () => {
    const dir = makeTempDir();
    writeLock(dir, { pid: process.ppid, ...procIdentity(process.ppid) }); // our parent: alive
    const err = await lockDataDir(dir, { role: 'broker', print }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toBe(`another broker (pid ${process.ppid}) is using ${dir}; stop it or set DATA_DIR to another directory`);
  });

  it.skipIf(!hasProc)('Docker: a lock left by pid 1 of an earlier container life is stale although pid 1 is alive now', async () => {
    // After `docker kill` + `docker start` the new broker is pid 1 again, on the same host name. What differs
    // is the process's start time. Here: a pid that is alive (our parent) with another start time.
    const dir = makeTempDir();
    const alive = procIdentity(process.ppid);
    writeLock(dir, { pid: process.ppid, bootId: alive.bootId, startTicks: String(Number(alive.startTicks) - 1) });
    notes.length = 0;
    const lock = await lockDataDir(dir, { role: 'broker', print });
    expect(notes.join('\n')).toMatch(`that pid is now another process: pid ${process.ppid}, since then`);
    lock.release();
  });

  it.skipIf(!hasProc)('a lock from before the machine restarted is stale', async () => {
    const dir = makeTempDir();
    writeLock(dir, { pid: process.ppid, bootId: 'another-boot', startTicks: procIdentity(process.ppid).startTicks });
    const lock = await lockDataDir(dir, { role: 'broker', print });
    lock.release();
  });

  it('a lock from another host counts as alive while its owner keeps touching it, and as stale once it stops', async () => {
    const dir = makeTempDir();
    writeLock(dir, { hostname: 'some-other-container', pid: 1 });
    const file = path.join(dir, LOCK_FILE);
    let t = Date.now() / 1000;
    const heartbeat = setInterval(() => fs.utimesSync(file, (t += 1), t), 10);
    const refused = await lockDataDir(dir, { role: 'broker', print, refreshMs: 100 }).catch((e: unknown) => e);
    clearInterval(heartbeat);
    expect(refused).toBeInstanceOf(DataDirInUseError);

    notes.length = 0;
    const lock = await lockDataDir(dir, { role: 'broker', print, refreshMs: 100 });
    expect(notes.join('\n')).toMatch('written on host some-other-container, which stopped refreshing it');
    lock.release();
  });

  it('an unreadable lock file (its writer died between create and write) is stale', async () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, LOCK_FILE), '');
    const lock = await lockDataDir(dir, { role: 'broker', print });
    lock.release();
  });
});

describe('the broker and its data directory', () => {
  it('a second broker on the same DATA_DIR exits 1 naming the first one; the first keeps its data', async () => {
    const dataDir = makeTempDir();
    const first = await startBroker(dataDir);
    await first.client.enqueue({ n: 1 }, 'k-1');

    const second = startScript(BROKER, { DATA_DIR: dataDir, PORT: '0' }, 'second-broker');
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.lines).toContain(`another broker (pid ${first.proc.pid}) is using ${dataDir}; stop it or set DATA_DIR to another directory`);
    expect(second.lines.some((l) => l.startsWith('replayed'))).toBe(false); // it did not even read the log

    expect(await first.client.stats()).toMatchObject({ total: 1 });
    expect(await first.proc.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false); // released on a clean exit
  });

  it('after a kill -9 the next broker takes the stale lock over and replays the log', async () => {
    const dataDir = makeTempDir();
    const first = await startBroker(dataDir);
    await first.client.enqueue({ n: 1 }, 'k-1');
    await first.proc.kill('SIGKILL');
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(true);

    const second = await startBroker(dataDir);
    await second.proc.waitForLine(new RegExp(`taking over a stale lock .*pid ${first.proc.pid}`));
    expect(await second.client.stats()).toMatchObject({ total: 1, pending: 1 });
  });
});

it.skipIf(!canBePid1)('Docker, for real: a broker that is pid 1 is killed -9, and the next pid 1 on the same directory takes over', async () => {
  // What `docker kill broker` + `docker start broker` does: same host name, same volume, and pid 1 again.
  const dataDir = makeTempDir();
  const asPid1 = (name: string) =>
    startCommand('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, '--import', 'tsx', BROKER], { DATA_DIR: dataDir, PORT: '0' }, name);
  const first = asPid1('broker-life-1');
  await first.waitForLine(/^broker listening on/);
  expect(JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 1 });
  await first.kill('SIGKILL'); // unshare --kill-child takes its pid 1 down with it

  const second = asPid1('broker-life-2');
  await second.waitForLine(/^taking over a stale lock .*that pid is now this very process: pid 1/);
  await second.waitForLine(/^broker listening on/);
});
