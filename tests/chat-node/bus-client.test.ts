// The course bus's client against fake buses that misbehave on purpose: one that never answers, one that
// hangs up on every request, one that answers nonsense, and no bus at all. A chat server must get a clear
// error in each case and never a request that hangs forever.

import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { connectBus, type Bus, type BusHandlers } from '../../examples/chat/node/bus.ts';
import { freePort, waitFor } from '../helpers/processes.ts';

const draft = { room: 'r', from: 'ann', text: 'hi', clientId: 'c1', id: 1 };

let servers: WebSocketServer[] = [];
let buses: Bus[] = [];
afterEach(async () => {
  await Promise.all(buses.map((b) => b.close()));
  for (const s of servers) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
  servers = [];
  buses = [];
});

/** A fake bus on a free port that does `onFrame` with each frame it gets. */
async function fakeBus(onFrame: (ws: WebSocket, frame: Record<string, unknown>) => void): Promise<{ url: string; server: WebSocketServer }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) => ws.on('message', (data) => onFrame(ws, JSON.parse(data.toString()) as Record<string, unknown>)));
  const address = server.address();
  return { url: `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, server };
}

function recorder() {
  const seen = { ups: 0, downs: [] as string[], messages: 0 };
  const handlers: BusHandlers = {
    message: () => seen.messages++,
    beat: () => {},
    up: () => seen.ups++,
    down: (reason) => seen.downs.push(reason),
  };
  return { seen, handlers };
}

describe('course bus client', () => {
  it('rejects a request the bus never answers, with a clear timeout error', async () => {
    const { url } = await fakeBus(() => {});
    const bus = await connectBus(url, { requestTimeoutMs: 300 });
    buses.push(bus);
    await expect(bus.append(draft)).rejects.toThrow(/did not answer the append within 300 ms; it may or may not have been done/);
    await expect(bus.read('r', 0, 10)).rejects.toThrow(/did not answer the read of r within 300 ms/);
  });

  it('rejects requests in flight when the connection drops, says down, reconnects and says up', async () => {
    let hangUp = true;
    const { url } = await fakeBus((ws, frame) => {
      if (hangUp) return ws.terminate();
      ws.send(JSON.stringify({ type: 'page', rid: frame.rid, page: { room: 'r', messages: [], oldest: 1, last: 0 } }));
    });
    const bus = await connectBus(url, { requestTimeoutMs: 30_000 });
    buses.push(bus);
    const { seen, handlers } = recorder();
    bus.subscribe(handlers);
    await waitFor('up', () => seen.ups === 1);
    await expect(bus.append(draft)).rejects.toThrow(/append: the connection to the bus at .* was lost/);
    expect(seen.downs).toHaveLength(1);
    await waitFor('the client to reconnect', () => seen.ups === 2);
    hangUp = false;
    expect(await bus.read('r', 0, 10)).toEqual({ room: 'r', messages: [], oldest: 1, last: 0 });
  });

  it('rejects at once while down instead of waiting', async () => {
    const { url, server } = await fakeBus(() => {});
    const bus = await connectBus(url, { requestTimeoutMs: 30_000 });
    buses.push(bus);
    const { seen, handlers } = recorder();
    bus.subscribe(handlers);
    for (const c of server.clients) c.terminate();
    await new Promise((r) => server.close(r)); // and it does not come back
    await waitFor('down', () => seen.downs.length === 1);
    await expect(bus.append(draft)).rejects.toThrow(/bus unavailable: not connected to ws:/);
  });

  it('rejects a request whose answer is malformed, refuses an error answer, and ignores stray garbage', async () => {
    const warnings: string[] = [];
    const { url } = await fakeBus((ws, frame) => {
      ws.send('not json at all');
      ws.send(JSON.stringify({ type: 'message', message: { room: 'r', seq: 'one' } }));
      if (frame.type === 'append') ws.send(JSON.stringify({ type: 'appended', rid: frame.rid, message: { nonsense: true }, duplicate: false }));
      else ws.send(JSON.stringify({ type: 'error', rid: frame.rid, message: 'no such thing' }));
    });
    const bus = await connectBus(url, { warn: (l) => warnings.push(l) });
    buses.push(bus);
    const { seen, handlers } = recorder();
    bus.subscribe(handlers);
    await expect(bus.append(draft)).rejects.toThrow(/malformed answer to the append/);
    await expect(bus.read('r', 0, 1)).rejects.toThrow(/the bus refused the read of r: no such thing/);
    expect(warnings.filter((w) => /malformed frame/.test(w)).length).toBeGreaterThanOrEqual(4);
    expect(seen.messages).toBe(0);
  });

  it('gives up connecting with an error that says where it looked', async () => {
    const port = await freePort();
    await expect(connectBus(`ws://127.0.0.1:${port}`, { connectTimeoutMs: 500 })).rejects.toThrow(
      new RegExp(`cannot reach the course bus at ws://127\\.0\\.0\\.1:${port} within 500 ms`),
    );
  });

  it('refuses a URL it has no adapter for', async () => {
    await expect(connectBus('http://127.0.0.1:7300')).rejects.toThrow(/unknown bus URL "http:\/\/127\.0\.0\.1:7300": use ws:\/\/host:port .* or redis:\/\/host:port/);
    await expect(connectBus('localhost:7300')).rejects.toThrow(/unknown bus URL/);
  });
});
