// The sequencer: the one place that numbers a room's messages. Every chat server sends its clients' messages
// here (through the bus), so every client of every server sees a room's messages in the same order, 1, 2, 3...
// It also keeps each room's recent history (bounded) and recognises a resent message, so a client that retries
// after a reconnect never makes a duplicate. The course bus (node/bus-server.ts) runs this core; the Redis
// adapter does the same three things in one Lua script (node/redis-bus.ts).

import type { ChatMessage, Draft, HistoryPage } from './types.ts';

// #region state
export interface SequencerConfig {
  /** Messages kept per room; older ones are dropped (a client that is further behind is told so). */
  historyLimit: number;
  /** Message ids remembered per client, to recognise resends. */
  dedupeLimit: number;
}

export const defaultSequencerConfig: SequencerConfig = { historyLimit: 1000, dedupeLimit: 256 };

export interface RoomLog {
  /** The seq the next message gets. */
  next: number;
  /** The most recent messages, oldest first, at most historyLimit. */
  history: ChatMessage[];
}

export interface SequencerState {
  rooms: Record<string, RoomLog>;
  /** clientId -> that client's recent message ids -> where each went. */
  seen: Record<string, Record<string, { room: string; seq: number }>>;
}

export function emptySequencer(): SequencerState {
  return { rooms: {}, seen: {} };
}
// #endregion state

// #region append
/**
 * Number a message: the room's next seq, or the seq it already got if this is a resend. Like the chat server's
 * core, it updates `state` in place (and returns it): copying a thousand messages of history and the memory
 * of every client for each message would cost more than everything else the bus does.
 */
export function append(
  state: SequencerState,
  draft: Draft,
  config: SequencerConfig = defaultSequencerConfig,
): { state: SequencerState; message: ChatMessage; duplicate: boolean } {
  const earlier = state.seen[draft.clientId]?.[String(draft.id)];
  if (earlier !== undefined) {
    const kept = state.rooms[earlier.room]!.history.find((m) => m.seq === earlier.seq); // rooms are never removed
    const message = kept ?? { ...draft, room: earlier.room, seq: earlier.seq };
    return { state, message, duplicate: true };
  }
  const log = (state.rooms[draft.room] ??= { next: 1, history: [] });
  const message: ChatMessage = { ...draft, seq: log.next };
  log.next += 1;
  log.history.push(message);
  log.history.splice(0, log.history.length - config.historyLimit); // removes nothing while under the limit
  remember((state.seen[draft.clientId] ??= {}), message, config.dedupeLimit);
  return { state, message, duplicate: false };
}

/** Remember where a client's message went; forget its lowest ids beyond `limit` (a client's ids only grow). */
function remember(ids: Record<string, { room: string; seq: number }>, message: ChatMessage, limit: number): void {
  ids[String(message.id)] = { room: message.room, seq: message.seq };
  const keys = Object.keys(ids); // whole-number keys come in ascending order
  for (const key of keys.slice(0, Math.max(0, keys.length - limit))) delete ids[key];
}
// #endregion append

// #region read
/** The messages of `room` with seq > after, oldest first, at most `limit`. */
export function read(state: SequencerState, room: string, after: number, limit: number): HistoryPage {
  const log = state.rooms[room];
  if (log === undefined) return { room, messages: [], oldest: 1, last: 0 };
  const oldest = log.history[0]?.seq ?? log.next;
  const messages = log.history.filter((m) => m.seq > after).slice(0, limit);
  return { room, messages, oldest, last: log.next - 1 };
}
// #endregion read
