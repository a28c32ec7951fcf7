// The same Bus on Redis: what a production deployment would use instead of the course bus. Every chat server
// talks to one Redis; the sequencer's three jobs (recognise a resend, number, keep history) are one Lua
// script, which Redis runs atomically, so two servers appending at once still get seqs 1, 2, 3... with no gap.

// #region why-redis
// Why Redis Streams fit a chat room's history:
//   - A stream is an append-only log whose entries have ordered ids. We choose the id ourselves: `0-<seq>`,
//     so the stream's order IS the room's order, and "everything after seq 41" is one command:
//     XRANGE room (0-41 + COUNT 200 (the "(" makes the start exclusive).
//   - XADD ... MAXLEN 1000 keeps the newest 1,000 entries and drops the oldest: bounded history in the same
//     step as the append. The first entry left tells a client how far back it can resume.
//   - Resume after a reconnect is just a read from the last seq a client saw, on any chat server, because
//     the history lives in Redis, not in the server that went away.
// What pub/sub loses: PUBLISH delivers to whoever is subscribed at that instant, at most once. A chat
// server whose subscriber connection is down (a restart, a network blip) misses those messages for good;
// Redis keeps no copy for it. That is acceptable here only because every message is ALSO in the stream:
// the chat server tracks the last seq it got per room, and a gap (or the bus coming back up) makes it read
// the missing ones from the stream. Presence beats go over pub/sub too, and lose nothing that matters: the
// next beat, a second later, says the same thing again.
// What Redis itself may lose is Redis's own configuration: with no AOF (appendonly no), a Redis crash forgets
// recent messages. The course bus fsyncs before it answers; Redis does that only with `appendfsync always`.
// #endregion why-redis

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ChatMessage, Draft, HistoryPage, PresenceBeat } from '../core/types.ts';
import { isPresenceBeat } from '../core/frames.ts';
import { checkReadArgs, cleanDraft, cleanMessage, type Bus, type BusHandlers, type BusOptions } from './bus.ts';

// #region append-script
// KEYS: 1 the client's resend memory (hash: id -> "seq:room"), 2 the room's counter, 3 the room's stream
// ARGV: 1 the client's message id, 2 the room, 3 the draft as JSON, 4 history limit, 5 resend memory TTL (s),
//       6 the channel to publish on
// Returns {0, message JSON} for a new message, {1, seq, room, message JSON or ""} for a resend. The message
// JSON is the draft's with "seq" put in front: Lua's cjson would round ids above 10^14, so we never decode it.
const APPEND_LUA = `
local earlier = redis.call('HGET', KEYS[1], ARGV[1])
if earlier then
  local colon = string.find(earlier, ':', 1, true)
  local seq = string.sub(earlier, 1, colon - 1)
  local room = string.sub(earlier, colon + 1)
  local json = ''
  if room == ARGV[2] then
    local kept = redis.call('XRANGE', KEYS[3], '0-' .. seq, '0-' .. seq)
    if kept[1] then json = kept[1][2][2] end
  end
  return {1, seq, room, json}
end
local seq = redis.call('INCR', KEYS[2])
local message = '{"seq":' .. seq .. ',' .. string.sub(ARGV[3], 2)
redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[4], '0-' .. seq, 'm', message)
redis.call('HSET', KEYS[1], ARGV[1], seq .. ':' .. ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[6], message)
return {0, message}
`;
// #endregion append-script

type AppendReply = [0, string] | [1, string, string, string];

interface Pending {
  reject: (err: Error) => void;
}

export async function connectRedisBus(url: string, options: BusOptions = {}): Promise<Bus> {
  const bus = new RedisBus(url, options);
  try {
    await bus.firstConnection(options.connectTimeoutMs ?? 15_000);
  } catch (err) {
    await bus.close();
    throw err;
  }
  return bus;
}

export class RedisBus implements Bus {
  /** Commands (the script, reads, PUBLISH of beats). */
  private readonly cmd: Redis;
  /** A connection in subscriber mode can do nothing else, so live messages and beats get their own. */
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly channels: { messages: string; beats: string };
  /** Our own beats come back to our subscriber; this tag tells them apart (beats go to the OTHER servers). */
  private readonly origin = randomUUID();
  private readonly historyLimit: number;
  private readonly dedupeTtlSeconds: number;
  private readonly requestTimeoutMs: number;
  private readonly warn: (line: string) => void;
  private readonly handlers: BusHandlers[] = [];
  private readonly pending = new Set<Pending>();
  private ready = { cmd: false, sub: false };
  private isUp = false;
  private closed = false;
  private lastProblem = 'not connected yet';
  private onFirstUp: (() => void) | null = null;

