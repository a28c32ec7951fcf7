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
/** Number a message: the room's next seq, or the seq it already got if this is a resend. */
export function append(
  state: SequencerState,
  draft: Draft,
  config: SequencerConfig = defaultSequencerConfig,
): { state: SequencerState; message: ChatMessage; duplicate: boolean } {
  const earlier = state.seen[draft.clientId]?.[String(draft.id)];
  if (earlier !== undefined) {
    const log = state.rooms[earlier.room];
    const kept = log?.history.find((m) => m.seq === earlier.seq);
    const message = kept ?? { ...draft, room: earlier.room, seq: earlier.seq };
    return { state, message, duplicate: true };
  }
  const log = state.rooms[draft.room] ?? { next: 1, history: [] };
  const message: ChatMessage = { ...draft, seq: log.next };
  const history = [...log.history, message].slice(-config.historyLimit);
  return {
    state: {
      rooms: { ...state.rooms, [draft.room]: { next: log.next + 1, history } },
      seen: { ...state.seen, [draft.clientId]: remember(state.seen[draft.clientId], message, config.dedupeLimit) },
    },
    message,
    duplicate: false,
  };
}

function remember(
  ids: Record<string, { room: string; seq: number }> | undefined,
  message: ChatMessage,
  limit: number,
): Record<string, { room: string; seq: number }> {
  const entries = Object.entries(ids ?? {});
  entries.push([String(message.id), { room: message.room, seq: message.seq }]);
  return Object.fromEntries(entries.slice(-limit));
}
// #endregion append

// #region read
/** The messages of `room` with seq > after, oldest first, at most `limit`. */
export function read(state: SequencerState, room: string, after: number, limit: number): HistoryPage {
  const log = state.rooms[room] ?? { next: 1, history: [] };
  const oldest = log.history[0]?.seq ?? log.next;
  const messages = log.history.filter((m) => m.seq > after).slice(0, limit);
  return { room, messages, oldest, last: log.next - 1 };
}
// #endregion read
