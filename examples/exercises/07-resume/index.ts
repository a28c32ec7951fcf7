// Exercise 07: resume from a sequence number with no gap and no duplicate. The learner writes the client's
// side: joinFrame(receiver, room), showReady(room), accept(receiver, message), acceptGap(receiver, room,
// from, to).
//
// No expected answer is written here: each comes from the chat core's receiver.ts (joinFrame, accept,
// acceptGap), called with the same frozen input. The checks:
//  1-4. small cases, one part of the task each: the join frame; in-order messages and duplicates; early
//       messages held, shown once the missing ones come, and a gap while live that asks to rejoin; a gap
//       notice from a server whose history no longer has the messages;
//  5.   seeded chats (chat.ts): the real sequencer and two chat servers on the real server core, four
//       clients running the learner's code, links that deliver late, twice and out of order, disconnects
//       at random, server restarts, lost bus messages and a short history. Every call must answer as the
//       core does, and each client's screen, room by room, must be the sequencer's log: each seq once, in
//       order, the same message, nothing skipped except what a gap notice announced.
// A failure names the chat, the step, the client, the room and the seq, with the command that replays it.
import { isDeepStrictEqual } from 'node:util';
import { accept as coreAccept, acceptGap as coreAcceptGap, joinFrame as coreJoinFrame, type Received, type Receiver, type RoomReceiver } from '../../chat/core/receiver.ts';
import type { ChatMessage, ClientFrame } from '../../chat/core/types.ts';
import { callLearner, CheckFailure, exportedFunction, num, type Exercise } from '../types.ts';
import { playChat, type CallEvent, type ResumeImpl, type Stats } from './chat.ts';

const CHATS = 100;
const STEPS = 150;

// ---- Building and showing receivers -----------------------------------------------------------------------
const msg = (seq: number, room = 'lobby'): ChatMessage => ({ room, seq, from: 'ada', text: `message ${seq}`, clientId: 'ada', id: seq });
const roomState = (last: number, held: number[], caughtUp: boolean, room = 'lobby'): RoomReceiver => ({ last, held: held.map((s) => msg(s, room)), caughtUp });

const seqs = (xs: unknown): string => (Array.isArray(xs) ? `[${xs.map((m) => (typeof m === 'object' && m !== null ? String((m as ChatMessage).seq) : String(m))).join(', ')}]` : String(xs));
function roomText(r: unknown): string {
  if (r === undefined) return '(no state)';
  if (typeof r !== 'object' || r === null) return String(r);
  const { last, held, caughtUp } = r as Partial<RoomReceiver>;
  return `last ${String(last)}, held ${seqs(held)}, ${caughtUp === true ? 'caught up' : caughtUp === false ? 'not caught up' : `caughtUp ${String(caughtUp)}`}`;
}
function receivedText(x: unknown, room: string): string {
  if (typeof x !== 'object' || x === null) return String(x);
  const r = x as Partial<Received>;
  const parts = [`show ${seqs(r.show)}`];
  if (r.lost !== undefined) parts.push(`lost ${JSON.stringify(r.lost)}`);
  if (r.rejoin !== undefined) parts.push(`rejoin after ${String((r.rejoin as { after?: unknown }).after)}`);
  parts.push(`then ${roomText(r.receiver?.rooms?.[room])}`);
  return parts.join('; ');
}

// ---- Calling the learner's code -------------------------------------------------------------------------------
const NOT_WRITTEN = 'Start with TODO 1 in resume.ts (joinFrame: join with after = the last seq shown), then TODO 2 (showReady), ' +
  'TODO 3 to 5 (accept: drop duplicates, hold early ones, show the next in line) and TODO 6 (acceptGap).';

const MUTATED =
  'Do not change the receiver, a room or a held list you are given (e.g. held.push, held.shift, room.last = ...): copy first ([...room.held], { ...room, last }) and return the new receiver (withRoom).';

const guarded = <T>(f: () => T): T => callLearner(f, { notWritten: NOT_WRITTEN, mutated: MUTATED });

// ---- What went wrong, and why -----------------------------------------------------------------------------------
function shapeProblem(got: unknown, room: string): string | undefined {
  const g = got as Partial<Received>;
  if (typeof got !== 'object' || got === null || !Array.isArray(g.show) || typeof g.receiver !== 'object' || g.receiver === null || typeof g.receiver.rooms !== 'object') {
    return 'return { receiver, show: [...] } (plus lost or rejoin when there is one): receiver is the new Receiver, show the messages to put on screen';
  }
  return undefined;
}

