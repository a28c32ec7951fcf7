// Bad-frame fuzzing against a real chat server (and the course bus, and a second server): random text and
// random bytes, binary frames, frames over the app's 8 KiB limit and over ws's 64 KiB maxPayload, frames of
// the wrong shape (wrong types, missing and extra fields), and floods. Seeded (fast-check), so a failure
// replays. Zero crashes means: every bad frame gets the answer the contract names (an error frame with the
// code core/frames.ts gives it, or the documented close code), the connection stays usable where it should,
// the server process stays up and answers /health, its core never threw (/status coreErrors), and two
// well-behaved clients, connected the whole time, keep chatting with no gap, no duplicate and no reconnect.

import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../examples/chat/core/frames.ts';
import { defaultLimits, type ServerFrame } from '../../examples/chat/core/types.ts';
import { ChatClient } from '../../examples/chat/node/client.ts';
import { stopAll, waitFor } from '../helpers/processes.ts';
import { health, startChatStack, type ChatServerProc, type ChatStack } from './chat-processes.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_008);
const WAIT_MS = 20_000;

let stack: ChatStack;
let target: ChatServerProc;
let alice: ChatClient;
let bruno: ChatClient;
let chatter: NodeJS.Timeout | null = null;
let said = 0;

beforeAll(async () => {
  stack = await startChatStack(2);
  target = stack.server('s1');
  // Two well-behaved clients in one room: alice on the server under attack, bruno on the other one.
  alice = new ChatClient({ urls: [target.ws], user: 'alice', seed: SEED });
  bruno = new ChatClient({ urls: [stack.server('s2').ws], user: 'bruno', seed: SEED + 1 });
  alice.join('calm');
  bruno.join('calm');
  await waitFor('both calm clients caught up', () => alice.isCaughtUp('calm') && bruno.isCaughtUp('calm'), WAIT_MS);
  // Alice keeps talking while the fuzzing goes on (her client paces itself within the rate limit).
  chatter = setInterval(() => alice.send('calm', `calm ${++said}`), 100);
}, 120_000);

afterAll(async () => {
  if (chatter !== null) clearInterval(chatter);
  await Promise.all([alice?.close(), bruno?.close()]);
  await stopAll();
});

// #region raw
/** A raw WebSocket to the server under attack: every frame it gets, and how it was closed. */
class Raw {
  readonly frames: ServerFrame[] = [];
  closeCode: number | null = null;
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {}); // a close we provoked may come with an error; the close code says it all
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()) as ServerFrame);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve((this.closeCode = code))));
  }

  static async open(url: string): Promise<Raw> {
    const raw = new Raw(url);
    await raw.opened;
    return raw;
  }

  text(data: string | Buffer): void {
    this.ws.send(data, { binary: false });
  }

  binary(data: Uint8Array): void {
    this.ws.send(data, { binary: true });
  }

  /** Waits until `count` frames have arrived (rejects if the socket closes first). */
  async received(count: number): Promise<ServerFrame[]> {
    await waitFor(`${count} frames (have ${this.frames.length}: ${JSON.stringify(this.frames.slice(-3))})`, () => {
      if (this.frames.length >= count) return true;
      if (this.closeCode !== null) throw new Error(`closed with ${this.closeCode} after ${this.frames.length} frames`);
      return false;
    }, WAIT_MS, 10);
    return this.frames.slice(0, count);
  }

  /** A ping answered by a pong as the very next frame: the connection is usable and nothing else was pending. */
  async stillAnswers(): Promise<void> {
    const before = this.frames.length;
    this.text('{"type":"ping"}');
    const frames = await this.received(before + 1);
    expect(frames.at(-1)).toEqual({ type: 'pong' });
  }

  async end(): Promise<void> {
    if (this.closeCode !== null) return;
    this.ws.close();
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 2_000))]);
    this.ws.terminate();
  }
}
// #endregion raw

/** What the contract says a frame sent before hello gets: the error core/frames.ts names, or hello-first. */
function answerBeforeHello(data: string): Partial<ServerFrame> {
  const parsed = parseClientFrame(data, defaultLimits);
  if (!parsed.ok) return { type: 'error', code: parsed.code };
  if (parsed.frame.type === 'ping') return { type: 'pong' };
  if (parsed.frame.type === 'hello') return { type: 'welcome' };
  return { type: 'error', code: 'hello-first' };
}

