// Real chat clusters for the integration tests: a bus (the course bus with a data directory, or a throwaway
// redis-server) and chat servers s1..sN, each a `node --import tsx examples/chat/node/server.ts` process on a
// free port with short presence timings, plus the checks every test makes of what the clients showed.
// Processes and directories are cleaned up by stopAll() (tests/helpers/processes.ts).

import net from 'node:net';
import path from 'node:path';
import { expect } from 'vitest';
import { ChatClient } from '../../examples/chat/node/client.ts';
import { BUS_SCRIPT, SERVER_SCRIPT } from '../../examples/chat/node/topology.ts';
import { freePort, makeTempDir, startScript, waitFor, type Proc } from '../helpers/processes.ts';
import { startRedis } from '../helpers/redis.ts';

export type BusKind = 'course' | 'redis';

/** Presence and timeouts within a second or two, so the tests wait for things that come quickly. */
export const FAST: Record<string, string> = { CHAT_BEAT_MS: '200', CHAT_PRESENCE_TIMEOUT_MS: '1500', CHAT_WS_PING_MS: '2000' };

export interface TestServer {
  id: string;
  port: number;
  ws: string;
  http: string;
  env: Record<string, string>;
  proc: Proc;
}

export interface ChatCluster {
  bus: string;
  servers: TestServer[];
  server(id: string): TestServer;
  /** Starts (or restarts) a server on its port, and waits until it listens. */
  start(id: string): Promise<TestServer>;
  kill(id: string, signal?: NodeJS.Signals): Promise<void>;
}

export async function startChatCluster(kind: BusKind, count = 2, extraEnv: Record<string, string> = {}): Promise<ChatCluster> {
  let bus: string;
  if (kind === 'redis') {
    bus = (await startRedis()).url;
  } else {
    const port = await freePort();
    const proc = startScript(BUS_SCRIPT, { PORT: String(port), DATA_DIR: path.join(makeTempDir('chat-test-'), 'bus') }, 'chat bus');
    await proc.waitForLine(/chat bus listening on ws:/, 30_000);
    bus = `ws://127.0.0.1:${port}`;
  }
  const ids = Array.from({ length: count }, (_, i) => `s${i + 1}`);
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await restartablePort(ports));
  const servers: TestServer[] = ids.map((id, i) => ({
    id,
    port: ports[i]!,
    ws: `ws://127.0.0.1:${ports[i]}/ws`,
    http: `http://127.0.0.1:${ports[i]}`,
    env: { CHAT_ID: id, PORT: String(ports[i]), BUS: bus, ...FAST, ...extraEnv },
    proc: null as unknown as Proc,
  }));
  const server = (id: string) => servers.find((s) => s.id === id) ?? fail(`no server ${id}`);
  const cluster: ChatCluster = {
    bus,
    servers,
    server,
    async start(id) {
      const s = server(id);
      s.proc = startScript(SERVER_SCRIPT, s.env, `chat ${id}`);
      await s.proc.waitForLine(/chat server \S+ listening on http/, 30_000);
      return s;
    },
    async kill(id, signal = 'SIGKILL') {
      await server(id).proc.kill(signal);
    },
  };
  await Promise.all(ids.map((id) => cluster.start(id)));
  return cluster;
}

/**
 * A free port for a server the test will kill and start again on the same port. Not one the OS hands out to
 * outgoing connections (Linux: 32768-60999), or some client's socket could be sitting on it when the server
 * comes back, and the restart would fail with EADDRINUSE.
 */
export async function restartablePort(taken: number[] = []): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.includes(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function fail(message: string): never {
  throw new Error(message);
}

export async function statusOf(server: TestServer): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.http}/status`);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Waits until every client has every send confirmed, and shows in each room exactly as many messages as were
 * confirmed there (the rooms' only writers are these clients), caught up. Then the real checks follow.
 */
export async function settle(clients: ChatClient[], rooms: string[], timeoutMs = 60_000): Promise<Record<string, number>> {
  const expected: Record<string, number> = {};
  await waitFor(
    'every send confirmed and every client caught up with every room',
    () => {
      if (clients.some((c) => c.unconfirmed() > 0)) return false;
      for (const room of rooms) expected[room] = confirmedIn(clients, room).size;
      return clients.every((c) => rooms.every((room) => c.isCaughtUp(room) && c.seqs(room).length >= expected[room]!));
    },
    timeoutMs,
    100,
  ).catch((err: Error) => {
    const state = clients.map((c) => `${c.user}@${c.server ?? c.state}: unconfirmed ${c.unconfirmed()}, ${rooms.map((r) => `${r} ${c.seqs(r).length}${c.isCaughtUp(r) ? '' : '(not caught up)'}`).join(' ')}`);
    throw new Error(`${err.message}\n  expected ${JSON.stringify(expected)}\n  ${state.join('\n  ')}`);
  });
  return expected;
}

/** Every confirmed send in `room`, as "clientId/id" -> seq. */
export function confirmedIn(clients: ChatClient[], room: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of clients) for (const ack of c.acks.values()) if (ack.room === room) out.set(`${c.clientId}/${ack.id}`, ack.seq);
  return out;
}

/**
 * The guarantee: in every room every client shows the same messages in the same order, seq 1..N with no gap
 * and no duplicate, and every confirmed send appears in it exactly once, at the seq it was confirmed with.
 */
export function expectSameGapFreeRooms(clients: ChatClient[], rooms: string[]): void {
  for (const room of rooms) {
    const acked = confirmedIn(clients, room);
    const n = acked.size;
    const reference = clients[0]!.shown(room);
    expect(reference.map((m) => m.seq), `${room}: ${clients[0]!.user} shows 1..${n}`).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    for (const c of clients.slice(1)) {
      expect(c.shown(room), `${room}: ${c.user} shows exactly what ${clients[0]!.user} shows`).toEqual(reference);
    }
    const bySender = new Map<string, number[]>();
    for (const m of reference) bySender.set(`${m.clientId}/${m.id}`, [...(bySender.get(`${m.clientId}/${m.id}`) ?? []), m.seq]);
    for (const [key, seq] of acked) expect(bySender.get(key), `${room}: confirmed send ${key} appears once, at seq ${seq}`).toEqual([seq]);
    expect(bySender.size, `${room}: every message shown is a confirmed send, none twice`).toBe(n);
  }
  // Only cuts (1006) and a server's shutdown (1001): no client was timed out (4000), dropped as a slow consumer
  // (4008: its socket takes our frames, so the server must count them out of its queue) or closed for flooding.
  for (const c of clients) {
    expect(c.closes.filter((x) => x.code !== 1006 && x.code !== 1001), `${c.user} was not closed by a server`).toEqual([]);
  }
}
