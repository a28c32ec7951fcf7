// The Node chat client (examples/chat/node/client.ts) against scripted fake servers in this process, so each
// duty is checked exactly: hello first; joins with `after` = the last seq shown; after a reconnect (to the next
// server in its list) it rejoins from there and resends every unconfirmed send with the same id; it shows
// duplicates and early messages once, in order; it keeps under the server's rate limit; it gives up on a
// server that stops answering.

import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage, ClientFrame, ServerFrame } from '../../examples/chat/core/types.ts';
import { defaultLimits } from '../../examples/chat/core/types.ts';
import { ChatClient } from '../../examples/chat/node/client.ts';
import { waitFor } from '../helpers/processes.ts';

interface Fake {
  url: string;
  frames: { conn: number; frame: ClientFrame; at: number }[];
  sockets: WebSocket[];
  send(conn: number, frame: ServerFrame): void;
  close(): Promise<void>;
}

const fakes: Fake[] = [];
const clients: ChatClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

/** A server that records every frame, welcomes a hello, and otherwise does only what the test tells it. */
async function fake(name: string, options: { limits?: Partial<typeof defaultLimits>; pong?: boolean } = {}): Promise<Fake> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  const f: Fake = {
    url: `ws://127.0.0.1:${port}/ws`,
    frames: [],
    sockets: [],
    send: (conn, frame) => f.sockets[conn]!.send(JSON.stringify(frame)),
    close: () => {
      for (const ws of f.sockets) ws.terminate();
      return new Promise((r) => wss.close(() => r()));
    },
  };
  wss.on('connection', (ws) => {
    const conn = f.sockets.push(ws) - 1;
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ClientFrame;
      f.frames.push({ conn, frame, at: Date.now() });
      if (frame.type === 'hello') f.send(conn, { type: 'welcome', server: name, user: frame.user, limits: { ...defaultLimits, ...options.limits }, clientTimeoutMs: 15_000 });
      if (frame.type === 'ping' && options.pong !== false) f.send(conn, { type: 'pong' });
    });
  });
  fakes.push(f);
  return f;
}

function client(urls: string[], extra: Partial<ConstructorParameters<typeof ChatClient>[0]> = {}): ChatClient {
  const c = new ChatClient({ urls, user: 'ada', clientId: 'ada-1', seed: 1, backoffFirstMs: 20, ...extra });
  clients.push(c);
  return c;
}

const msg = (seq: number, id = seq): ServerFrame => ({ type: 'message', room: 'lobby', seq, from: 'bob', text: `m${seq}`, clientId: 'bob-1', id });
const framesOf = (f: Fake, conn: number) => f.frames.filter((x) => x.conn === conn).map((x) => x.frame);

describe('ChatClient', () => {
  it('says hello first, joins from seq 0, and after a reconnect to the next server rejoins from the last seq shown and resends what was not confirmed, same ids', async () => {
    const a = await fake('s1');
    const b = await fake('s2');
    const c = client([a.url, b.url]);
    c.join('lobby');
    await waitFor('a join on s1', () => a.frames.some((x) => x.frame.type === 'join'));
    expect(framesOf(a, 0).slice(0, 2)).toEqual([{ type: 'hello', user: 'ada', clientId: 'ada-1' }, { type: 'join', room: 'lobby', after: 0 }]);
    a.send(0, msg(1));
    a.send(0, msg(2));
    a.send(0, { type: 'caught-up', room: 'lobby', seq: 2 });
    const first = c.send('lobby', 'one');
    const second = c.send('lobby', 'two');
    await waitFor('both sends reach s1', () => framesOf(a, 0).filter((f) => f.type === 'send').length === 2);
    a.send(0, { type: 'sent', room: 'lobby', id: first, seq: 3 });
    await waitFor('the first is confirmed', () => c.unconfirmed() === 1);

    a.sockets[0]!.terminate(); // s1 dies
    await waitFor('the client is welcomed by s2', () => c.server === 's2');
    await waitFor('rejoin and resend on s2', () => framesOf(b, 0).length >= 3);
    expect(framesOf(b, 0).slice(0, 3)).toEqual([
      { type: 'hello', user: 'ada', clientId: 'ada-1' },
      { type: 'join', room: 'lobby', after: 2 },
      { type: 'send', room: 'lobby', id: second, text: 'two' },
    ]);
    expect(c.connections).toBe(2);
  });

  it('shows each message once and in seq order, whatever order and however often they come', async () => {
    const a = await fake('s1');
    const c = client([a.url]);
    c.join('lobby');
    await waitFor('joined', () => a.frames.some((x) => x.frame.type === 'join'));
    for (const seq of [1, 3, 2, 2, 1, 4, 3]) a.send(0, msg(seq));
    a.send(0, { type: 'caught-up', room: 'lobby', seq: 4 });
    await waitFor('caught up', () => c.isCaughtUp('lobby'));
    expect(c.seqs('lobby')).toEqual([1, 2, 3, 4]);
    expect(c.shown('lobby').map((m: ChatMessage) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4']);
    // A gap while live: the client asks for what is missing after the last seq it showed.
    a.send(0, msg(7));
    await waitFor('a rejoin from 4', () => framesOf(a, 0).some((f) => f.type === 'join' && f.after === 4));
    a.send(0, { type: 'gap', room: 'lobby', from: 5, to: 5 });
    a.send(0, msg(6));
    await waitFor('6 and 7 shown', () => c.seqs('lobby').length === 6);
    expect(c.seqs('lobby')).toEqual([1, 2, 3, 4, 6, 7]);
    expect(c.lost('lobby')).toEqual([{ from: 5, to: 5 }]);
  });

  it("keeps under the server's rate limit (the limits come in welcome)", async () => {
    const a = await fake('s1', { limits: { ratePerSecond: 20, rateBurst: 6 } });
    const c = client([a.url]);
    c.join('lobby');
    for (let i = 0; i < 30; i++) c.send('lobby', `flood ${i}`);
    await waitFor('all 30 sent', () => framesOf(a, 0).filter((f) => f.type === 'send').length === 30, 20_000);
    // Replay the server's token bucket over the arrival times: no frame would have been refused.
    let tokens = 6;
    let last = a.frames[0]!.at;
    for (const { at } of a.frames) {
      tokens = Math.min(6, tokens + ((at - last) * 20) / 1000);
      last = at;
      expect(tokens, 'a token was there for every frame').toBeGreaterThanOrEqual(1);
      tokens -= 1;
    }
  });

  it('gives up on a server that stops answering (no pong, no close) and goes to the next', async () => {
    const silent = await fake('s1', { pong: false });
    const b = await fake('s2');
    const c = client([silent.url, b.url], { pingMs: 100 });
    await waitFor('welcomed by s1', () => c.server === 's1');
    await waitFor('moved to s2', () => c.server === 's2', 10_000);
  });
});
