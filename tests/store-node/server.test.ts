// The store node as a program: usage errors, a taken port, a data directory in use, a corrupt log, clean
// shutdown on SIGTERM/SIGINT, and a log compacted while it runs that still replays to everything acknowledged.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStoreClient } from '../../examples/store/node/client.ts';
import { segmentFileName } from '../../examples/store/node/storage.ts';
import { freePort, makeTempDir, startScript, stopAll } from '../helpers/processes.ts';
import { FAST, SERVER, until } from './cluster.ts';

afterEach(stopAll);

/** A one-node cluster: it is its own majority, so it serves strong requests alone. */
async function soloEnv(): Promise<Record<string, string>> {
  const port = await freePort();
  return { STORE_ID: 'n1', STORE_PORT: String(port), STORE_PEERS: `n1=http://127.0.0.1:${port}`, STORE_DATA_DIR: makeTempDir('store-server-'), ...FAST };
}

describe('the store node program', () => {
  it('explains bad configuration and exits with status 2', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ STORE_ID: '' }, /STORE_ID is not set/],
      [{ STORE_ID: 'N1' }, /STORE_ID "N1" is not a node name/],
      [{ STORE_ID: 'n1', STORE_PORT: 'x' }, /STORE_PORT must be a port number from 0 to 65535, got "x"/],
      [{ STORE_ID: 'n1', STORE_PORT: '7101', STORE_PEERS: 'n2=http://127.0.0.1:7102' }, /STORE_PEERS must list this node too/],
      [{ STORE_ID: 'n1', STORE_PORT: '7101', STORE_PEERS: 'n1=127.0.0.1:7101' }, /STORE_PEERS: n1 needs an http:\/\/ URL/],
      [{ STORE_ID: 'n1', STORE_PORT: '7101', STORE_PEERS: 'n1=http://h:1', STORE_HEARTBEAT_MS: '900', STORE_ELECTION_TIMEOUT_MS: '500' }, /must be shorter than/],
    ];
    await Promise.all(
      cases.map(async ([env, message]) => {
        const proc = startScript(SERVER, { STORE_ID: '', STORE_PORT: '', STORE_PEERS: '', ...env }, 'bad config');
        expect(await proc.exited).toEqual({ code: 2, signal: null });
        expect(proc.lines.join('\n')).toMatch(message);
        expect(proc.lines.join('\n')).toMatch(/usage: STORE_ID=n1/);
      }),
    );
  });

  it('refuses a taken port and a data directory in use, clearly, with status 1', async () => {
    const env = await soloEnv();
    const first = startScript(SERVER, env, 'first');
    await first.waitForLine(/listening on/);
    const samePort = startScript(SERVER, { ...env, STORE_DATA_DIR: makeTempDir('store-server-') }, 'same port');
    expect((await samePort.exited).code).toBe(1);
    expect(samePort.lines.join('\n')).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the port is already in use/);
    const sameDir = startScript(SERVER, { ...env, STORE_PORT: '0' }, 'same dir');
    expect((await sameDir.exited).code).toBe(1);
    expect(sameDir.lines.join('\n')).toMatch(/another store node \(pid \d+\) is using .*; stop it or set STORE_DATA_DIR/);
    expect(first.running()).toBe(true);
  });

  it('shuts down cleanly on SIGTERM and SIGINT, keeping what it acknowledged', async () => {
    const env = await soloEnv();
    const client = createStoreClient(`http://127.0.0.1:${env.STORE_PORT}`);
    let proc = startScript(SERVER, env, 'solo');
    await proc.waitForLine(/listening on/);
    await until('a strong write', () => client.put('k', 'v1'), (a) => a.kind === 'ok');
    expect(await proc.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(proc.lines.join('\n')).toMatch(/SIGTERM: shutting down/);
    proc = startScript(SERVER, env, 'solo again');
    await proc.waitForLine(/recovered .*\b1 strong keys?\b/);
    await proc.waitForLine(/listening on/);
    expect((await until('a strong read', () => client.get('k'), (a) => a.kind === 'ok')).values).toEqual(['v1']);
    expect(await proc.kill('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('refuses to start on a log with a corrupt line in the middle', async () => {
    const env = await soloEnv();
    const good = JSON.stringify({ kind: 'store', key: 'a', stored: { siblings: [], context: {} } });
    fs.mkdirSync(env.STORE_DATA_DIR!, { recursive: true });
    fs.writeFileSync(path.join(env.STORE_DATA_DIR!, segmentFileName(1)), `${good}\nnot json\n${good}\n`);
    const proc = startScript(SERVER, env, 'corrupt');
    expect((await proc.exited).code).toBe(1);
    expect(proc.lines.join('\n')).toMatch(/store node cannot start: .*line 2 is unreadable but later lines are fine; the log is corrupt, refusing to start/);
  });

  it('compacts its log while running and comes back with every acknowledged write after kill -9', async () => {
    const env: Record<string, string> = { ...(await soloEnv()), STORE_COMPACT_BYTES: '4000' };
    const client = createStoreClient(`http://127.0.0.1:${env.STORE_PORT}`);
    let proc = startScript(SERVER, env, 'compacting');
    await proc.waitForLine(/listening on/);
    await until('a first write', () => client.put('k0', 'v'), (a) => a.kind === 'ok');
    for (let i = 0; i < 60; i++) expect((await client.put(`k${i % 20}`, `v${i}`)).kind).toBe('ok');
    const status = await client.status();
    expect((status as unknown as { log: { compactions: number } }).log.compactions).toBeGreaterThan(0);
    expect(fs.readdirSync(env.STORE_DATA_DIR!).some((f) => /^snapshot-\d+\.json$/.test(f))).toBe(true);
    await proc.kill('SIGKILL');
    proc = startScript(SERVER, env, 'compacting again');
    await proc.waitForLine(/listening on/);
    for (let i = 40; i < 60; i++) {
      expect((await until(`k${i % 20}`, () => client.get(`k${i % 20}`), (a) => a.kind === 'ok')).values).toEqual([`v${i}`]);
    }
  });

  it('answers a request its HTTP parser cannot read with a JSON 400', async () => {
    const env = await soloEnv();
    const proc = startScript(SERVER, env, 'parser');
    await proc.waitForLine(/listening on/);
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      const socket = net.connect(Number(env.STORE_PORT), '127.0.0.1', () => socket.write('GET /status HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n'));
      socket.on('data', (d) => (got += d.toString()));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'the HTTP request could not be parsed (HPE_INVALID_HEADER_TOKEN)' });
    expect(proc.running()).toBe(true);
  });
});