function normal(r: Received): unknown {
  return {
    show: r.show.map((m) => m),
    lost: r.lost ?? null,
    rejoin: r.rejoin ?? null,
    rooms: r.receiver.rooms,
  };
}

function acceptHint(receiver: Receiver, m: ChatMessage, got: Received, want: Received): string {
  const before = receiver.rooms[m.room] ?? { last: 0, held: [], caughtUp: false };
  const L = before.last;
  const gotSeqs = got.show.map((x) => x?.seq);
  const wantSeqs = want.show.map((x) => x.seq);
  const after: Partial<RoomReceiver> = got.receiver.rooms[m.room] ?? {};
  const wantAfter = want.receiver.rooms[m.room]!;
  if (!isDeepStrictEqual(gotSeqs, wantSeqs)) {
    if (m.seq <= L && gotSeqs.includes(m.seq)) return `seq ${m.seq} was already shown (the last seq shown is ${L}): it is a duplicate, and showing it puts it on screen twice. A seq <= last changes nothing (TODO 3).`;
    if (before.held.some((h) => h.seq === m.seq) && gotSeqs.length > 0) return `seq ${m.seq} is already held: it came twice while early. Drop it: a seq already in held changes nothing (TODO 3).`;
    if (m.seq > L + 1 && gotSeqs.includes(m.seq)) return `seq ${m.seq} arrived while the last seq shown is ${L}: showing it now skips ${L + 1}${m.seq - 1 > L + 1 ? `..${m.seq - 1}` : ''}, a gap on screen (and ${L + 1} would show after it, out of order). Hold it until the missing ones come (TODO 4).`;
    if (wantSeqs.length > gotSeqs.length && isDeepStrictEqual(gotSeqs, wantSeqs.slice(0, gotSeqs.length))) {
      return gotSeqs.length === 0
        ? `seq ${m.seq} is next in line (the last seq shown is ${L}): show it (TODO 5)${wantSeqs.length > 1 ? `, and then the held ${seqs(wantSeqs.slice(1))} that now follow it (showReady, TODO 2)` : ''}.`
        : `After seq ${gotSeqs.at(-1)}, the held ${seqs(wantSeqs.slice(gotSeqs.length))} are next in line: show them too, in order (showReady keeps going while the first held seq is last + 1).`;
    }
    return `Show exactly ${seqs(wantSeqs)}: each seq once, in order, none skipped.`;
  }
  if (!isDeepStrictEqual(got.rejoin ?? null, want.rejoin ?? null)) {
    if (want.rejoin !== undefined && got.rejoin === undefined) {
      return `The room was caught up (messages arrive live), and seq ${m.seq} came while the last seq shown is ${L}: ${L + 1}${m.seq - 1 > L + 1 ? `..${m.seq - 1}` : ''} were lost on the way, and nothing will bring them by itself. Ask: rejoin: { type: 'join', room: '${m.room}', after: ${L} } (TODO 4).`;
    }
    if (want.rejoin === undefined && got.rejoin !== undefined) {
      return m.seq > L + 1
        ? 'The room is not caught up: a join is under way and the missing messages are on their way. Asking again for every early message starts a storm of joins (each one sends the same messages again). Rejoin only when the room was caught up.'
        : 'Ask to rejoin only when an early message shows that something was lost while the room was caught up.';
    }
    return `A rejoin asks for everything after the last seq shown: after: ${L}.`;
  }
  if (!isDeepStrictEqual(got.lost ?? null, null)) return 'accept never announces lost messages (only a gap notice does): leave lost out.';
  if (after.last !== wantAfter.last) return `After showing ${seqs(wantSeqs)}, last is ${wantAfter.last}: the last seq shown (it is what the next join asks after).`;
  if (after.caughtUp !== wantAfter.caughtUp) {
    return wantAfter.caughtUp
      ? 'Showing a message does not change caughtUp; keep it as it was.'
      : `Holding an early message means the client is behind: set caughtUp to false until the server says caught-up again. Otherwise every further early message asks to rejoin once more.`;
  }
  if (!isDeepStrictEqual(after.held, wantAfter.held)) return `held should be ${seqs(wantAfter.held)}: sorted by seq, each seq once, without the messages shown.`;
  return 'Change only the message\'s own room; keep every other room as it is.';
}

