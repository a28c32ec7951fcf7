// Helpers for the chat server core's unit tests (tests/chat/core-server*.test.ts): a server with small
// limits, and short ways to feed it inputs and read its effects.
import { initialState, step, type ServerState } from '../../examples/chat/core/server.ts';
import {
  defaultConfig,
  defaultLimits,
  type ChatConfig,
  type ChatLimits,
  type ChatMessage,
  type HistoryPage,
  type ServerEffects,
  type ServerFrame,
  type ServerInput,
} from '../../examples/chat/core/types.ts';

export type Overrides = Partial<Omit<ChatConfig, 'limits'>> & { limits?: Partial<ChatLimits> };

export function makeConfig(over: Overrides = {}): ChatConfig {
  return { id: 's1', ...defaultConfig, ...over, limits: { ...defaultLimits, ...over.limits } };
}

export const msg = (room: string, seq: number): ChatMessage => ({ room, seq, from: 'bob', text: `${room}${seq}`, clientId: 'cb', id: seq });

/** A page of a room whose bus keeps seqs oldest..last, answering "after `after`" (at most `limit`). */
export function page(room: string, after: number, oldest: number, last: number, limit = 200): HistoryPage {
  const messages: ChatMessage[] = [];
  for (let seq = Math.max(after + 1, oldest); seq <= last && messages.length < limit; seq++) messages.push(msg(room, seq));
  return { room, messages, oldest, last };
}

export class Server {
  state: ServerState;
  last: ServerEffects = { sends: [], closes: [], bus: [] };
  constructor(over: Overrides = {}) {
    this.state = initialState(makeConfig(over));
  }
  in(input: ServerInput): ServerEffects {
    this.last = step(this.state, input);
    return this.last;
  }
  open(conn: string, at = 0): ServerEffects {
    return this.in({ kind: 'open', conn, at });
  }
  frame(conn: string, value: unknown, at = 0): ServerEffects {
    return this.in({ kind: 'frame', conn, data: typeof value === 'string' ? value : JSON.stringify(value), at });
  }
  /** open + hello, flushing what it was sent. */
  connect(conn: string, user = conn, at = 0): void {
    this.open(conn, at);
    this.frame(conn, { type: 'hello', user, clientId: `id-${conn}` }, at);
    this.flushAll();
  }
  /** join a room and answer its read with a page of a bus that keeps oldest..last; flushes everything. */
  joinAt(conn: string, room: string, after: number | undefined, oldest: number, last: number, at = 0): ServerFrame[] {
    const e = this.frame(conn, after === undefined ? { type: 'join', room } : { type: 'join', room, after }, at);
    const frames = to(e, conn);
    for (const r of e.bus) if (r.op === 'read') frames.push(...to(this.in({ kind: 'history', after: r.after, page: page(room, r.after, oldest, last) }), conn));
    this.flushAll();
    return frames;
  }
  flushAll(): void {
    for (const [conn, c] of Object.entries(this.state.conns)) if (c.queue.queued > 0) this.in({ kind: 'flushed', conn, count: c.queue.queued });
  }
}

/** The frames one connection was sent in these effects, in order. */
export const to = (e: ServerEffects, conn: string): ServerFrame[] => e.sends.filter((s) => s.conn === conn).map((s) => s.frame);
export const types = (frames: ServerFrame[]): string[] => frames.map((f) => (f.type === 'message' ? `m${f.seq}` : f.type));
export const reads = (e: ServerEffects) => e.bus.filter((r) => r.op === 'read');
export const beats = (e: ServerEffects) => e.bus.filter((r) => r.op === 'beat').map((r) => (r.op === 'beat' ? r.beat : null));
