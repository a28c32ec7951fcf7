// The chat server as a process: how it starts (usage errors, a taken port), what it answers over HTTP
// (/health, /status, the page), how it stops (SIGTERM closes its clients with 1001; a parent that goes away
// stops it), and what it does while the bus is down (health 503, sends refused as "unavailable", and once the
// bus is back the client's resend is stored once and everyone catches up with no gap). Bad frames are
// fuzzed in fuzz.test.ts.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatClient } from '../../examples/chat/node/client.ts';
import { BUS_SCRIPT, SERVER_SCRIPT } from '../../examples/chat/node/topology.ts';
import { freePort, makeTempDir, REPO_ROOT, startScript, stopAll, waitFor } from '../helpers/processes.ts';
import { expectSameGapFreeRooms, restartablePort, settle, startChatCluster, statusOf } from './cluster.ts';

afterAll(() => stopAll());

describe('starting', () => {
  it('says what is wrong with its environment, prints the usage and exits 2', async () => {
    const none = startScript(SERVER_SCRIPT, { CHAT_ID: '', PORT: '', BUS: '' }, 'chat none');
    expect((await none.exited).code).toBe(2);
    expect(none.lines.join('\n')).toMatch(/CHAT_ID is not set[\s\S]*usage: CHAT_ID=s1 PORT=7301 BUS=ws:\/\/127\.0\.0\.1:7300/);
    const badBus = startScript(SERVER_SCRIPT, { CHAT_ID: 's1', PORT: '0', BUS: 'http://x:1' }, 'chat bad bus');
    expect((await badBus.exited).code).toBe(2);
    expect(badBus.lines.join('\n')).toContain('BUS must be ws://host:port (the course bus, e.g. ws://127.0.0.1:7300) or redis://host:port');
    const badPeers = startScript(SERVER_SCRIPT, { CHAT_ID: 's1', PORT: '0', BUS: 'ws://127.0.0.1:1', CHAT_PEERS: '7301,"><b>' }, 'chat bad peers');
    expect((await badPeers.exited).code).toBe(2);
    expect(badPeers.lines.join('\n')).toContain('CHAT_PEERS must list chat servers as the browser reaches them');
  });

  it('names a taken port and the fix, and exits 1', async () => {
    const cluster = await startChatCluster('course', 1);
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const second = startScript(SERVER_SCRIPT, { CHAT_ID: 's9', PORT: String(port), BUS: cluster.bus }, 'chat taken');
      expect((await second.exited).code).toBe(1);
      expect(second.lines.join('\n')).toContain(`s9 cannot listen on 127.0.0.1:${port}: port ${port} is already in use`);
      expect(second.lines.join('\n')).toContain('set PORT to another port');
    } finally {
      blocker.close();
    }
  });
});