function codeOf(frame: ServerFrame | undefined): string {
  return frame === undefined ? 'none' : frame.type === 'error' ? `error ${frame.code}` : frame.type;
}

async function hello(raw: Raw, user = 'fuzzer'): Promise<void> {
  raw.text(JSON.stringify({ type: 'hello', user, clientId: 'fuzz' }));
  const frames = await raw.received(raw.frames.length + 1);
  expect(frames.at(-1)?.type).toBe('welcome');
}

// #region arbitraries
const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const roomLike = fc.oneof(fc.constantFrom('calm', 'a', 'room-1', '', 'UPPER', '-x', 'x'.repeat(33), 'spa ce', '../etc'), junk);

/** Frames of roughly the right shape with something wrong: a wrong type, a missing or extra field, a bad value. */
const misshapen = fc
  .record(
    {
      type: fc.oneof(fc.constantFrom('hello', 'join', 'leave', 'send', 'ping', 'message', 'welcome', 'HELLO', ''), junk),
      user: fc.oneof(fc.constantFrom('ada', ' ada', 'a\u0000b', 'x'.repeat(33), ''), junk),
      clientId: fc.oneof(fc.constantFrom('ok', 'no spaces', 'x'.repeat(65), ''), junk),
      room: roomLike,
      after: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(2 ** 60), junk),
      id: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(1.5), fc.constant(Number.MAX_SAFE_INTEGER + 2), junk),
      text: fc.oneof(fc.string({ maxLength: 30 }), fc.constant(''), fc.constant('y'.repeat(2001)), junk),
      extra: junk,
    },
    { requiredKeys: [] },
  )
  .map((frame) => JSON.stringify(frame));

/** Any text at all, JSON or not. */
const anyText = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.json(), misshapen);
// #endregion arbitraries

