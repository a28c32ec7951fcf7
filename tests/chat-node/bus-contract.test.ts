// One contract for the chat bus, run against both adapters: the course bus (bus-server.ts as a real child
// process, reached through bus-client.ts) and Redis (redis-bus.ts against a throwaway redis-server). A chat
// server may be given either; whatever it relies on is checked here, the same way, for both.
//
// After the contract, what only the course bus has: its disk (kill -9, restart, history and resend memory
// still there; a torn last line; compaction), its process behaviour (usage errors, a taken port, a parent
// that goes away) and its answers to malformed frames.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, type Bus, type BusHandlers } from '../../examples/chat/node/bus.ts';
import type { ChatMessage, Draft, PresenceBeat } from '../../examples/chat/core/types.ts';
import { freePort, makeTempDir, REPO_ROOT, startScript, stopAll, waitFor, type Proc } from '../helpers/processes.ts';
import { REDIS_MISSING, redisAvailable, startRedis, type RedisHandle } from '../helpers/redis.ts';

const HISTORY_LIMIT = 50;
const BUS_SCRIPT = 'examples/chat/node/bus-server.ts';

/** What the contract needs from an adapter's test setup. */
interface Target {
  connect(warn?: (line: string) => void): Promise<Bus>;
  /** Puts something malformed on the bus's wire and checks it was refused (`warnings`: what our client dropped). */
  garbage(warnings: string[]): Promise<void>;
}

/** Everything one subscriber saw, in order. */
class Recorder implements BusHandlers {
  messages: ChatMessage[] = [];
  beats: PresenceBeat[] = [];
  ups = 0;
  downs: string[] = [];
  message(m: ChatMessage) {
    this.messages.push(m);
  }
  beat(b: PresenceBeat) {
    this.beats.push(b);
  }
  up() {
    this.ups++;
  }
  down(reason: string) {
    this.downs.push(reason);
  }
  inRoom(room: string): number[] {
    return this.messages.filter((m) => m.room === room).map((m) => m.seq);
  }
}