describe('HTTP', () => {
  it('answers /health, /status (rooms with members and stream point, presence, the bus) and serves the page', async () => {
    const cluster = await startChatCluster('course', 2);
    const s1 = cluster.server('s1');
    const ada = new ChatClient({ urls: [s1.ws], user: 'ada' });
    const bob = new ChatClient({ urls: [cluster.server('s2').ws], user: 'bob' });
    try {
      ada.join('lobby');
      bob.join('lobby');
      ada.send('lobby', 'one');
      ada.send('lobby', 'two');
      await settle([ada, bob], ['lobby']);
      const health = await fetch(`${s1.http}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true, server: 's1', bus: 'up' });
      await waitFor('s1 knows bob is on s2', async () => ((await statusOf(s1)).presence as Record<string, unknown>).s2 !== undefined);
      const status = await statusOf(s1);
      expect(status).toMatchObject({
        server: 's1',
        connections: 1,
        rooms: { lobby: { members: ['ada'], last: 2 } },
        presence: { s1: { lobby: ['ada'] }, s2: { lobby: ['bob'] } },
        bus: { url: cluster.bus, state: 'up' },
      });
      const page = await fetch(`${s1.http}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      expect(html).toContain('app.js');
      expect(html).toContain('<meta name="chat-peers" content="">'); // a free port, no CHAT_PEERS: only itself
      const js = await fetch(`${s1.http}/app.js`);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect((await js.text()).length).toBeGreaterThan(100);
      expect((await fetch(`${s1.http}/nothing-here`)).status).toBe(404);
    } finally {
      await Promise.all([ada.close(), bob.close()]);
    }
  });
});

describe('stopping', () => {
  it('SIGTERM closes every client with 1001 and exits 0', async () => {
    const cluster = await startChatCluster('course', 1);
    const s1 = cluster.server('s1');
    const ws = new WebSocket(s1.ws);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'hello', user: 'ada', clientId: 'a1' }));
    await new Promise((r) => ws.once('message', r));
    await s1.proc.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect((await s1.proc.exited).code).toBe(0);
    expect(s1.proc.lines.join('\n')).toContain('s1: SIGTERM: closing every client with 1001 and stopping');
  });

  it('stops when the process that started it goes away (its IPC channel closes)', async () => {
    const cluster = await startChatCluster('course', 1);
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER_SCRIPT], {
      cwd: REPO_ROOT,
      env: { ...process.env, CHAT_ID: 's7', PORT: String(port), BUS: cluster.bus },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor('the server listens', () => out.includes('listening on http'));
      child.disconnect();
      expect(await exited).toBe(0);
      expect(out).toContain('s7: the process that started this server is gone');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('the bus goes down and comes back', () => {
  it('health says 503 and sends are refused as unavailable; after it returns the resend is stored once, a client that joined meanwhile catches up, nobody has a gap', async () => {
    const busPort = await restartablePort(); // the bus comes back on it
    const dataDir = path.join(makeTempDir('chat-bus-'), 'bus');
    const startBus = async () => {
      const p = startScript(BUS_SCRIPT, { PORT: String(busPort), DATA_DIR: dataDir }, 'chat bus');
      await p.waitForLine(/chat bus listening/);
      return p;
    };
    let bus = await startBus();
    const ports = [await freePort(), await freePort()];
    const servers = ['s1', 's2'].map((id, i) => startScript(SERVER_SCRIPT, { CHAT_ID: id, PORT: String(ports[i]), BUS: `ws://127.0.0.1:${busPort}` }, `chat ${id}`));
    await Promise.all(servers.map((s) => s.waitForLine(/listening on http/)));
    const [u1, u2] = ports.map((p) => `ws://127.0.0.1:${p}/ws`) as [string, string];
    const ada = new ChatClient({ urls: [u1], user: 'ada' });
    const bob = new ChatClient({ urls: [u2], user: 'bob' });
    const others: ChatClient[] = [];
    try {
      for (const c of [ada, bob]) c.join('lobby');
      ada.send('lobby', 'before');
      await settle([ada, bob], ['lobby']);

      await bus.kill('SIGKILL');
      await waitFor('s1 reports the bus down', async () => (await fetch(`http://127.0.0.1:${ports[0]}/health`)).status === 503);
      ada.send('lobby', 'while the bus is down');
      bob.send('lobby', 'bob too');
      await waitFor('the sends are refused as unavailable', () => ada.errors.some((e) => e.code === 'unavailable') && bob.errors.some((e) => e.code === 'unavailable'));
      expect(ada.unconfirmed() + bob.unconfirmed()).toBe(2);
      // Someone joins while the bus is down: its first read fails, and it must still catch up later.
      const carol = new ChatClient({ urls: [u2], user: 'carol' });
      carol.join('lobby');
      others.push(carol);
      await waitFor('carol is welcomed', () => carol.server === 's2');

      bus = await startBus();
      await waitFor('s1 healthy again', async () => (await fetch(`http://127.0.0.1:${ports[0]}/health`)).status === 200);
      ada.send('lobby', 'after');
      const expected = await settle([ada, bob, ...others], ['lobby'], 30_000);
      expect(expected).toEqual({ lobby: 4 });
      expectSameGapFreeRooms([ada, bob, ...others], ['lobby']);
      expect(ada.shown('lobby').map((m) => m.text)).toContain('while the bus is down');
    } finally {
      await Promise.all([ada, bob, ...others].map((c) => c.close()));
    }
  });
});

describe('a client ahead of the bus (its history started over)', () => {
  it('is told the room’s real newest seq in caught-up, not its own after', async () => {
    const cluster = await startChatCluster('course', 1);
    const s1 = cluster.server('s1');
    const ws = new WebSocket(s1.ws);
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    await new Promise((r) => ws.on('open', r));
    try {
      ws.send(JSON.stringify({ type: 'hello', user: 'ada', clientId: 'a1' }));
      ws.send(JSON.stringify({ type: 'join', room: 'fresh' }));
      for (const id of [1, 2]) ws.send(JSON.stringify({ type: 'send', room: 'fresh', id, text: `m${id}` }));
      await waitFor('both sent', () => frames.filter((f) => f.type === 'sent').length === 2);
      // A second tab that had shown seq 35 of this room in an earlier run resumes after 35.
      const old = new WebSocket(s1.ws);
      const got: Record<string, unknown>[] = [];
      old.on('message', (data) => got.push(JSON.parse(String(data)) as Record<string, unknown>));
      await new Promise((r) => old.on('open', r));
      old.send(JSON.stringify({ type: 'hello', user: 'bob', clientId: 'b1' }));
      old.send(JSON.stringify({ type: 'join', room: 'fresh', after: 35 }));
      await waitFor('caught up', () => got.some((f) => f.type === 'caught-up'));
      expect(got.find((f) => f.type === 'caught-up')).toEqual({ type: 'caught-up', room: 'fresh', seq: 2 });
      // Joined afresh, it gets the room from the start.
      old.send(JSON.stringify({ type: 'join', room: 'fresh', after: 0 }));
      await waitFor('the room again', () => got.filter((f) => f.type === 'caught-up').length === 2);
      expect(got.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual([1, 2]);
      old.close();
    } finally {
      ws.close();
    }
  });
});

describe('a client that lets our frames pile up unread', () => {
  it('is closed as a slow consumer once more than CHAT_MAX_BUFFERED_BYTES are unread, before the core’s frame limit', async () => {
    // A limit of 256 KiB: ~120 frames of ~2 KB, far below the core's limit of 1,000 queued frames, so only the
    // byte limit can be the one that cuts the stuck client off. (No WebSocket pings: it could answer none.)
    const cluster = await startChatCluster('course', 1, { CHAT_WS_PING_MS: '600000', CHAT_MAX_BUFFERED_BYTES: String(256 * 1024) });
    const s1 = cluster.server('s1');
    const stuck = await stuckClient(s1.port, 'heavy');
    const senders = await Promise.all(Array.from({ length: 10 }, (_, i) => countingSender(s1.ws, 'heavy', i)));
    const text = 'x'.repeat(2000);
    let next = 1;
    const timer = setInterval(() => {
      for (const x of senders) x.ws.send(JSON.stringify({ type: 'send', room: 'heavy', id: next, text }));
      next++;
    }, 1000 / 15);
    try {
      await waitFor('stuck is cut off', () => s1.proc.lines.some((l) => /closing client c1 \(4008: slow consumer/.test(l)), 90_000, 200);
      const line = s1.proc.lines.find((l) => /closing client c1 \(4008/.test(l))!;
      expect(line).toContain(`more than ${256 * 1024} bytes unread`);
      await waitFor('it left the room', async () => !((await statusOf(s1)).rooms as Record<string, { members: string[] }>).heavy!.members.includes('stuck'));
      expect(senders.map((x) => x.closed)).toEqual(Array(10).fill(null));
    } finally {
      clearInterval(timer);
      stuck.destroy();
      for (const x of senders) x.ws.terminate();
    }
  }, 120_000);
});

async function countingSender(url: string, room: string, i: number): Promise<{ ws: WebSocket; closed: number | null }> {
  const ws = new WebSocket(url);
  const x = { ws, closed: null as number | null };
  ws.on('close', (code) => (x.closed = code));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'hello', user: `sender${i}`, clientId: `sender${i}` }));
  ws.send(JSON.stringify({ type: 'join', room, after: 0 }));
  return x;
}

/** A WebSocket client by hand that says hello, joins `room`, and then never reads another byte. */
async function stuckClient(port: number, room: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise<void>((resolve) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
  });
  for (const frame of [{ type: 'hello', user: 'stuck', clientId: 'stuck' }, { type: 'join', room, after: 0 }]) {
    const payload = Buffer.from(JSON.stringify(frame));
    const mask = crypto.randomBytes(4);
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, j) => b ^ mask[j % 4]!))]));
  }
  return socket;
}
