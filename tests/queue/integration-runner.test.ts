// `npm run example:queue` (examples/queue/node/run.ts) end to end: it runs the whole topology, exits by
// itself with EXIT_WHEN_DONE=1, stops everything on SIGTERM, and leaves no child process behind.

import { afterEach, expect, it } from 'vitest';
import { freePort, isAlive, makeTempDir, startScript, stopAll, waitFor, type Proc } from '../helpers/processes.ts';
import { RUNNER } from '../helpers/queue.ts';

afterEach(async () => {
  // If a test failed half-way, the runner's children may still be running: kill them by pid too.
  for (const pid of childPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  childPids.length = 0;
  await stopAll();
});
const childPids: number[] = [];

/** The runner prints every child's pid ("kill -9 <pid>"), which is how we check that none remains. */
function pidsOf(runner: Proc): number[] {
  const pids = runner.lines.flatMap((l) => [...l.matchAll(/kill -9 (\d+)|restarted as pid (\d+)/g)].map((m) => Number(m[1] ?? m[2])));
  childPids.push(...pids);
  return pids;
}

async function startRunner(env: Record<string, string>): Promise<Proc> {
  return startScript(RUNNER, { DATA_DIR: makeTempDir(), PORT: String(await freePort()), RATE: '0', WORK_MS: '30', FAIL_RATE: '0', ...env }, 'runner');
}

it('EXIT_WHEN_DONE=1: runs every job to the end, exits 0, and no child process remains', async () => {
  const runner = await startRunner({ JOBS: '12', EXIT_WHEN_DONE: '1' });
  expect(await runner.exited).toEqual({ code: 0, signal: null });
  const pids = pidsOf(runner);
  expect(pids).toHaveLength(4); // 3 workers + broker
  expect(runner.lines.some((l) => /all 12 jobs settled \(12 done, 0 dead\)/.test(l))).toBe(true);
  expect(runner.lines.some((l) => l.startsWith('[producer]') && l.includes('all 12 jobs acknowledged'))).toBe(true);
  expect(runner.lines.filter((l) => /^\[worker-\d\]\s+done job-/.test(l))).toHaveLength(12);
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
});

it('SIGTERM mid-run stops every child (workers first, then the broker) and exits 0', async () => {
  const runner = await startRunner({ JOBS: '1000', WORK_MS: '200' });
  await runner.waitForLine(/^\[worker-\d\]\s+done job-/);
  const pids = pidsOf(runner);
  expect(pids).toHaveLength(4);
  expect(await runner.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  expect(runner.lines.some((l) => l.includes('all processes stopped'))).toBe(true);
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
});

it('restarts a broker that was killed, which replays its log, and the run still completes', async () => {
  const runner = await startRunner({ JOBS: '40', RATE: '20', EXIT_WHEN_DONE: '1' });
  await runner.waitForLine(/^\[worker-\d\]\s+done job-/);
  const brokerPid = Number((await runner.waitForLine(/crash the broker:\s+kill -9 (\d+)/))[1]);
  childPids.push(brokerPid);
  process.kill(brokerPid, 'SIGKILL');
  await runner.waitForLine(/broker restarted as pid \d+/);
  // The restarted broker prints a second "replayed N records" line, with N > 0: the log survived.
  const replays = await waitFor('the restarted broker replaying its log', () => {
    const lines = runner.lines.filter((l) => /^\[broker\]\s+replayed \d+ records/.test(l));
    return lines.length === 2 ? lines : null;
  });
  expect(replays[1]).toMatch(/replayed [1-9]\d* records/);
  expect(await runner.exited).toEqual({ code: 0, signal: null });
  expect(runner.lines.some((l) => /all 40 jobs settled \(40 done, 0 dead\)/.test(l))).toBe(true);
  for (const pid of pidsOf(runner)) expect(isAlive(pid)).toBe(false);
});
