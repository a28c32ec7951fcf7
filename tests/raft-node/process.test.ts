// One Raft node as a program: its usage (--help, a stray argument, a bad variable), a cluster of one that
// elects itself and keeps its data over SIGTERM and a restart, the IPC 'ready' message and the shutdown when
// its parent's channel closes, a data directory another node holds, and a damaged log it refuses to start on.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftClient } from '../../examples/raft/node/client.ts';
import { parseRaftConfig } from '../../examples/raft/node/config.ts';
import { LOG_FILE } from '../../examples/raft/node/storage.ts';
import { freePort, makeTempDir, REPO_ROOT, startScript, stopAll, waitFor } from '../helpers/processes.ts';

const SERVER = 'examples/raft/node/server.ts';
afterEach(() => stopAll());

async function single(dataDir: string, port?: number) {
  const p = port ?? (await freePort());
  const env = { RAFT_ID: 'n1', PORT: String(p), RAFT_PEERS: `n1=http://127.0.0.1:${p}`, RAFT_DATA: dataDir };
  return { env, port: p, url: `http://127.0.0.1:${p}` };
}

describe('the raft node program', () => {
  it('prints its usage for --help (exit 0), and for a stray argument or a bad variable (exit 2)', async () => {
    const withArg = (arg: string, env: Record<string, string>) => {
      const child = spawn(process.execPath, ['--import', 'tsx', SERVER, ...(arg ? [arg] : [])], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      return new Promise<{ code: number | null; out: string }>((r) => child.on('exit', (code) => r({ code, out })));
    };
    const [h, stray, noPeers] = await Promise.all([
      withArg('--help', {}),
      withArg('start', {}),
      withArg('', { RAFT_ID: 'n1', PORT: '7401', RAFT_PEERS: '' }),
    ]);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: RAFT_ID=n1 PORT=7401 RAFT_PEERS=/);
    expect(h.out).toContain('RAFT_SNAPSHOT_EVERY');
    expect(stray.code).toBe(2);
    expect(stray.out).toContain('raft node: it takes no arguments (got start)');
    expect(noPeers.code).toBe(2);
    expect(noPeers.out).toContain('raft node: RAFT_PEERS is not set');
    expect(noPeers.out).toContain('usage: RAFT_ID=n1');
  });

  it('checks every variable before it starts (parseRaftConfig)', () => {
    const env = { RAFT_ID: 'n1', PORT: '7401', RAFT_PEERS: 'n1=http://127.0.0.1:7401, n2=http://127.0.0.1:7402/' };
    const ok = parseRaftConfig(env);
    expect(ok).toEqual({ ok: true, config: { id: 'n1', host: '127.0.0.1', port: 7401, peers: { n1: 'http://127.0.0.1:7401', n2: 'http://127.0.0.1:7402' }, dataDir: path.resolve('examples/raft/.data/n1'), snapshotEvery: 1000 } });
    const error = (extra: Record<string, string>) => {
      const r = parseRaftConfig({ ...env, ...extra });
      return r.ok ? 'ok' : r.error;
    };
    expect(error({ RAFT_SNAPSHOT_EVERY: '0', RAFT_DATA: '/tmp/x', HOST: '0.0.0.0' })).toBe('ok');
    expect(error({ RAFT_ID: '' })).toBe('RAFT_ID is not set');
    expect(error({ RAFT_ID: 'N1!' })).toMatch(/RAFT_ID "N1!" is not a node name/);
    expect(error({ PORT: '70000' })).toMatch(/PORT must be a port number from 0 to 65535, got "70000"/);
    expect(error({ RAFT_SNAPSHOT_EVERY: 'often' })).toBe('RAFT_SNAPSHOT_EVERY must be a whole number >= 0 (0 = never), got "often"');
    expect(error({ RAFT_ID: 'n4' })).toMatch(/^RAFT_PEERS must list this node too \(n4=http:\/\/\.\.\.\); it lists n1, n2$/);
    expect(error({ RAFT_PEERS: 'n1=http://a:1,n1=http://b:2' })).toBe('RAFT_PEERS: n1 is listed twice');
    expect(error({ RAFT_PEERS: 'n1=127.0.0.1:7401' })).toMatch(/RAFT_PEERS: n1 needs an http:\/\/ URL/);
    expect(error({ RAFT_PEERS: Array.from({ length: 10 }, (_, i) => `n${i + 1}=http://h:${i + 1}`).join(',') })).toMatch(/10 members given/);
  });

  it('a cluster of one elects itself, serves, stops cleanly on SIGTERM and comes back with its data', async () => {
    const dir = path.join(makeTempDir('raft-one-'), 'n1');
    const one = await single(dir);
    let proc = startScript(SERVER, one.env, 'raft n1');
    await proc.waitForLine(/raft node n1 listening on http:\/\/127\.0\.0\.1:\d+ \(members n1; tick 10 ms, election timeout 150-300 ms, heartbeat 50 ms; snapshot every 1000 entries/);
    const c = new RaftClient({ members: { n1: one.url } });
    expect(await c.put('k', 'v')).toMatchObject({ ok: true, status: 200 });
    expect(await proc.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(proc.lines.join('\n')).toMatch(/n1: SIGTERM: shutting down[^\n]*\n[^]*n1: bye/);
    expect(fs.existsSync(path.join(dir, 'broker.lock'))).toBe(false); // the lock went with it
    proc = startScript(SERVER, one.env, 'raft n1 again');
    await proc.waitForLine(/n1: term \d+, voted for n1, no snapshot, \d+ log entries/);
    await proc.waitForLine(/listening on http/);
    const again = await new RaftClient({ members: { n1: one.url } }).get('k');
    expect(again).toMatchObject({ ok: true, status: 200, body: { key: 'k', value: 'v', node: 'n1' } });
  });

  it("tells a parent with an IPC channel that it is ready, and stops when that channel closes", async () => {
    const one = await single(path.join(makeTempDir('raft-ipc-'), 'n1'));
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { cwd: REPO_ROOT, env: { ...process.env, ...one.env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const ready = await new Promise<unknown>((resolve) => child.once('message', resolve));
      expect(ready).toEqual({ type: 'ready', id: 'n1', port: one.port, url: one.url });
      child.disconnect(); // what the parent's death does to the channel
      expect(await exited).toBe(0);
      expect(out).toContain('n1: the process that started this node is gone: shutting down');
      expect(out).toContain('n1: bye');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a data directory another live node holds, and a log damaged in the middle', async () => {
    const dir = path.join(makeTempDir('raft-lock-'), 'n1');
    const first = await single(dir);
    const owner = startScript(SERVER, first.env, 'owner');
    await owner.waitForLine(/listening on http/);
    const c = new RaftClient({ members: { n1: first.url } });
    for (let i = 0; i < 3; i++) expect((await c.put(`k${i}`, 'v')).ok).toBe(true);
    const second = await single(dir);
    const intruder = startScript(SERVER, second.env, 'intruder');
    expect((await intruder.exited).code).toBe(1);
    expect(intruder.lines.join('\n')).toMatch(/n1: another raft node \(pid \d+\) is using .*n1; stop it or set RAFT_DATA to another directory/);
    await owner.kill('SIGKILL');
    // Damage the second record: a later record is fine, so it is not a torn tail but corruption.
    const file = path.join(dir, LOG_FILE);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.length).toBeGreaterThan(3);
    lines[1] = `${lines[1]!.slice(0, 20)}#${lines[1]!.slice(21)}`;
    fs.writeFileSync(file, lines.join('\n'));
    const refused = startScript(SERVER, first.env, 'refused');
    expect((await refused.exited).code).toBe(1);
    expect(refused.lines.join('\n')).toMatch(/raft node cannot start: .*raft\.log: record 2 is unreadable but later records are fine; the log is corrupt, refusing to start/);
    await waitFor('the port is free', async () => !(await fetch(`${first.url}/health`).then(() => true, () => false)));
  });
});