let roomCounter = 0;
/** A room no other test used (both buses live for the whole file). */
const freshRoom = (name: string) => `${name}-${process.pid % 1000}-${++roomCounter}`;
const draft = (room: string, clientId: string, id: number, text = `${clientId} #${id}`): Draft => ({ room, from: clientId, text, clientId, id });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// #region contract
function busContract(name: string, target: () => Target) {
  describe(`bus contract: ${name}`, () => {
    const opened: Bus[] = [];
    const connect = async (warn?: (line: string) => void) => {
      const bus = await target().connect(warn);
      opened.push(bus);
      return bus;
    };
    afterAll(async () => {
      await Promise.all(opened.map((b) => b.close()));
    });

    it('numbers each room 1..n with no gap and no duplicate while two servers append at once', async () => {
      const [s1, s2] = [await connect(), await connect()];
      const rooms = [freshRoom('a'), freshRoom('b'), freshRoom('c')];
      const perClientPerRoom = 15;
      const jobs: Promise<{ message: ChatMessage; duplicate: boolean }>[] = [];
      for (let i = 1; i <= perClientPerRoom; i++) {
        for (const room of rooms) {
          jobs.push(s1.append(draft(room, 'one', jobs.length + 1)));
          jobs.push(s2.append(draft(room, 'two', jobs.length + 1)));
        }
      }
      const results = await Promise.all(jobs);
      expect(results.every((r) => !r.duplicate)).toBe(true);
      for (const room of rooms) {
        const seqs = results.filter((r) => r.message.room === room).map((r) => r.message.seq);
        expect(seqs.sort((a, b) => a - b)).toEqual(range(1, 2 * perClientPerRoom));
        const page = await s1.read(room, 0, 1000);
        expect(page.messages.map((m) => m.seq)).toEqual(range(1, 2 * perClientPerRoom));
        // The stored message is the one the appender was told about, seq for seq.
        for (const m of page.messages) expect(results.find((r) => r.message.room === room && r.message.seq === m.seq)!.message).toEqual(m);
      }
    });

    it('gives a resend (same clientId and id) the seq it already had, and publishes it only once', async () => {
      const [bus, watcher] = [await connect(), await connect()];
      const seen = new Recorder();
      watcher.subscribe(seen);
      const room = freshRoom('dedupe');
      const first = await bus.append(draft(room, 'alice', 1, 'hello'));
      const again = await bus.append(draft(room, 'alice', 1, 'hello'));
      const fromOtherServer = await watcher.append(draft(room, 'alice', 1, 'hello'));
      const otherClient = await bus.append(draft(room, 'bob', 1, 'hello'));
      expect(first).toEqual({ message: { ...draft(room, 'alice', 1, 'hello'), seq: 1 }, duplicate: false });
      expect(again).toEqual({ message: first.message, duplicate: true });
      expect(fromOtherServer).toEqual({ message: first.message, duplicate: true });
      expect(otherClient).toEqual({ message: { ...draft(room, 'bob', 1, 'hello'), seq: 2 }, duplicate: false });
      const marker = await bus.append(draft(room, 'alice', 2, 'marker'));
      await waitFor('the marker to arrive live', () => seen.inRoom(room).includes(marker.message.seq));
      expect(seen.inRoom(room)).toEqual([1, 2, 3]);
      expect((await bus.read(room, 0, 10)).messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    });

    it('reads after a seq, at most limit, and says the oldest kept and the last seq', async () => {
      const bus = await connect();
      const room = freshRoom('read');
      for (let id = 1; id <= 7; id++) await bus.append(draft(room, 'reader', id));
      const seqs = async (after: number, limit: number) => {
        const page = await bus.read(room, after, limit);
        expect(page).toMatchObject({ room, oldest: 1, last: 7 });
        expect(page.messages.every((m) => m.room === room)).toBe(true);
        return page.messages.map((m) => m.seq);
      };
      expect(await seqs(0, 3)).toEqual([1, 2, 3]);
      expect(await seqs(0, 100)).toEqual(range(1, 7));
      expect(await seqs(5, 10)).toEqual([6, 7]);
      expect(await seqs(3, 1)).toEqual([4]);
      expect(await seqs(7, 10)).toEqual([]);
      expect(await seqs(100, 10)).toEqual([]);
      expect((await bus.read(room, 2, 1)).messages[0]).toEqual({ ...draft(room, 'reader', 3), seq: 3 });
      expect(await bus.read(freshRoom('empty'), 0, 10)).toMatchObject({ messages: [], oldest: 1, last: 0 });
      await expect(bus.read('Not A Room', 0, 10)).rejects.toThrow(/room/);
      await expect(bus.read(room, -1, 10)).rejects.toThrow(/after/);
      await expect(bus.read(room, 0, 0)).rejects.toThrow(/limit/);
    });

    it(`keeps the newest ${HISTORY_LIMIT} messages of a room (history is bounded) and says where it starts`, async () => {
      const bus = await connect();
      const room = freshRoom('bound');
      const total = HISTORY_LIMIT + 10;
      for (let id = 1; id <= total; id++) await bus.append(draft(room, 'busy', id));
      const all = await bus.read(room, 0, 1000);
      expect(all.messages.map((m) => m.seq)).toEqual(range(11, total));
      expect(all).toMatchObject({ oldest: 11, last: total });
      // Asking from before the oldest kept gives what is kept; the caller sees oldest > after + 1: a gap.
      expect((await bus.read(room, 3, 5)).messages.map((m) => m.seq)).toEqual(range(11, 15));
      // Another room is not affected.
      const other = freshRoom('bound-other');
      await bus.append(draft(other, 'busy', total + 1));
      expect(await bus.read(other, 0, 10)).toMatchObject({ oldest: 1, last: 1 });
    });

    it('delivers every message live, in seq order, to every subscribed server (the sender too)', async () => {
      const [s1, s2, s3] = [await connect(), await connect(), await connect()];
      const [r1, r2] = [new Recorder(), new Recorder()];
      s1.subscribe(r1);
      s2.subscribe(r2);
      const rooms = [freshRoom('live'), freshRoom('live')];
      const appended: ChatMessage[] = [];
      for (let id = 1; id <= 10; id++) appended.push((await (id % 2 ? s1 : s3).append(draft(rooms[id % 2]!, 'live', id))).message);
      for (const rec of [r1, r2]) {
        await waitFor('every message to arrive live', () => rooms.every((room) => rec.inRoom(room).length === 5));
        for (const room of rooms) expect(rec.inRoom(room)).toEqual([1, 2, 3, 4, 5]);
        for (const room of rooms) expect(rec.messages.filter((m) => m.room === room)).toEqual(appended.filter((m) => m.room === room));
      }
      expect(r1.ups).toBe(1); // subscribing to a bus that is up says `up` once
    });

    it('relays a presence beat to every other server, not back to its sender', async () => {
      const [s1, s2, s3] = [await connect(), await connect(), await connect()];
      const [r1, r2, r3] = [new Recorder(), new Recorder(), new Recorder()];
      s1.subscribe(r1);
      s2.subscribe(r2);
      s3.subscribe(r3);
      await waitFor('all three up', () => r1.ups && r2.ups && r3.ups);
      const beat: PresenceBeat = { server: `s1-${roomCounter}`, rooms: { [freshRoom('lobby')]: ['ann', 'bo'] } };
      s1.beat(beat);
      await waitFor('s2 and s3 to get the beat', () => r2.beats.length > 0 && r3.beats.length > 0);
      expect(r2.beats).toEqual([beat]);
      expect(r3.beats).toEqual([beat]);
      // s1's own beat would have come before this one, had it come back at all.
      const reply: PresenceBeat = { server: `s2-${roomCounter}`, rooms: {} };
      s2.beat(reply);
      await waitFor('s1 to get s2 beat', () => r1.beats.length > 0);
      expect(r1.beats).toEqual([reply]);
    });

    it('rejects a malformed draft before it reaches the bus, with a clear error', async () => {
      const bus = await connect();
      await expect(bus.append(draft('Bad Room!', 'x', 1))).rejects.toThrow(/not a valid draft/);
      await expect(bus.append({ ...draft(freshRoom('bad'), 'x', 1), id: 0 })).rejects.toThrow(/not a valid draft/);
      await expect(bus.append({ ...draft(freshRoom('bad'), 'x', 1), text: '' })).rejects.toThrow(/not a valid draft/);
    });

    it('answers malformed frames on its wire with errors (or drops them) and keeps serving', async () => {
      const warnings: string[] = [];
      const bus = await connect((line) => warnings.push(line));
      const seen = new Recorder();
      bus.subscribe(seen);
      await waitFor('up', () => seen.ups);
      await target().garbage(warnings);
      const room = freshRoom('after-garbage');
      const { message } = await bus.append(draft(room, 'still', 1));
      expect(message.seq).toBe(1);
      await waitFor('the message to arrive live', () => seen.inRoom(room).length === 1);
      expect((await bus.read(room, 0, 10)).messages).toEqual([message]);
      expect(seen.messages.every((m) => typeof m.seq === 'number' && m.seq >= 1)).toBe(true); // nothing malformed got through
    });
  });
}
// #endregion contract

// ---------------------------------------------------------------------------------------------------------
// The course bus

interface CourseBus {
  proc: Proc;
  port: number;
  url: string;
  dataDir: string;
}

async function startCourseBus(options: { port?: number; dataDir?: string; env?: Record<string, string> } = {}): Promise<CourseBus> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? makeTempDir('chat-bus-test-');
  const proc = startScript(BUS_SCRIPT, { PORT: String(port), DATA_DIR: dataDir, HISTORY_LIMIT: String(HISTORY_LIMIT), ...options.env }, `bus-${port}`);
  await proc.waitForLine(/chat bus listening on ws:\/\/127\.0\.0\.1:\d+/);
  return { proc, port, url: `ws://127.0.0.1:${port}`, dataDir };
}