  constructor(
    readonly url: string,
    options: BusOptions = {},
  ) {
    this.prefix = options.prefix ?? 'chat:';
    this.channels = { messages: `${this.prefix}messages`, beats: `${this.prefix}beats` };
    this.historyLimit = options.historyLimit ?? 1000;
    this.dedupeTtlSeconds = options.dedupeTtlSeconds ?? 3600;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.warn = options.warn ?? ((line) => console.warn(line));
    const common = {
      // Reconnect with doubling backoff and jitter, forever (until close()).
      retryStrategy: (times: number) => Math.min(3_000, 50 * 2 ** Math.min(times, 10)) * (0.5 + Math.random() / 2),
      enableOfflineQueue: false, // while down, fail at once (the chat server tells its client "unavailable")
      autoResendUnfulfilledCommands: false, // in flight when the connection dropped: rejected, not resent
      autoResubscribe: false, // we subscribe ourselves on 'ready', then say `up`
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    };
    this.cmd = new Redis(url, common);
    this.sub = new Redis(url, common);
    this.cmd.defineCommand('chatAppend', { numberOfKeys: 3, lua: APPEND_LUA });
    for (const [name, conn] of [['cmd', this.cmd], ['sub', this.sub]] as const) {
      conn.on('error', (err: Error) => (this.lastProblem = `${err.message}`));
      conn.on('close', () => this.connectionLost(name));
      conn.on('ready', () => void this.connectionReady(name));
    }
    this.sub.on('message', (channel: string, text: string) => this.onPublished(channel, text));
    this.cmd.connect().catch(() => {}); // failures arrive as 'error' and 'close'; retryStrategy retries
    this.sub.connect().catch(() => {});
  }

  firstConnection(timeoutMs: number): Promise<void> {
    if (this.isUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onFirstUp = null;
        reject(new Error(`cannot reach Redis at ${this.url} within ${timeoutMs} ms (${this.lastProblem}); is redis-server running? (apt-get install redis-server)`));
      }, timeoutMs);
      this.onFirstUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  // #region redis-append
  append(draft: Draft): Promise<{ message: ChatMessage; duplicate: boolean }> {
    const clean = cleanDraft(draft);
    if (clean === null) return Promise.reject(new Error(`append: not a valid draft: ${JSON.stringify(draft).slice(0, 200)}`));
    const keys = [`${this.prefix}client:${clean.clientId}:seen`, `${this.prefix}room:${clean.room}:seq`, this.streamKey(clean.room)];
    const args = [String(clean.id), clean.room, JSON.stringify(clean), String(this.historyLimit), String(this.dedupeTtlSeconds), this.channels.messages];
    return this.request('append', async () => {
      const reply = (await (this.cmd as unknown as { chatAppend(...a: string[]): Promise<AppendReply> }).chatAppend(...keys, ...args)) as AppendReply;
      if (reply[0] === 0) return { message: this.parseMessage(reply[1]), duplicate: false };
      const [, seq, room, json] = reply;
      // A resend: the message as stored, or (history dropped it) rebuilt from the draft, as the core does.
      const message = json !== '' ? this.parseMessage(json) : { ...clean, room, seq: Number(seq) };
      return { message, duplicate: true };
    });
  }
  // #endregion redis-append

  // #region redis-read
  read(room: string, after: number, limit: number): Promise<HistoryPage> {
    const problem = checkReadArgs(room, after, limit);
    if (problem !== null) return Promise.reject(new Error(problem));
    const stream = this.streamKey(room);
    return this.request(`read of ${room}`, async () => {
      // One MULTI, so the page, the last seq and the oldest kept entry are one moment's view.
      const results = await this.cmd
        .multi()
        .xrange(stream, `(0-${after}`, '+', 'COUNT', limit)
        .get(`${this.prefix}room:${room}:seq`)
        .xrange(stream, '-', '+', 'COUNT', 1)
        .exec();
      if (results === null) throw new Error('the read transaction was aborted');
      for (const [err] of results) if (err) throw err;
      const [page, lastSeq, first] = results.map(([, value]) => value) as [[string, string[]][], string | null, [string, string[]][]];
      const last = lastSeq === null ? 0 : Number(lastSeq);
      const oldest = first[0] === undefined ? last + 1 : seqOf(first[0][0]);
      const messages = page.map(([, fields]) => this.parseMessage(fields[1] ?? ''));
      return { room, messages, oldest, last };
    });
  }
  // #endregion redis-read