function gapHint(receiver: Receiver, room: string, from: number, to: number, got: Received, want: Received): string {
  const L = (receiver.rooms[room] ?? { last: 0 }).last;
  if (to <= L) return `Everything up to ${to} was already shown or announced (the last seq shown is ${L}): this notice is old news (it came late or twice). Change nothing, announce nothing.`;
  if (!isDeepStrictEqual(got.lost ?? null, want.lost ?? null)) {
    return from <= L ? `${from}..${L} were already shown: announce only what is really gone, from ${L + 1} (lost.from = max(from, last + 1)) to ${to}.` : `Announce the gap: lost: { from: ${from}, to: ${to} }.`;
  }
  const after: Partial<RoomReceiver> = got.receiver.rooms[room] ?? {};
  const wantAfter = want.receiver.rooms[room]!;
  if (!isDeepStrictEqual(got.show.map((m) => m?.seq), want.show.map((m) => m.seq))) {
    return `Seq ${from}..${to} will never come, so the held messages after ${to} are now next in line: show them (showReady after moving last to ${to}). Held ones at or below ${to} are dropped.`;
  }
  if (after.last !== wantAfter.last) return `Move last to ${to} (or past it, if held messages then show): the next join asks after it, and a server would otherwise send this gap notice again and again.`;
  return `After the gap the room is: ${roomText(wantAfter)}.`;
}

function joinHint(receiver: Receiver, room: string, got: unknown): string {
  const L = receiver.rooms[room]?.last;
  const g = got as { type?: unknown; room?: unknown; after?: unknown };
  if (typeof got !== 'object' || got === null || g.type !== 'join' || g.room !== room) return `Return a join frame: { type: 'join', room: '${room}', after: ... }.`;
  if (L === undefined) return `This client never saw room ${room}: after: 0 (it has nothing yet).`;
  if (g.after === L + 1) return `after means "I have everything up to here": the server sends every seq ABOVE it. after: ${L + 1} skips seq ${L + 1}. Use the last seq shown, ${L}.`;
  if (g.after === 0 || g.after === undefined) return `The client has shown up to seq ${L}: join with after: ${L}, or the server sends the whole history again (and whatever it no longer keeps shows as a gap that is not one).`;
  return `Join with after = the last seq shown in the room (${L}).`;
}

// ---- The three checks on one call -------------------------------------------------------------------------------
function judgeAccept(receiver: Receiver, m: ChatMessage, got: unknown, want: Received, about: string, seed?: number): void {
  const shape = shapeProblem(got, m.room);
  if (shape !== undefined) throw new CheckFailure(`${about}accept(seq ${m.seq}) in room ${m.room}: ${shape}.`, { hint: 'Return { receiver: withRoom(receiver, room, newState), show }; for a duplicate, { receiver, show: [] }.', seed });
  const g = got as Received;
  if (isDeepStrictEqual(normal(g), normal(want))) return;
  const before = receiver.rooms[m.room];
  throw new CheckFailure(`${about}room ${m.room} (${roomText(before ?? { last: 0, held: [], caughtUp: false })}): seq ${m.seq} arrives.\n` +
    `Expected: ${receivedText(want, m.room)}.\nYours:    ${receivedText(g, m.room)}.`, { hint: acceptHint(receiver, m, g, want), seed });
}

function judgeGap(receiver: Receiver, room: string, from: number, to: number, got: unknown, want: Received, about: string, seed?: number): void {
  const shape = shapeProblem(got, room);
  if (shape !== undefined) {
    throw new CheckFailure(`${about}acceptGap(${room}, ${from}..${to}): ${shape}.`, { hint: 'Return { receiver, show, lost } (old news: { receiver, show: [] }).', seed });
  }
  const g = got as Received;
  if (isDeepStrictEqual(normal(g), normal(want))) return;
  throw new CheckFailure(`${about}room ${room} (${roomText(receiver.rooms[room] ?? { last: 0, held: [], caughtUp: false })}): gap notice ${from}..${to}.\n` +
    `Expected: ${receivedText(want, room)}.\nYours:    ${receivedText(g, room)}.`, { hint: gapHint(receiver, room, from, to, g, want), seed });
}

function judgeJoin(receiver: Receiver, room: string, got: unknown, want: ClientFrame, about: string, seed?: number): void {
  if (isDeepStrictEqual(got, want)) return;
  throw new CheckFailure(`${about}joining room ${room} (${roomText(receiver.rooms[room])}):\nExpected: ${JSON.stringify(want)}\nYours:    ${JSON.stringify(got)}`, { hint: joinHint(receiver, room, got), seed });
}

const freeze = <T>(x: T): T => {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) freeze(v);
  }
  return x;
};

function storyAccept(impl: ResumeImpl, rooms: Record<string, RoomReceiver>, m: ChatMessage, about: string): Received {
  const receiver = freeze({ rooms });
  const message = freeze(m);
  const got = guarded(() => impl.accept(receiver, message));
  judgeAccept(receiver, message, got, coreAccept(receiver, message), `${about}: `);
  return got;
}

