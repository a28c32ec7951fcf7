// `npm run example:queue` (examples/queue/node/run.ts) end to end: it runs the whole topology, exits by
// itself with EXIT_WHEN_DONE=1, stops everything on SIGTERM or Ctrl-C, and leaves no child process behind.
// And the unhappy paths of issue 5: a second run on the same data directory, a port another program
// holds, a worker killed mid-run.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freePort, isAlive, makeTempDir, REPO_ROOT, startScript, stopAll, waitFor, type Proc } from '../helpers/processes.ts';
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

async function startRunner(env: Record<string, string>, name = 'runner'): Promise<Proc> {
  const defaults = { DATA_DIR: makeTempDir(), PORT: String(await freePort()), JOBS: '20', RATE: '0', WORK_MS: '30', FAIL_RATE: '0' };
  return startScript(RUNNER, { ...defaults, ...env }, name);
}

/** Lines a child process printed through the runner (they carry its "[name]" prefix). */
const linesOf = (runner: Proc, child: string) => runner.lines.filter((l) => l.startsWith(`[${child}]`));
/** What the runner itself said, without its "[runner]" prefix. */
const said = (runner: Proc) => linesOf(runner, 'runner').map((l) => l.replace(/^\[runner\]\s+/, ''));

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

it('a second run on the same DATA_DIR stops at once and deletes nothing; the first keeps every acked job across a kill -9', async () => {
  const dataDir = makeTempDir();
  const port = String(await freePort());
  const first = await startRunner({ DATA_DIR: dataDir, PORT: port, JOBS: '40', RATE: '20', EXIT_WHEN_DONE: '1' });
  await first.waitForLine(/^\[worker-\d\]\s+done job-/);
  const brokerPid = Number((await first.waitForLine(/crash the broker:\s+kill -9 (\d+)/))[1]);
  childPids.push(brokerPid);
  const files = fs.readdirSync(dataDir).sort();

  // Issue 5: the same command again, in a second terminal.
  const second = await startRunner({ DATA_DIR: dataDir, PORT: port, JOBS: '40' }, 'second-runner');
  expect(await second.exited).toEqual({ code: 1, signal: null });
  expect(second.lines.join('\n')).toContain(`another broker (pid ${brokerPid}) is using ${dataDir}; stop it or set DATA_DIR to another directory`);
  expect(second.lines.join('\n')).toContain('Nothing was started or deleted.');
  expect(second.lines.some((l) => /^\[(broker|producer|worker-\d)\]/.test(l))).toBe(false);
  expect(second.lines.some((l) => l.includes('starting from an empty log'))).toBe(false);
  for (const f of files.filter((f) => f !== 'broker.lock')) expect(fs.existsSync(path.join(dataDir, f))).toBe(true);

  // The first run's broker still has its log: killed, it replays it, and the run ends with every job done.
  process.kill(brokerPid, 'SIGKILL');
  await first.waitForLine(/broker restarted as pid \d+/);
  const replayed = await first.waitForLine(/^\[broker\]\s+replayed (\d+) records/, 30_000).then(() =>
    waitFor('the second replay line', () => linesOf(first, 'broker').filter((l) => /replayed \d+ records/.test(l))[1]),
  );
  expect(replayed).toMatch(/replayed [1-9]\d* records/);
  expect(await first.exited).toEqual({ code: 0, signal: null });
  expect(first.lines.some((l) => /all 40 jobs settled \(40 done, 0 dead\)/.test(l))).toBe(true);
  for (const pid of pidsOf(first)) expect(isAlive(pid)).toBe(false);
}, 120_000); // a whole run of 40 jobs with a broker crash: ~20 s alone, over 60 s on a machine busy with other work

it('a port another program holds stops the runner before it starts or deletes anything, with the documented message', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  const dataDir = makeTempDir();
  const previous = path.join(dataDir, 'queue-000001.log');
  fs.writeFileSync(previous, '{"type":"enqueue","now":1,"payload":1}\n');
  try {
    const runner = await startRunner({ DATA_DIR: dataDir, PORT: String(port) });
    expect(await runner.exited).toEqual({ code: 1, signal: null });
    // The exact lines docs/reference/troubleshooting.md ("Ports already in use") shows.
    expect(said(runner)).toEqual([
      `port ${port} is already in use on 127.0.0.1: another program is listening there (an earlier run? the Docker setup?)`,
      `Nothing was started or deleted. Stop that program, or use another port: PORT=${port + 1} npm run example:queue`,
    ]);
    const page = fs.readFileSync(path.join(REPO_ROOT, 'docs/reference/troubleshooting.md'), 'utf8');
    for (const line of said(runner)) {
      expect(page).toContain(`[runner]   ${line.replaceAll(String(port + 1), '7701').replaceAll(String(port), '7700')}`);
    }
    expect(runner.lines.some((l) => /^\[(broker|producer|worker-\d)\]/.test(l))).toBe(false);
    expect(fs.existsSync(previous)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'broker.lock'))).toBe(false);
  } finally {
    blocker.close();
  }
});

it('after a worker is killed it counts the processes still running correctly; Ctrl-C then stops them all', async () => {
  // A producer that is still producing (RATE 5), so broker, producer and two workers remain.
  const runner = await startRunner({ JOBS: '1000', RATE: '5', WORK_MS: '100' });
  await runner.waitForLine(/^\[worker-\d\]\s+done job-/);
  const pids = pidsOf(runner);
  const victim = Number((await runner.waitForLine(/crash worker-2 mid-job:\s+kill -9 (\d+)/))[1]);
  process.kill(victim, 'SIGKILL');
  await runner.waitForLine(/worker-2 was killed \(SIGKILL\)/);
  await runner.waitForLine(/processes? still running/);
  expect(runner.lines.join('\n')).toContain('4 processes still running: broker, producer, worker-1, worker-3.');

  expect(await runner.kill('SIGINT')).toEqual({ code: 0, signal: null }); // what Ctrl-C sends
  expect(runner.lines.some((l) => l.includes('Ctrl-C: stopping all processes'))).toBe(true);
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
});
