// `npm run example:raft` (examples/raft/node/run.ts) end to end, with five real Raft nodes, driven the way a
// learner drives it but through a pipe (no terminal): commands on stdin, the view's lines on stdout. It shows a
// leader, takes put/get at its prompt, shows a new leader after the leader is killed, restarts a node, cuts
// and heals the network, answers typos with a hint, and quit leaves no process. A second run on the same data
// directory and a run on taken ports are refused before anything starts; a runner killed with kill -9 takes
// every node with it.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { isAlive, makeTempDir, REPO_ROOT, stopAll, waitFor } from '../helpers/processes.ts';

const started: ChildProcess[] = [];
const nodePidsSeen: number[] = [];
afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of nodePidsSeen) if (running(pid)) process.kill(pid, 'SIGKILL'); // never leave a node behind
  await stopAll();
});

interface Runner {
  child: ChildProcess;
  lines: () => string[];
  exited: Promise<number | null>;
  type(line: string): void;
  /** The first line at or after `from` matching `pattern` (waits for it). */
  line(pattern: RegExp, from?: number, timeoutMs?: number): Promise<{ match: RegExpMatchArray; at: number }>;
}

function runner(env: Record<string, string>): Runner {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/raft/node/run.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', RAFT_SUMMARY_EVERY_MS: '1000', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  const out: string[] = [];
  let rest = '';
  const onData = (c: Buffer) => {
    const parts = (rest + c.toString()).split('\n');
    rest = parts.pop() ?? '';
    out.push(...parts);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const lines = () => out;
  return {
    child,
    lines,
    exited,
    type: (line) => child.stdin!.write(`${line}\n`),
    line: (pattern, from = 0, timeoutMs = 30_000) =>
      waitFor(`a line matching ${pattern}\n${out.slice(-12).join('\n')}`, () => {
        for (let i = from; i < out.length; i++) {
          const match = pattern.exec(out[i]!);
          if (match) return { match, at: i };
        }
        return undefined;
      }, timeoutMs, 50),
  };
}

/** A base whose next five ports are free (below Linux's ephemeral range: nodes are restarted on their ports). */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all([1, 2, 3, 4, 5].map((i) => canListen(base + i)));
    if (free.every(Boolean)) return base;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Alive and not a zombie (an exited orphan waits for its reaper). */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return !fs.existsSync('/proc/self');
  }
}

/** The node pids the runner printed ("n3 started, pid 1234, ..."), the latest per node. */
function nodePids(r: Runner): Map<string, number> {
  const pids = new Map<string, number>();
  for (const l of r.lines()) {
    const m = /^\[runner\]\s+(n\d) started, pid (\d+)/.exec(l);
    if (m) pids.set(m[1]!, Number(m[2]));
  }
  nodePidsSeen.push(...pids.values());
  return pids;
}

const LEADER = /^\[view\]\s+leader: (n\d) in term (\d+)/;
/** The leader the view announced last (an early second election can replace the first one). */
const latestLeader = (r: Runner) => {
  const m = [...r.lines()].reverse().map((l) => LEADER.exec(l)).find((x) => x !== null)!;
  return { name: m[1]!, term: m[2]! };
};