function storyGap(impl: ResumeImpl, rooms: Record<string, RoomReceiver>, room: string, from: number, to: number, about: string): void {
  const receiver = freeze({ rooms });
  const got = guarded(() => impl.acceptGap(receiver, room, from, to));
  judgeGap(receiver, room, from, to, got, coreAcceptGap(receiver, room, from, to), `${about}: `);
}

// ---- Seeded chats ---------------------------------------------------------------------------------------------------
function seeds(count: number, only: number | undefined): number[] {
  return only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
}

function playOne(learner: ResumeImpl, seed: number): Stats {
  const impl: ResumeImpl = {
    joinFrame: (r, room) => guarded(() => learner.joinFrame(r, room)),
    accept: (r, m) => guarded(() => learner.accept(r, m)),
    acceptGap: (r, room, from, to) => guarded(() => learner.acceptGap(r, room, from, to)),
  };
  const at = (e: { step: number; client: string }) => `chat ${seed}, step ${e.step}, ${e.client}: `;
  try {
    return playChat(impl, seed, STEPS, {
      onCall(e: CallEvent, got, want) {
        if (e.what.kind === 'message') judgeAccept(e.receiver, e.what.message, got, want as Received, at(e), seed);
        else if (e.what.kind === 'gap') judgeGap(e.receiver, e.what.room, e.what.from, e.what.to, got, want as Received, at(e), seed);
        else judgeJoin(e.receiver, e.what.room, got, want as ClientFrame, `${at(e)}(re)connecting: `, seed);
      },
      onShow({ step, client, message, log }) {
        const cursor = client.cursor[message.room] ?? 0;
        const where = `chat ${seed}, step ${step}, ${client.name}'s screen in room ${message.room}`;
        if (message.seq <= cursor) throw new CheckFailure(`${where}: seq ${message.seq} shown again (everything up to ${cursor} is already on screen): a duplicate.`, { seed, hint: 'A seq at or below last is a duplicate: show nothing.' });
        if (message.seq > cursor + 1) throw new CheckFailure(`${where}: seq ${message.seq} shown right after ${cursor}: seq ${cursor + 1}${message.seq - 1 > cursor + 1 ? `..${message.seq - 1}` : ''} skipped (a gap).`, { seed, hint: 'Show a message only when it is last + 1; hold early ones.' });
        const real = log[message.seq - 1];
        if (!isDeepStrictEqual(real, message)) throw new CheckFailure(`${where}: seq ${message.seq} shows ${JSON.stringify(message)}, but the sequencer numbered ${JSON.stringify(real)} ${message.seq}.`, { seed, hint: 'Show the message objects you were given, unchanged.' });
      },
      onEnd({ clients, log }) {
        for (const c of Object.values(clients)) {
          for (const room of c.rooms) {
            const total = log[room]!.length;
            const cursor = c.cursor[room] ?? 0;
            if (cursor !== total) {
              const state = c.receiver.rooms[room];
              throw new CheckFailure(`chat ${seed}, at the end: ${c.name}'s screen in room ${room} stops at seq ${cursor}, but the room has ${total} messages (${roomText(state)}).`, {
                seed, hint: 'A message that never came must be asked for again: when an early message arrives while the room is caught up, return a rejoin after the last seq shown.',
              });
            }
          }
        }
      },
    });
  } catch (err) {
    if (err instanceof CheckFailure) {
      if (err.seed !== undefined) throw err;
      const failure = new CheckFailure(`chat ${seed}: ${err.message}`, { hint: err.hint, seed });
      failure.stack = err.stack;
      throw failure;
    }
    throw new CheckFailure(`chat ${seed}: your code threw: ${err instanceof Error ? err.message : String(err)}`, { seed });
  }
}

