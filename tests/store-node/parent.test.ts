// A store node started with an IPC channel (as the runner, run.ts, and chaos.ts start theirs) shuts down
// cleanly when that channel closes, which is what happens when its parent dies, even by kill -9: no node
// outlives the program that started it. Started without one (Docker, by hand), it does not care.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freePort, makeTempDir, REPO_ROOT, stopAll } from '../helpers/processes.ts';

afterEach(() => stopAll());

it('a node whose parent channel closes shuts down, says why, flushes its log and exits 0', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/store/node/server.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, STORE_ID: 'n1', STORE_PORT: String(port), STORE_PEERS: `n1=http://127.0.0.1:${port}`, STORE_DATA_DIR: path.join(makeTempDir('store-parent-'), 'n1') },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    for (let i = 0; i < 300 && !out.includes('listening on http'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('listening on http');
    child.disconnect(); // what the parent's death does to the channel
    expect(await exited).toBe(0);
    expect(out).toContain('n1: the process that started this node is gone: shutting down');
    expect(out).toContain('n1: log flushed; bye');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 60_000);
