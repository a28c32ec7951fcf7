// `npm run example:store` (examples/store/node/run.ts) end to end, with real store nodes: it starts five,
// takes commands from a second terminal (`npm run store -- ...`, cli.ts, through the runner's control port),
// refuses a second run on the same DATA_DIR and a taken port (naming it) before it starts or deletes anything,
// and Ctrl-C stops every node: no process is left.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { isAlive, makeTempDir, startCommand, startScript, stopAll, waitFor, type Proc } from '../helpers/processes.ts';
import { http } from '../../examples/store/node/run-http.ts';

const RUNNER = 'examples/store/node/run.ts';
const CLI = 'examples/store/node/cli.ts';
const childPids: number[] = [];

afterEach(async () => {
  for (const pid of childPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  childPids.length = 0;
  await stopAll();
});

/** A base port whose next five are free (the runner checks them again and names any that is taken). */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function startRunner(env: Record<string, string>, name = 'runner'): Promise<Proc> {
  return startScript(RUNNER, { DATA_DIR: makeTempDir('store-run-'), ...env }, name);
}

/** The node pids the runner printed ("n3 started, pid 1234, ..."). */
function nodePids(runner: Proc): Map<string, number> {
  const pids = new Map<string, number>();
  for (const l of runner.lines) {
    const m = /^\[runner\]\s+(n\d) started, pid (\d+)/.exec(l);
    if (m) pids.set(m[1]!, Number(m[2]));
  }
  childPids.push(...pids.values());
  return pids;
}

/** Alive and not a zombie (an exited orphan waits for pid 1 to reap it, which in a container may be never). */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return fs.existsSync('/proc/self') ? false : true; // no /proc (macOS): the signal-0 answer is all we have
  }
}

const said = (runner: Proc) => runner.lines.filter((l) => l.startsWith('[runner]')).map((l) => l.replace(/^\[runner\]\s+/, ''));

async function cli(base: number, ...words: string[]): Promise<{ code: number | null; out: string }> {
  const p = startCommand(process.execPath, ['--import', 'tsx', CLI, ...words], { STORE_BASE_PORT: String(base) }, `store ${words.join(' ')}`);
  const exit = await p.exited;
  return { code: exit.code, out: p.lines.join('\n') };
}