export const exercise: Exercise<ResumeImpl> = {
  title: 'Resume from a sequence number: no gap, no duplicate, across forced disconnects',
  page: 'real-time/07-chat-system.md',
  learnerFile: 'resume.ts',
  load(mod) {
    exportedFunction(mod, 'showReady', 'showReady(room)');
    return {
      joinFrame: exportedFunction(mod, 'joinFrame', 'joinFrame(receiver, room)') as ResumeImpl['joinFrame'],
      accept: exportedFunction(mod, 'accept', 'accept(receiver, message)') as ResumeImpl['accept'],
      acceptGap: exportedFunction(mod, 'acceptGap', 'acceptGap(receiver, room, from, to)') as ResumeImpl['acceptGap'],
    };
  },
  checks: [
    {
      name: 'joinFrame: a (re)join asks for everything after the last seq shown in the room (0 for a new room)',
      hint: 'joinFrame threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 1.',
      run(impl) {
        const cases: [Record<string, RoomReceiver>, string][] = [
          [{ lobby: roomState(7, [], true) }, 'lobby'],
          [{}, 'lobby'],
          [{ lobby: roomState(7, [9], false), dev: roomState(2, [], true) }, 'dev'],
          [{ lobby: roomState(3, [], true) }, 'dev'],
        ];
        for (const [rooms, room] of cases) {
          const receiver = freeze({ rooms });
          judgeJoin(receiver, room, guarded(() => impl.joinFrame(receiver, room)), coreJoinFrame(receiver, room), '');
        }
      },
    },
    {
      name: 'accept: the next seq is shown; a duplicate (already shown or already held) changes nothing',
      hint: 'accept threw (the error and its line are above): follow TODO 2, 3 and 5.',
      run(impl) {
        storyAccept(impl, {}, msg(1), 'a first message in a new room');
        storyAccept(impl, { lobby: roomState(4, [], true) }, msg(5), 'the next one, live');
        storyAccept(impl, { lobby: roomState(4, [], true) }, msg(4), 'the last one shown, again');
        storyAccept(impl, { lobby: roomState(4, [], true) }, msg(2), 'an old one, again (from a server that resent it after a reconnect)');
        storyAccept(impl, { lobby: roomState(4, [6], false) }, msg(6), 'one already held, again');
        storyAccept(impl, { lobby: roomState(4, [], true), dev: roomState(9, [], true) }, msg(10, 'dev'), 'another room');
      },
    },
    {
      name: 'accept: an early message is held until the missing ones come, then all show in order; a gap while caught up asks to rejoin',
      hint: 'accept threw (the error and its line are above): follow TODO 2, 4 and 5.',
      run(impl) {
        storyAccept(impl, { lobby: roomState(4, [], false) }, msg(6), 'seq 6 arrives before 5, while joining');
        storyAccept(impl, { lobby: roomState(4, [6], false) }, msg(5), 'then 5 comes');
        storyAccept(impl, { lobby: roomState(4, [7, 9], false) }, msg(6), 'seq 6 with 7 and 9 held (8 still missing)');
        storyAccept(impl, { lobby: roomState(4, [8], false) }, msg(6), 'seq 6 with 8 held: 6 is early too');
        storyAccept(impl, { lobby: roomState(4, [], true) }, msg(7), 'live, seq 7 arrives after 4: 5 and 6 were lost on the way');
        storyAccept(impl, { lobby: roomState(4, [7], false) }, msg(8), 'then 8, while the rejoin is under way');
      },
    },
    {
      name: 'acceptGap: seq from..to are gone from history: announce them once, move past them, show what now follows',
      hint: 'acceptGap threw (the error and its line are above): follow TODO 6.',
      run(impl) {
        storyGap(impl, {}, 'lobby', 1, 40, 'a new client; the server keeps only 41 onwards');
        storyGap(impl, { lobby: roomState(12, [], true) }, 'lobby', 13, 40, 'back after a long time away');
        storyGap(impl, { lobby: roomState(12, [41, 42, 44], false) }, 'lobby', 13, 40, 'the notice comes after 41, 42 and 44 (out of order)');
        storyGap(impl, { lobby: roomState(12, [], false) }, 'lobby', 5, 20, 'the notice overlaps what is on screen');
        storyGap(impl, { lobby: roomState(50, [], true) }, 'lobby', 13, 40, 'the same notice, late');
      },
    },
    {
      name: `${CHATS} seeded chats (two servers, four clients, forced disconnects and server restarts, frames late, twice and out of order, short history): every client shows each room's messages exactly as the sequencer numbered them, no gap, no duplicate`,
      hint: 'Your code threw during a chat: replay it alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        const total: Stats = { messages: 0, disconnects: 0, restarts: 0, duplicates: 0, held: 0, rejoins: 0, lost: 0 };
        const list = seeds(CHATS, only);
        for (const seed of list) {
          const s = playOne(impl, seed);
          for (const k of Object.keys(total) as (keyof Stats)[]) total[k] += s[k];
        }
        return `${list.length === 1 ? '1 chat' : `${num(list.length)} chats`}: ${num(total.messages)} messages sequenced; ${num(total.disconnects)} forced disconnects, ${num(total.restarts)} server restarts; ` +
          `your receiver dropped ${num(total.duplicates)} duplicates, held ${num(total.held)} early messages, asked to rejoin ${num(total.rejoins)} times, ` +
          `and skipped ${num(total.lost)} messages that a gap notice announced; every screen ended equal to the sequencer's log`;
      },
    },
  ],
};