/** A raw WebSocket to the course bus, to send what no Bus client would. */
async function rawSocket(url: string): Promise<{ send(data: string | Buffer): Promise<Record<string, unknown>>; close(): void }> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return {
    async send(data) {
      const before = frames.length;
      ws.send(data);
      return waitFor(`an answer to ${String(data).slice(0, 60)}`, () => frames[before]);
    },
    close: () => ws.close(),
  };
}

describe('course bus', () => {
  let bus: CourseBus;
  beforeAll(async () => {
    bus = await startCourseBus();
  });
  afterAll(stopAll);

  busContract('course bus (ws)', () => ({
    connect: (warn) => connectBus(bus.url, { warn }),
    async garbage() {
      const raw = await rawSocket(bus.url);
      const good = { room: 'fine', from: 'me', text: 'hi', clientId: 'c', id: 1 };
      expect(await raw.send('not json')).toMatchObject({ type: 'error', message: expect.stringMatching(/not JSON/) });
      expect(await raw.send('[1,2]')).toMatchObject({ type: 'error', message: expect.stringMatching(/object/) });
      expect(await raw.send(Buffer.from([0xff, 0x00]))).toMatchObject({ type: 'error' });
      expect(await raw.send('{"type":"launch","rid":4}')).toEqual({ type: 'error', rid: 4, message: expect.stringMatching(/append, read, beat/) });
      expect(await raw.send(JSON.stringify({ type: 'append', rid: 5, draft: { ...good, room: 'NO' } }))).toEqual({ type: 'error', rid: 5, message: expect.stringMatching(/draft/) });
      expect(await raw.send(JSON.stringify({ type: 'append', rid: 6, draft: { ...good, id: 1.5 } }))).toMatchObject({ type: 'error', rid: 6 });
      expect(await raw.send(JSON.stringify({ type: 'append', rid: 7, draft: { ...good, text: 'x'.repeat(2001) } }))).toMatchObject({ type: 'error', rid: 7 });
      expect(await raw.send(JSON.stringify({ type: 'append', draft: good }))).toMatchObject({ type: 'error', message: expect.stringMatching(/rid/) });
      expect(await raw.send(JSON.stringify({ type: 'read', rid: 8, room: 'fine', after: -1, limit: 5 }))).toMatchObject({ type: 'error', rid: 8, message: expect.stringMatching(/after/) });
      expect(await raw.send(JSON.stringify({ type: 'read', rid: 9, room: 'fine', after: 0, limit: 1e9 }))).toMatchObject({ type: 'error', rid: 9, message: expect.stringMatching(/limit/) });
      expect(await raw.send(JSON.stringify({ type: 'beat', beat: { server: 's', rooms: { fine: [42] } } }))).toMatchObject({ type: 'error', message: expect.stringMatching(/beat/) });
      // The same socket still works for a good request, and the process is still there.
      expect(await raw.send(JSON.stringify({ type: 'read', rid: 10, room: 'never-used', after: 0, limit: 5 }))).toEqual({
        type: 'page',
        rid: 10,
        page: { room: 'never-used', messages: [], oldest: 1, last: 0 },
      });
      raw.close();
      expect(bus.proc.running()).toBe(true);
    },
  }));
});