describe('a chat server under bad frames', () => {
  it('answers every frame sent before hello with exactly the error the contract names (random text and JSON)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyText, { minLength: 1, maxLength: 8 }), async (texts) => {
        // Up to and including the first frame that is a valid hello: after it, the rules change.
        const firstHello = texts.findIndex((t) => answerBeforeHello(t).type === 'welcome');
        const sent = firstHello === -1 ? texts : texts.slice(0, firstHello + 1);
        const raw = await Raw.open(target.ws);
        try {
          for (const t of sent) raw.text(t);
          const frames = await raw.received(sent.length);
          expect(frames.map(codeOf)).toEqual(sent.map((t) => codeOf(answerBeforeHello(t) as ServerFrame)));
          await raw.stillAnswers();
        } finally {
          await raw.end();
        }
      }),
      { seed: SEED, numRuns: 150, endOnFailure: true },
    );
  });

  it('after hello, answers each misshapen frame with one error frame of the right code and stays usable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(misshapen.filter((t) => !parseClientFrame(t, defaultLimits).ok), { minLength: 1, maxLength: 8 }), async (texts) => {
        const raw = await Raw.open(target.ws);
        try {
          await hello(raw);
          for (const t of texts) raw.text(t);
          const frames = (await raw.received(1 + texts.length)).slice(1);
          expect(frames.map(codeOf)).toEqual(texts.map((t) => `error ${(parseClientFrame(t, defaultLimits) as { code: string }).code}`));
          await raw.stillAnswers();
        } finally {
          await raw.end();
        }
      }),
      { seed: SEED + 1, numRuns: 150, endOnFailure: true },
    );
  });

  it('answers random bytes: bad-frame for binary frames, and a 1007 close for a text frame that is not UTF-8', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 512 }), fc.boolean(), async (bytes, asText) => {
        const raw = await Raw.open(target.ws);
        try {
          await hello(raw);
          if (!asText) {
            raw.binary(bytes);
            expect(codeOf((await raw.received(2))[1])).toBe('error bad-frame');
            await raw.stillAnswers();
            return;
          }
          raw.text(Buffer.from(bytes));
          let text: string | null = null;
          try {
            text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
          } catch {
            expect(await raw.closed).toBe(1007); // ws refuses a text frame that is not UTF-8
            return;
          }
          const frame = (await raw.received(2))[1];
          const parsed = parseClientFrame(text, defaultLimits);
          if (!parsed.ok) expect(codeOf(frame)).toBe(`error ${parsed.code}`);
          await raw.stillAnswers();
        } finally {
          await raw.end();
        }
      }),
      { seed: SEED + 2, numRuns: 100, endOnFailure: true },
    );
  });

  it('answers a frame over 8 KiB with too-large and keeps the connection; closes one over 64 KiB with 1009', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: defaultLimits.maxFrameBytes + 1, max: 64 * 1024 }), fc.boolean(), async (size, asJson) => {
        const raw = await Raw.open(target.ws);
        try {
          await hello(raw);
          const body = asJson ? JSON.stringify({ type: 'send', room: 'calm', id: 1, text: 'z'.repeat(size) }).slice(0, size) : 'z'.repeat(size);
          raw.text(body);
          expect(codeOf((await raw.received(2))[1])).toBe('error too-large');
          await raw.stillAnswers();
        } finally {
          await raw.end();
        }
      }),
      { seed: SEED + 3, numRuns: 20, endOnFailure: true },
    );
    for (const [kind, size] of [['text', 64 * 1024 + 1], ['binary', 1 << 20]] as const) {
      const raw = await Raw.open(target.ws);
      await hello(raw);
      if (kind === 'text') raw.text('q'.repeat(size));
      else raw.binary(new Uint8Array(size));
      expect(await raw.closed).toBe(1009);
    }
  });

  it('rate-limits a flood with rate-limited errors, then closes it with 1008', async () => {
    for (const flood of ['{"type":"ping"}', 'not json at all', JSON.stringify({ type: 'send', room: 'calm', id: 1, text: 'spam' })]) {
      const raw = await Raw.open(target.ws);
      for (let i = 0; i < 1_000; i++) raw.text(flood);
      expect(await raw.closed).toBe(1008);
      const codes = raw.frames.map(codeOf);
      const refused = codes.filter((c) => c === 'error rate-limited').length;
      // The burst is answered, then (but for the odd token refilled meanwhile) every frame is refused, and the
      // connection is closed after maxStrikes refusals in a row.
      expect(refused).toBeGreaterThanOrEqual(defaultLimits.maxStrikes - 1);
      expect(codes.length - refused).toBeGreaterThanOrEqual(defaultLimits.rateBurst);
      expect(codes.length - refused).toBeLessThan(1_000 - defaultLimits.maxStrikes);
    }
  });

  it('survives connections that vanish mid-conversation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyText, { maxLength: 5 }), fc.boolean(), async (texts, joinFirst) => {
        const raw = await Raw.open(target.ws);
        if (joinFirst) {
          await hello(raw, 'ghost');
          raw.text(JSON.stringify({ type: 'join', room: 'calm' }));
        }
        for (const t of texts) raw.text(t);
        raw.ws.terminate();
        await raw.closed;
      }),
      { seed: SEED + 4, numRuns: 50, endOnFailure: true },
    );
  });

  it('stays up through all of it: /health answers, the core never threw, the calm clients saw every message once', async () => {
    expect(target.proc.running()).toBe(true);
    expect(await health(target)).toBe(200);
    const status = (await (await fetch(`${target.url}/status`)).json()) as { counters: { coreErrors: number } };
    expect(status.counters.coreErrors).toBe(0);

    if (chatter !== null) clearInterval(chatter);
    chatter = null;
    const total = said;
    expect(total).toBeGreaterThan(0);
    await waitFor('every calm message confirmed and shown to both', () => alice.unconfirmed() === 0 && [alice, bruno].every((c) => c.shown('calm').filter((m) => m.from === 'alice').length >= total), WAIT_MS);
    for (const client of [alice, bruno]) {
      const shown = client.shown('calm');
      expect(shown.map((m) => m.seq)).toEqual(shown.map((_, i) => i + 1)); // no gap, no duplicate
      expect(shown.filter((m) => m.from === 'alice').map((m) => m.text)).toEqual(Array.from({ length: total }, (_, i) => `calm ${i + 1}`));
      expect(client.lost('calm')).toEqual([]);
      expect(client.connections).toBe(1); // never dropped
      expect(client.errors).toEqual([]);
    }
    await waitFor('the vanished connections gone from presence', () => JSON.stringify(alice.presence('calm')) === '["alice","bruno"]', WAIT_MS);
    expect(bruno.presence('calm')).toEqual(['alice', 'bruno']);
  });
});