it('starts five nodes, obeys `npm run store` (put/get, kill, restart, partition, heal), and Ctrl-C leaves no process', async () => {
  const base = await freeBase();
  const runner = await startRunner({ STORE_BASE_PORT: String(base), STORE_SUMMARY_EVERY_MS: '1000' });
  await runner.waitForLine(/Ctrl-C stops all five nodes/, 60_000); // the last line of the how-to
  const pids = nodePids(runner);
  expect([...pids.keys()]).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
  expect(runner.lines.join('\n')).toContain('npm run store -- partition n1,n2 n3,n4,n5');
  expect(runner.lines.join('\n')).toContain('npm run store -- put cart milk --consistency eventual --node n4');
  // The ports are moved: the banner says how to set STORE_BASE_PORT in each shell, and claims no one syntax.
  expect(said(runner)).toContain(`Linux/macOS: export STORE_BASE_PORT=${base}    PowerShell: $env:STORE_BASE_PORT=${base}    cmd.exe: set STORE_BASE_PORT=${base}`);
  expect(runner.lines.join('\n')).not.toMatch(/STORE_BASE_PORT=\d+ in that terminal\)\s+\(the same on Linux/);

  // A strong write is taken once a leader is elected for its replica set (the first ones may be refused: 503).
  const put = await waitFor('a strong write to succeed', async () => {
    const r = await cli(base, 'put', 'greeting', 'hello');
    return r.code === 0 ? r : undefined;
  }, 60_000, 500);
  expect(put.out).toMatch(/^200 from n1 \(replica set n\d\+n\d\+n\d, leader n\d, term \d+\): ok/m);
  expect((await cli(base, 'get', 'greeting')).out).toMatch(/200 from n1 .*\["hello"\]/);

  // The view, in a pipe: one summary line now and then, naming every node and every replica set's leader.
  await runner.waitForLine(/^\[view\]\s+n1 up .*n5 up .*\| leaders (n\d\+n\d\+n\d:n\d\/t\d+ ?){10}/, 30_000);

  const killed = await cli(base, 'kill', 'n3');
  expect(killed.code).toBe(0);
  expect(killed.out).toContain(`n3 (pid ${pids.get('n3')}) killed with SIGKILL`);
  expect(isAlive(pids.get('n3')!)).toBe(false);
  await runner.waitForLine(/^\[view\]\s+.*n3 down/, 30_000);
  expect((await cli(base, 'kill', 'n3')).code).toBe(1); // not running any more: said so, not crashed

  const restarted = await cli(base, 'restart', 'n3');
  expect(restarted.out).toMatch(/n3 restarted as pid \d+ on the same disk/);
  const n3 = nodePids(runner).get('n3')!;
  expect(n3).not.toBe(pids.get('n3'));
  await runner.waitForLine(/^\[view\]\s+n1 up .*n3 up /, 30_000);

  const cut = await cli(base, 'partition', 'n1,n2', 'n3,n4,n5');
  expect(cut.out).toContain('n1: drops traffic to and from n3, n4, n5');
  expect(cut.out).toContain('n4: drops traffic to and from n1, n2');
  await runner.waitForLine(/^\[view\]\s+n1 partitioned/, 30_000);

  // A node restarted during a partition is told the cut again: it blocks the other side, as they block it.
  expect((await cli(base, 'kill', 'n3')).code).toBe(0);
  const back = await cli(base, 'restart', 'n3');
  expect(back.code, back.out).toBe(0);
  expect(back.out).toContain('n3: drops traffic to and from n1, n2 again');
  expect((await http('GET', `http://127.0.0.1:${base + 3}/status`)).body.blocked).toEqual(['n1', 'n2']);
  nodePids(runner);

  // Told while a node is down: the error names the request that was made (block), not another one.
  expect((await cli(base, 'kill', 'n4')).code).toBe(0);
  const again = await cli(base, 'partition', 'n1,n2', 'n3,n4,n5');
  expect(again.code).toBe(1);
  expect(again.out).toMatch(/^n4: POST \/admin\/block failed: connection refused \(http:\/\/127\.0\.0\.1:\d+\/admin\/block\)/m);
  expect(again.out).not.toContain('/admin/heal');
  expect((await cli(base, 'restart', 'n4')).out).toContain('n4: drops traffic to and from n1, n2 again');
  nodePids(runner);
  expect((await cli(base, 'heal')).out).toContain('n5: talks to everyone');
  expect((await http('GET', `http://127.0.0.1:${base + 4}/status`)).body.blocked).toEqual([]);

  expect((await cli(base, 'frobnicate')).code).toBe(2);
  // A typo in an option is an error (exit 2) naming it, not a different command run without it.
  const typo = await cli(base, 'put', 'k', 'v', '--consistancy', 'eventual', '--node', 'n3');
  expect(typo.code).toBe(2);
  expect(typo.out).toContain('unknown option --consistancy; put takes --consistency strong|eventual, --node nX, --context JSON');
  expect(typo.out).toContain('--consistency strong|eventual'); // the usage that follows
  expect((await cli(base, 'get', 'k', '--nod', 'n3')).code).toBe(2);
  // The typo wrote nothing. (Right after the heal a group may still be electing, a retryable 503: ask again.)
  const read = await waitFor('a strong read of k once a leader answers', async () => {
    const out = (await cli(base, 'get', 'k')).out;
    return /^503 /m.test(out) ? null : out;
  });
  expect(read).toMatch(/^404 from n1/m);
  // The runner's prompt runs the same parser (its control port runs what the prompt runs): one hint line.
  const control = (words: string[]) => http('POST', `http://127.0.0.1:${base}/control`, { words });
  expect((await control(['bogus'])).body.lines).toEqual(['unknown command "bogus"', 'type help for the list of commands']);
  expect((await control(['get', 'k', '--nod', 'n3'])).body.lines).toEqual(['unknown option --nod; get takes --consistency strong|eventual, --node nX', 'type help for the list of commands']);

  expect(await runner.kill('SIGINT')).toEqual({ code: 0, signal: null }); // what Ctrl-C sends
  expect(said(runner)).toContain('Ctrl-C: stopping all nodes');
  expect(said(runner)).toContain('all nodes stopped');
  for (const pid of [...pids.values(), n3]) expect(isAlive(pid)).toBe(false);
}, 180_000);