  beat(beat: PresenceBeat): void {
    if (!this.isUp) return; // fire and forget: the next beat repairs a lost one
    this.cmd.publish(this.channels.beats, JSON.stringify({ origin: this.origin, beat })).catch(() => {});
  }

  subscribe(handlers: BusHandlers): void {
    this.handlers.push(handlers);
    if (this.isUp) queueMicrotask(() => this.isUp && handlers.up());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.isUp = false;
    this.rejectPending('the bus client was closed');
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  private streamKey(room: string): string {
    return `${this.prefix}room:${room}:log`;
  }

  private parseMessage(json: string): ChatMessage {
    let message: ChatMessage | null = null;
    try {
      message = cleanMessage(JSON.parse(json));
    } catch {
      // handled below
    }
    if (message === null) throw new Error(`Redis holds a malformed message: ${json.slice(0, 200)}`);
    return message;
  }

  private request<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (!this.isUp) {
      return Promise.reject(new Error(`bus unavailable: not connected to Redis at ${this.url} (${this.lastProblem}); reconnecting in the background, try again`));
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        reject: (err) => {
          clearTimeout(timer);
          this.pending.delete(entry);
          reject(err);
        },
      };
      const timer = setTimeout(
        () => entry.reject(new Error(`Redis at ${this.url} did not answer the ${what} within ${this.requestTimeoutMs} ms; it may or may not have been done`)),
        this.requestTimeoutMs,
      );
      this.pending.add(entry);
      run().then(
        (value) => {
          if (!this.pending.delete(entry)) return; // already timed out or rejected by a disconnect
          clearTimeout(timer);
          resolve(value);
        },
        (err: Error) => {
          if (this.pending.has(entry)) entry.reject(new Error(`the ${what} failed on Redis at ${this.url}: ${err.message}`));
        },
      );
    });
  }

  private rejectPending(reason: string): void {
    for (const p of [...this.pending]) p.reject(new Error(reason));
  }

  private async connectionReady(name: 'cmd' | 'sub'): Promise<void> {
    if (name === 'sub') {
      try {
        await this.sub.subscribe(this.channels.messages, this.channels.beats);
      } catch (err) {
        this.lastProblem = `cannot subscribe: ${(err as Error).message}`;
        return; // the connection's own close and retry will bring us back here
      }
    }
    this.ready[name] = true;
    if (this.isUp || this.closed || !this.ready.cmd || !this.ready.sub) return;
    this.isUp = true;
    this.onFirstUp?.();
    this.onFirstUp = null;
    for (const h of this.handlers) h.up();
  }

  private connectionLost(name: 'cmd' | 'sub'): void {
    this.ready[name] = false;
    if (!this.isUp || this.closed) return;
    this.isUp = false;
    const reason = `the ${name === 'cmd' ? 'command' : 'subscriber'} connection to Redis at ${this.url} was lost (${this.lastProblem})`;
    this.rejectPending(`${reason}; it may or may not have been done`);
    for (const h of this.handlers) h.down(reason);
  }

  private onPublished(channel: string, text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (channel === this.channels.messages) {
      const message = cleanMessage(value);
      if (message === null) return this.warn(`redis bus: ignoring a malformed message on ${channel}: ${text.slice(0, 100)}`);
      for (const h of this.handlers) h.message(message);
    } else if (channel === this.channels.beats) {
      const { origin, beat } = (value ?? {}) as { origin?: unknown; beat?: unknown };
      if (!isPresenceBeat(beat)) return this.warn(`redis bus: ignoring a malformed beat on ${channel}: ${text.slice(0, 100)}`);
      if (origin === this.origin) return; // our own beat: it is for the other servers
      for (const h of this.handlers) h.beat(beat);
    }
  }
}

function seqOf(streamId: string): number {
  return Number(streamId.slice(streamId.indexOf('-') + 1));
}