describe('course bus: its disk and its process', () => {
  afterAll(stopAll);

  it('keeps history and resend memory across kill -9 and a restart; its clients reconnect on their own', async () => {
    const first = await startCourseBus();
    const client = await connectBus(first.url);
    const seen = new Recorder();
    client.subscribe(seen);
    const room = freshRoom('durable');
    const sent = [];
    for (let id = 1; id <= 5; id++) sent.push((await client.append(draft(room, 'keeper', id))).message);
    await first.proc.kill('SIGKILL');
    await waitFor('the client to notice the bus is down', () => seen.downs.length === 1);
    await expect(client.append(draft(room, 'keeper', 6))).rejects.toThrow(/bus unavailable/);
    await expect(client.read(room, 0, 10)).rejects.toThrow(/bus unavailable/);

    const second = await startCourseBus({ port: first.port, dataDir: first.dataDir });
    await waitFor('the client to reconnect', () => seen.ups === 2);
    expect((await client.read(room, 0, 10)).messages).toEqual(sent);
    expect(await client.append(draft(room, 'keeper', 3))).toEqual({ message: sent[2], duplicate: true });
    expect((await client.append(draft(room, 'keeper', 6))).message.seq).toBe(6);
    expect(second.proc.lines.some((l) => /5 logged messages replayed/.test(l))).toBe(true);
    await client.close();
  });

  it('ignores a torn last line with a warning, and compacts the log to what history keeps', async () => {
    const first = await startCourseBus();
    const client = await connectBus(first.url);
    const [busy, quiet] = [freshRoom('busy'), freshRoom('quiet')];
    for (let id = 1; id <= HISTORY_LIMIT + 5; id++) await client.append(draft(busy, 'c1', id));
    await client.append(draft(quiet, 'c2', 1));
    await client.close();
    await first.proc.kill('SIGKILL');
    const file = path.join(first.dataDir, 'messages.jsonl');
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(HISTORY_LIMIT + 6);
    fs.appendFileSync(file, '{"room":"busy","seq":'); // a crash in the middle of a write

    const second = await startCourseBus({ port: first.port, dataDir: first.dataDir });
    await second.proc.waitForLine(/warning: .*messages\.jsonl ends with a torn line/);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline: the torn line is gone
    expect(lines.map((l) => (JSON.parse(l) as ChatMessage).seq)).toEqual([...range(6, HISTORY_LIMIT + 5), 1]);
    const again = await connectBus(second.url);
    expect(await again.read(busy, 0, 1000)).toMatchObject({ oldest: 6, last: HISTORY_LIMIT + 5 });
    expect(await again.append(draft(busy, 'c1', HISTORY_LIMIT + 5))).toMatchObject({ duplicate: true, message: { seq: HISTORY_LIMIT + 5 } });
    expect((await again.append(draft(busy, 'c1', 1000))).message.seq).toBe(HISTORY_LIMIT + 6);
    expect((await again.append(draft(quiet, 'c2', 2))).message.seq).toBe(2);
    await again.close();
    // And a restart after compaction replays the compacted file to the same state.
    await second.proc.kill('SIGKILL');
    const third = await startCourseBus({ port: first.port, dataDir: first.dataDir });
    const last = await connectBus(third.url);
    expect(await last.read(busy, 0, 1000)).toMatchObject({ oldest: 7, last: HISTORY_LIMIT + 6 });
    await last.close();
  });

  it('refuses to start on a log with an unreadable line in the middle, naming the file', async () => {
    const dataDir = makeTempDir('chat-bus-test-');
    const good = (seq: number) => JSON.stringify({ room: 'r', from: 'a', text: 't', clientId: 'c', id: seq, seq });
    fs.writeFileSync(path.join(dataDir, 'messages.jsonl'), `${good(1)}\nnot json\n${good(2)}\n`);
    const proc = startScript(BUS_SCRIPT, { PORT: String(await freePort()), DATA_DIR: dataDir }, 'bus-corrupt');
    expect((await proc.exited).code).toBe(1);
    expect(proc.lines.join('\n')).toMatch(/chat bus cannot start: .*messages\.jsonl: line 2 is unreadable/);
  });

  it('a second bus on a taken port exits with an error naming the port', async () => {
    const first = await startCourseBus();
    const second = startScript(BUS_SCRIPT, { PORT: String(first.port) }, 'bus-second');
    expect((await second.exited).code).toBe(1);
    expect(second.lines.join('\n')).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: the port is already in use`));
    expect(first.proc.running()).toBe(true);
  });

  it('explains a usage error and exits 2', async () => {
    const bad = startScript(BUS_SCRIPT, { PORT: 'seventy' }, 'bus-usage');
    expect((await bad.exited).code).toBe(2);
    expect(bad.lines.join('\n')).toMatch(/PORT must be a whole number from 0 to 65535, got "seventy"[\s\S]*usage:/);
    const limit = startScript(BUS_SCRIPT, { PORT: '0', HISTORY_LIMIT: '0' }, 'bus-usage-limit');
    expect((await limit.exited).code).toBe(2);
    expect(limit.lines.join('\n')).toMatch(/HISTORY_LIMIT must be a whole number from 1/);
  });

  it('stops cleanly on SIGTERM, and when the parent that started it with an IPC channel goes away', async () => {
    const bus = await startCourseBus();
    expect(await bus.proc.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(bus.proc.lines.some((l) => /log flushed; bye/.test(l))).toBe(true);

    const child = spawn(process.execPath, ['--import', 'tsx', BUS_SCRIPT], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    try {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await waitFor('the IPC-started bus to listen', () => /listening/.test(out));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.disconnect(); // what the parent's death looks like from the child
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Redis

const describeRedis = redisAvailable() ? describe : describe.skip;
if (!redisAvailable()) console.warn(`Skipping the Redis bus tests: ${REDIS_MISSING}`);

describeRedis(redisAvailable() ? 'Redis bus' : `Redis bus (skipped: ${REDIS_MISSING})`, () => {
  let redis: RedisHandle;
  const prefix = `chat-test-${process.pid}:`;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    await stopAll();
  });

  busContract('Redis (Lua + Streams + pub/sub)', () => ({
    connect: (warn) => connectBus(redis.url, { historyLimit: HISTORY_LIMIT, warn, prefix }),
    async garbage(warnings) {
      // Redis has no bus frames of ours to refuse; what can go wrong is garbage on the channels we listen to.
      const other = new Redis(redis.url);
      try {
        await other.publish(`${prefix}messages`, 'not json');
        await other.publish(`${prefix}messages`, JSON.stringify({ room: 'NO', seq: -1 }));
        await other.publish(`${prefix}beats`, JSON.stringify({ origin: 'x', beat: { server: 's', rooms: { ok: [1] } } }));
      } finally {
        other.disconnect();
      }
      await waitFor('our subscriber to drop all three', () => warnings.length >= 3);
      expect(warnings.join('\n')).toMatch(/malformed message[\s\S]*malformed message[\s\S]*malformed beat/);
    },
  }));

  it('reconnects its subscriber after Redis drops it, saying down then up', async () => {
    const bus = await connectBus(redis.url, { prefix });
    const seen = new Recorder();
    bus.subscribe(seen);
    await waitFor('up', () => seen.ups === 1);
    const admin = new Redis(redis.url);
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    } finally {
      admin.disconnect();
    }
    await waitFor('down then up again', () => seen.downs.length === 1 && seen.ups === 2);
    const room = freshRoom('after-reconnect');
    await bus.append(draft(room, 'back', 1));
    await waitFor('live delivery after the reconnect', () => seen.inRoom(room).length === 1);
    await bus.close();
  });
});
