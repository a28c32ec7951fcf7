// `npm run raft -- status` (examples/raft/node/cli.ts) finds the nodes where `npm run example:raft` put them:
// RAFT_BASE_PORT moves both (walkthrough finding 9), and a node that does not answer is named with its address
// once. Against one fake node answering GET /status and four closed ports: no cluster needed.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/processes.ts';

const servers: http.Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/raft/node/cli.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, RAFT_PEERS: undefined, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

it('status asks RAFT_BASE_PORT + 1..5, as the runner uses them, and names a silent node by its address once', async () => {
  const status = { id: 'n1', role: 'leader', term: 3, leaderId: 'n1', commitIndex: 9, lastApplied: 9, lastIndex: 9, snapshotIndex: 0, blocked: [] };
  const server = http.createServer((req, res) => res.writeHead(req.url === '/status' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(status)));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = (server.address() as AddressInfo).port - 1;
  const { code, out } = await cli(['status'], { RAFT_BASE_PORT: String(base) });
  expect(out).toMatch(/^n1 +leader +term +3 +leader n1 +commit +9 +applied +9/m);
  for (const i of [2, 3, 4, 5]) expect(out).toContain(`n${i}   down      (http://127.0.0.1:${base + i}: ECONNREFUSED)`);
  expect(out).not.toContain('7401');
  expect(code).toBe(0);
  const bad = await cli(['status'], { RAFT_BASE_PORT: 'abc' });
  expect(bad).toMatchObject({ code: 2, out: expect.stringContaining('RAFT_BASE_PORT must be a whole number from 1 to 65530') });
}, 60_000);
