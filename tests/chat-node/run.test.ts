// `npm run example:chat` (examples/chat/node/run.ts): it starts the bus and two chat servers, prints the URLs
// to open and the commands that kill a server, kills and restarts one on request, refuses a second run with a
// clear message, and leaves nothing running after Ctrl-C or after it is killed itself.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatClient } from '../../examples/chat/node/client.ts';
import { isAlive, makeTempDir, REPO_ROOT, stopAll, waitFor } from '../helpers/processes.ts';

const started: ChildProcess[] = [];
afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await stopAll();
});

interface Runner {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  type(line: string): void;
}

function runner(env: Record<string, string>, args: string[] = []): Runner {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/chat/node/run.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exited, type: (line) => child.stdin!.write(`${line}\n`) };
}

/** A base port whose next two ports are free too (below Linux's ephemeral range: s1 is restarted on its port). */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all([0, 1, 2].map((i) => canListen(base + i)));
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

const pidOf = (out: string, name: string) => [...out.matchAll(new RegExp(`\\[runner\\] ${name} started, pid (\\d+)`, 'g'))].map((m) => Number(m[1])).at(-1);

describe('npm run example:chat', () => {
  it('starts the bus and two servers, prints the URLs and kill commands, kills and restarts s1 on request, and Ctrl-C stops all', async () => {
    const base = await freeBase();
    const dataDir = makeTempDir('chat-run-');
    const run = runner({ CHAT_BASE_PORT: String(base), DATA_DIR: dataDir });
    await waitFor('the runner says the chat is up', () => run.out().includes('Type help for the commands'), 60_000);
    const out = run.out();
    expect(out).toContain(`http://localhost:${base + 1}`);
    expect(out).toContain(`http://localhost:${base + 2}`);
    const s1 = pidOf(out, 's1')!;
    const s2 = pidOf(out, 's2')!;
    const bus = Number(/the course bus started, pid (\d+)/.exec(out)![1]);
    expect(out).toContain(`kill -9 ${s1}`);
    expect(out).toContain(`kill ${s2}`);
    expect(out).toMatch(/\[s1\] +chat server s1 listening/);
    expect(out).toContain(`its log in ${dataDir}/bus`);

    // A second run on the same data directory, and one on the same ports: both refused, nothing started.
    const second = runner({ CHAT_BASE_PORT: String(base), DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    expect(second.out()).toMatch(/another chat runner \(pid \d+\) is using .*is npm run example:chat already running/);
    const third = runner({ CHAT_BASE_PORT: String(base), DATA_DIR: makeTempDir('chat-run-') });
    expect(await third.exited).toBe(1);
    expect(third.out()).toContain(`port ${base + 1} (chat server s1) is already in use`);
    expect(third.out()).toContain(`lsof -i :${base} -i :${base + 1} -i :${base + 2} on Linux/macOS`);
    expect(third.out()).toMatch(/CHAT_BASE_PORT=\d+ npm run example:chat/);

    const ada = new ChatClient({ urls: [`ws://127.0.0.1:${base + 1}/ws`, `ws://127.0.0.1:${base + 2}/ws`], user: 'ada' });
    try {
      ada.join('lobby');
      await waitFor('ada on s1', () => ada.server === 's1' && ada.isCaughtUp('lobby'));
      run.type('kill s1');
      await waitFor('s1 killed', () => run.out().includes(`s1 (pid ${s1}) killed with SIGKILL`));
      expect(isAlive(s1)).toBe(false);
      await waitFor('ada moved to s2', () => ada.server === 's2');
      run.type('restart s1');
      await waitFor('s1 restarted', () => /s1 is pid \d+ now/.test(run.out()));
      await waitFor('s1 answers again', async () => (await fetch(`http://127.0.0.1:${base + 1}/health`)).status === 200);
      const newS1 = pidOf(run.out(), 's1')!;
      expect(newS1).not.toBe(s1);

      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
      expect(run.out()).toContain('all stopped');
      for (const pid of [newS1, s2, bus]) expect(isAlive(pid), `pid ${pid} stopped`).toBe(false);
    } finally {
      await ada.close();
    }
  });

  it('leaves nothing running when the runner itself is killed with SIGKILL', async () => {
    const base = await freeBase();
    const run = runner({ CHAT_BASE_PORT: String(base), DATA_DIR: makeTempDir('chat-run-') });
    await waitFor('the runner says the chat is up', () => run.out().includes('Type help for the commands'), 60_000);
    const pids = [pidOf(run.out(), 's1')!, pidOf(run.out(), 's2')!, Number(/the course bus started, pid (\d+)/.exec(run.out())![1])];
    run.child.kill('SIGKILL');
    try {
      await waitFor('the bus and both servers stopped', () => pids.every((pid) => !isAlive(pid)), 20_000);
    } finally {
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL'); // never leave them behind
    }
  });

  it('names the port that is taken, and suggests a base whose ports are free and used by nothing else in the course', async () => {
    // 7601 taken: the old advice (base + 100 = 7700) would put the bus on the queue broker's port.
    const blocker = net.createServer();
    const blocked = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false)); // someone else holds 7601: taken all the same
      blocker.listen(7601, '127.0.0.1', () => resolve(true));
    });
    try {
      const run = runner({ CHAT_BASE_PORT: '7600', DATA_DIR: makeTempDir('chat-run-') });
      expect(await run.exited).toBe(1);
      const out = run.out();
      expect(out).toContain('port 7601 (chat server s1) is already in use');
      expect(out).toMatch(/lsof (-i :\d+ )*-i :7601 /);
      expect(out).not.toContain('lsof -i :7600 on'); // not the base, unless it is taken too
      const suggested = Number(/CHAT_BASE_PORT=(\d+) npm run example:chat/.exec(out)?.[1]);
      expect(suggested).not.toBe(7700);
      for (const port of [suggested, suggested + 1, suggested + 2]) {
        expect([5173, 7100, 7101, 7102, 7103, 7104, 7105, 7300, 7301, 7302, 7600, 7700]).not.toContain(port);
        expect(await canListen(port), `suggested port ${port} is free`).toBe(true);
      }
    } finally {
      if (blocked) blocker.close();
    }
  });

  it('with --bus redis, leaves no redis-server holding the bus port when the runner is killed with SIGKILL', async () => {
    const base = await freeBase();
    const run = runner({ CHAT_BASE_PORT: String(base), DATA_DIR: makeTempDir('chat-run-') }, ['--bus', 'redis']);
    await waitFor('the runner says the chat is up', () => run.out().includes('Type help for the commands'), 60_000);
    expect(run.out()).toMatch(/redis-server started, pid \d+, on 127\.0\.0\.1:\d+ \(memory only\)/);
    expect(await canListen(base)).toBe(false);
    const servers = [pidOf(run.out(), 's1')!, pidOf(run.out(), 's2')!];
    run.child.kill('SIGKILL');
    try {
      await waitFor('the bus port is free again', () => canListen(base), 20_000);
      await waitFor('both servers stopped', () => servers.every((pid) => !isAlive(pid)), 20_000);
    } finally {
      for (const pid of servers) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('refuses an unknown --bus with the usage', async () => {
    const run = runner({}, ['--bus', 'kafka']);
    expect(await run.exited).toBe(2);
    expect(run.out()).toContain('--bus must be course or redis, got "kafka"');
  });
});