it('killed with kill -9, the runner takes no node with it by hand, yet every node shuts down cleanly (lock given back)', async () => {
  const dataDir = makeTempDir('store-run-');
  const runner = await startRunner({ DATA_DIR: dataDir, STORE_BASE_PORT: String(await freeBase()) });
  await runner.waitForLine(/all five nodes answer GET \/status/, 60_000);
  const pids = nodePids(runner);
  expect(await runner.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  // Generous: five nodes notice, flush and exit; on a busy machine that may take a while, never forever.
  await waitFor('every node to exit after its runner died', async () => ([...pids.values()].every((pid) => !running(pid)) ? true : undefined), 30_000, 200);
  // A clean shutdown gives its data directory's lock back; a node that crashed or was killed would not.
  for (const name of pids.keys()) expect(fs.existsSync(path.join(dataDir, name, 'broker.lock')), name).toBe(false);
}, 120_000);

it('nodes left over from an earlier run (runner gone) are named with their pids and how to stop them', async () => {
  const base = await freeBase();
  const dataDir = makeTempDir('store-run-');
  // A node on n2's port and disk with no runner: what a runner killed before this fix left behind.
  const peers = [1, 2, 3, 4, 5].map((i) => `n${i}=http://127.0.0.1:${base + i}`).join(',');
  const orphan = startScript('examples/store/node/server.ts', { STORE_ID: 'n2', STORE_PORT: String(base + 2), STORE_PEERS: peers, STORE_DATA_DIR: path.join(dataDir, 'n2') }, 'orphan n2');
  await orphan.waitForLine(/listening on http/, 30_000);
  const runner = await startRunner({ DATA_DIR: dataDir, STORE_BASE_PORT: String(base) });
  expect(await runner.exited).toEqual({ code: 1, signal: null });
  expect(said(runner)).toEqual([
    `port ${base + 2} (node n2) is held by store node n2 (pid ${orphan.pid}), left running by an earlier run whose runner is gone (killed with kill -9?)`,
    `Nothing was started or deleted. Stop the left-over nodes: kill ${orphan.pid} (Linux/macOS) or taskkill /F /PID ${orphan.pid} (Windows); or use other ports: STORE_BASE_PORT=${base + 100} npm run example:store`,
  ]);
  expect(orphan.running()).toBe(true); // named, not touched
}, 60_000);

it('`npm run store -- status` with no store running says how to start one', async () => {
  const base = await freeBase();
  const r = await cli(base, 'status');
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/n1\s+\d+\s+-\s+down/);
  expect(r.out).toContain(`No node answers on 127.0.0.1:${base + 1}-${base + 5}. Start the store in another terminal with npm run example:store (STORE_BASE_PORT=${base} is set here: the runner must use the same).`);
  const help = await cli(base, 'help');
  expect(help.code).toBe(0);
  expect(help.out).toContain('--consistency strong|eventual');
}, 60_000);

it('a second run on the same DATA_DIR stops at once, names the first, and starts and deletes nothing', async () => {
  const dataDir = makeTempDir('store-run-');
  const first = await startRunner({ DATA_DIR: dataDir, STORE_BASE_PORT: String(await freeBase()) });
  await first.waitForLine(/all five nodes answer GET \/status/, 60_000);
  const pids = nodePids(first);
  const files = fs.readdirSync(path.join(dataDir, 'n1'));

  const second = await startRunner({ DATA_DIR: dataDir, STORE_BASE_PORT: String(await freeBase()) }, 'second-runner');
  expect(await second.exited).toEqual({ code: 1, signal: null });
  expect(said(second)).toEqual([
    `another store runner (pid ${first.pid}) is using ${dataDir}; stop it or set DATA_DIR to another directory`,
    'Nothing was started or deleted. Two runs at once need different DATA_DIRs and STORE_BASE_PORTs.',
  ]);
  expect(second.lines.some((l) => /^\[n\d\]/.test(l))).toBe(false);
  for (const f of files) expect(fs.existsSync(path.join(dataDir, 'n1', f))).toBe(true);
  for (const pid of pids.values()) expect(isAlive(pid)).toBe(true);

  expect(await first.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  for (const pid of pids.values()) expect(isAlive(pid)).toBe(false);
}, 120_000);

it('a taken port is named (node and port), and nothing is started or deleted', async () => {
  const base = await freeBase();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(base + 3, '127.0.0.1', r));
  const dataDir = makeTempDir('store-run-');
  const previous = path.join(dataDir, 'n2', 'changes-000001.log');
  fs.mkdirSync(path.dirname(previous));
  fs.writeFileSync(previous, '');
  try {
    const runner = await startRunner({ DATA_DIR: dataDir, STORE_BASE_PORT: String(base) });
    expect(await runner.exited).toEqual({ code: 1, signal: null });
    expect(said(runner)).toEqual([
      `port ${base + 3} (node n3) is already in use on 127.0.0.1: another program is listening there (an earlier run? the Docker setup?)`,
      `Nothing was started or deleted. Stop that program, or use other ports: STORE_BASE_PORT=${base + 100} npm run example:store`,
    ]);
    expect(runner.lines.some((l) => /^\[n\d\]/.test(l))).toBe(false);
    expect(fs.existsSync(previous)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'broker.lock'))).toBe(false); // the lock was given back
  } finally {
    blocker.close();
  }
}, 60_000);

it('a node killed from outside (kill -9) is reported and stays down; SIGTERM then stops the rest', async () => {
  const runner = await startRunner({ STORE_BASE_PORT: String(await freeBase()) });
  await runner.waitForLine(/all five nodes answer GET \/status/, 60_000);
  const pids = nodePids(runner);
  process.kill(pids.get('n2')!, 'SIGKILL');
  await runner.waitForLine(/n2 was killed \(SIGKILL\)\. It stays down until you type: restart n2/);
  expect(await runner.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  for (const pid of pids.values()) expect(isAlive(pid)).toBe(false);
}, 120_000);