it('shows a leader, takes put/get, elects a new leader when the leader is killed, restarts, partitions and heals, and quit leaves no process', async () => {
  const base = await freeBase();
  const dataDir = makeTempDir('raft-run-');
  const run = runner({ RAFT_BASE_PORT: String(base), DATA_DIR: dataDir });
  await run.line(/all five nodes answer GET \/status/, 0, 60_000);
  await run.line(LEADER, 0, 30_000);
  const pids = nodePids(run);
  expect([...pids.keys()]).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
  expect(run.lines().join('\n')).toMatch(/\[n1\] +raft node n1 listening on http:\/\/127\.0\.0\.1:\d+/); // the nodes' own output, prefixed
  // The runner's snapshot interval (50, not the node's 1000): a short session sees compaction and InstallSnapshot.
  expect(run.lines().join('\n')).toMatch(/\[n1\] +raft node n1 listening on .*snapshot every 50 entries/);

  // A second run on the same data directory, and one on the same ports: both refused, nothing started.
  const second = runner({ RAFT_BASE_PORT: String(await freeBase()), DATA_DIR: dataDir });
  expect(await second.exited).toBe(1);
  expect(second.lines().join('\n')).toMatch(/another raft runner \(pid \d+\) is using .*is npm run example:raft already running in another terminal\?/);
  expect(second.lines().some((l) => /^\[n\d\]/.test(l))).toBe(false);
  const third = runner({ RAFT_BASE_PORT: String(base), DATA_DIR: makeTempDir('raft-run-') });
  expect(await third.exited).toBe(1);
  const refused = third.lines().join('\n');
  expect(refused).toContain(`port ${base + 1} (node n1) is already in use on 127.0.0.1`);
  expect(refused).toContain(`port ${base + 5} (node n5) is already in use on 127.0.0.1`);
  const suggested = Number(/use other ports \(\d+-\d+ are free now\): RAFT_BASE_PORT=(\d+) npm run example:raft/.exec(refused)?.[1]);
  for (let i = 1; i <= 5; i++) expect(await canListen(suggested + i), `suggested port ${suggested + i} is free`).toBe(true);
  expect(third.lines().some((l) => /^\[n\d\]/.test(l))).toBe(false);

  let mark = run.lines().length;
  run.type('put greeting hello');
  await run.line(/^\[runner\]\s+ok: greeting = "hello", committed by leader n\d, log index \d+/, mark);
  run.type('get greeting');
  await run.line(/^\[runner\]\s+greeting = "hello" \(leader n\d, log index \d+/, mark);
  run.type('puut x y');
  await run.line(/unknown command "puut" — did you mean put\? \(put <key> <value>\); type help for the list/, mark);
  run.type('kill n9');
  await run.line(/unknown node "n9" — did you mean n1\? \(the nodes are n1, n2, n3, n4, n5\)/, mark);
  run.type('status');
  const table = await run.line(/^\[runner\]\s+node\s+port\s+process\s+state\s+role\s+term\s+leader\s+commit\s+applied\s+last\s+snap\s+blocks/, mark);
  expect(run.lines()[table.at + 1]).toMatch(/^\[runner\]\s+n1\s+\d+\s+pid \d+\s+up\s+(leader|follower|candidate)\s+\d+\s+(n\d|-)\s+\d+\s+\d+\s+\d+\s+\d+\s+-$/);

  // Kill the leader: a new one, another node, in a higher term.
  const first = latestLeader(run);
  const leader = first.name;
  mark = run.lines().length;
  run.type(`kill ${leader}`);
  await run.line(new RegExp(`${leader} \\(pid ${pids.get(leader)}\\) killed with SIGKILL: a crash`), mark);
  expect(running(pids.get(leader)!)).toBe(false);
  const next = await run.line(new RegExp(`^\\[view\\]\\s+leader: (?!${leader}\\b)(n\\d) in term (\\d+) \\(was n\\d in term \\d+\\)`), mark);
  expect(Number(next.match[2])).toBeGreaterThan(Number(first.term));
  await run.line(new RegExp(`^\\[view\\]\\s+leader n\\d \\(term \\d+\\) \\|.*${leader} down`), mark);
  run.type('get greeting'); // the acknowledged write survived the leader
  await run.line(/^\[runner\]\s+greeting = "hello" \(leader n\d/, mark);

  mark = run.lines().length;
  run.type(`restart ${leader}`);
  await run.line(new RegExp(`${leader} restarted as pid \\d+ on its disk`), mark);
  const restarted = nodePids(run).get(leader)!;
  expect(restarted).not.toBe(pids.get(leader));
  await run.line(new RegExp(`^\\[view\\]\\s+leader n\\d \\(term \\d+\\) \\|.*${leader} F\\d+`), mark);

  // Cut the current leader off alone: the other four elect one among them; heal: everyone up again.
  const now = nodePids(run);
  const current = latestLeader(run).name;
  const rest = ['n1', 'n2', 'n3', 'n4', 'n5'].filter((n) => n !== current);
  mark = run.lines().length;
  run.type(`partition ${current} | ${rest.join(' ')}`);
  await run.line(new RegExp(`partition: ${current} \\| ${rest.join(',')} \\(POST /admin/block on every node\\)`), mark);
  await run.line(new RegExp(`^\\[runner\\]\\s+${current}: drops traffic to and from ${rest.join(', ')}`), mark);
  // A summary whose leader (the highest term's) is one of the four, with the cut-off node marked partitioned.
  await run.line(new RegExp(`^\\[view\\]\\s+leader (${rest.join('|')}) \\(term \\d+\\) \\|.*${current} [LFC]\\d+ c\\d+ a\\d+ partitioned`), mark);
  mark = run.lines().length;
  run.type('heal');
  await run.line(/healed: every node talks to everyone again/, mark);
  await run.line(/^\[view\]\s+leader n\d \(term \d+\) \| n1 [LF]\d+ c\d+ a\d+, n2 [LF]\d+ c\d+ a\d+, n3 [LF]\d+ c\d+ a\d+, n4 [LF]\d+ c\d+ a\d+, n5 [LF]\d+ c\d+ a\d+$/, mark, 60_000);
  run.type('cas greeting hello bonjour');
  await run.line(/swapped: greeting = "bonjour" \(it held "hello"/, mark);

  run.type('quit');
  expect(await run.exited).toBe(0);
  expect(run.lines().join('\n')).toContain('quit: stopping all nodes');
  expect(run.lines().join('\n')).toContain('all nodes stopped');
  for (const pid of [...pids.values(), ...now.values(), restarted]) expect(running(pid), `pid ${pid} stopped`).toBe(false);
}, 240_000);

it('killed with kill -9, the runner leaves no node behind (each stops when its IPC channel closes)', async () => {
  const run = runner({ RAFT_BASE_PORT: String(await freeBase()), DATA_DIR: makeTempDir('raft-run-') });
  await run.line(/all five nodes answer GET \/status/, 0, 60_000);
  const pids = [...nodePids(run).values()];
  expect(pids).toHaveLength(5);
  run.child.kill('SIGKILL');
  await waitFor('every node to exit after its runner died', () => (pids.every((pid) => !running(pid)) ? true : undefined), 30_000, 200);
}, 120_000);

it('Ctrl-C (SIGINT) stops every node and gives the data directory back', async () => {
  const dataDir = makeTempDir('raft-run-');
  const run = runner({ RAFT_BASE_PORT: String(await freeBase()), DATA_DIR: dataDir });
  await run.line(/all five nodes answer GET \/status/, 0, 60_000);
  const pids = [...nodePids(run).values()];
  run.child.kill('SIGINT');
  expect(await run.exited).toBe(0);
  expect(run.lines().join('\n')).toContain('Ctrl-C: stopping all nodes');
  for (const pid of pids) expect(running(pid), `pid ${pid} stopped`).toBe(false);
  expect(fs.existsSync(`${dataDir}/broker.lock`)).toBe(false); // the runner's lock, released
  expect(fs.readdirSync(dataDir).sort()).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']); // the disks stay (KEEP_DATA=1 uses them)
}, 120_000);
