// Exercise 06: a room's fan-out with a bounded queue per client and a slow-consumer policy. The learner writes
// offer(queue, limit), flushed(queue, count) and fanOut(queues, members, limit).
//
// No expected answer is written here: each comes from the chat core's own fanout.ts (offer, flushed), and a
// fan-out's from core offer folded over the room's members (room.ts: referenceFanOut). The checks:
//  1-3. small cases, one part of the task each: offer at every fill level (below, at the limit, dropped);
//       flushed (room again, never below zero, dropped stays dropped); fanOut of one message to a room with a
//       full member, a dropped member, a member listed first, non-members;
//  4.   seeded rooms (room.ts): clients of different speeds, stalls, drops, reconnects with catch-up, all
//       through the learner's three functions. At every call the answer must be the core's; on top, the
//       properties the issue names: fast clients get every message in order, a slow client is dropped once,
//       at the limit, and gets nothing after, the others are unaffected, and after the quiet spell every
//       client holds every message (a dropped client resumes and loses nothing).
// A failure names the client, the seq and the queue, and the hint names the likely mistake.
import { isDeepStrictEqual } from 'node:util';
import { flushed as coreFlushed, offer as coreOffer, type ClientQueue } from '../../chat/core/fanout.ts';
import { callLearner, CheckFailure, exportedFunction, num, type Exercise } from '../types.ts';
import { playRoom, referenceFanOut, type Action, type Client, type FanOut, type FanoutImpl, type Stats } from './room.ts';

const ROOMS = 200;
const STEPS = 80;

// ---- Showing things -------------------------------------------------------------------------------------------
const q = (queue: unknown): string => {
  if (typeof queue !== 'object' || queue === null) return String(queue);
  const { queued, dropped } = queue as Partial<ClientQueue>;
  const extra = Object.keys(queue).filter((k) => k !== 'queued' && k !== 'dropped');
  return `{ queued: ${String(queued)}, dropped: ${String(dropped)}${extra.length > 0 ? `, ${extra.join(', ')}: ...` : ''} }`;
};
const offered = (r: unknown): string => {
  if (typeof r !== 'object' || r === null) return String(r);
  const { queue, action } = r as { queue?: unknown; action?: unknown };
  return `{ queue: ${q(queue)}, action: ${typeof action === 'string' ? `'${action}'` : String(action)} }`;
};
const names = (xs: unknown): string => (Array.isArray(xs) ? `[${xs.join(', ')}]` : String(xs));

// ---- Calling the learner's code -------------------------------------------------------------------------------
const NOT_WRITTEN = 'Start with TODO 1 in fanout.ts: offer one frame to one queue (ignore when dropped, drop when full, ' +
  'else send and count it). Then TODO 2 (flushed) and TODO 3 (fanOut: offer to each member in turn).';

const MUTATED =
  'Do not change the queue (or the queues) you are given: the server may still hold them. Return a new object instead, e.g. { ...queue, queued: queue.queued + 1 }.';

const guarded = <T>(f: () => T): T => callLearner(f, { notWritten: NOT_WRITTEN, mutated: MUTATED });

// ---- offer -------------------------------------------------------------------------------------------------------
function offerHint(queue: ClientQueue, limit: number, got: unknown, want: { queue: ClientQueue; action: Action }): string {
  const g = (typeof got === 'object' && got !== null ? got : {}) as { queue?: ClientQueue; action?: unknown };
  if (g.action !== 'send' && g.action !== 'drop' && g.action !== 'ignore') return "offer returns { queue, action } with action 'send', 'drop' or 'ignore'.";
  if (g.action !== want.action) {
    if (want.action === 'ignore') {
      return g.action === 'drop'
        ? 'This client was already dropped: its close is under way. Dropping it again means a second close and a second reconnect for one slow spell. Check `dropped` first and answer \'ignore\'.'
        : 'This client was already dropped: it gets nothing more (it will reconnect and resume from its last seq). Check `dropped` first and answer \'ignore\'.';
    }
    if (want.action === 'drop') {
      return `The queue is full (${queue.queued} of ${limit}): sending lets it grow past its bound, which is exactly how one slow client eats a server's memory. At queued >= limit, drop the client.`;
    }
    return queue.queued === limit - 1
      ? `${queue.queued} of ${limit} frames queued: there is room for one more. Drop only when queued has REACHED the limit (queued >= limit), not one before.`
      : `${queue.queued} of ${limit} frames queued: below the limit the frame is sent.`;
  }
  if (want.action === 'send') return 'A sent frame is counted: the new queue has queued + 1 (it stays counted until flushed says the socket wrote it).';
  if (want.action === 'drop') return 'A dropped client is remembered: the new queue has dropped: true (so later offers are ignored); the frame is not counted, it never reaches the socket.';
  return 'An ignored offer changes nothing: return the same queue.';
}

function checkOffer(impl: FanoutImpl, queue: ClientQueue, limit: number, about: string, seed?: number): { queue: ClientQueue; action: Action } {
  const given = Object.freeze({ ...queue });
  const got = guarded(() => impl.offer(given, limit));
  const want = coreOffer(given, limit);
  if (!isDeepStrictEqual(got, want)) {
    throw new CheckFailure(`${about}offer(${q(queue)}, ${limit}):\nExpected: ${offered(want)}\nYours:    ${offered(got)}`, { hint: offerHint(queue, limit, got, want), seed });
  }
  return got;
}

// ---- flushed -----------------------------------------------------------------------------------------------------
function flushedHint(queue: ClientQueue, count: number, got: unknown, want: ClientQueue): string {
  const g = (typeof got === 'object' && got !== null ? got : {}) as Partial<ClientQueue>;
  if (g.dropped === false && want.dropped) return 'flushed brought a dropped client back. Writing out the frames it already had does not make it fast again: it stays dropped until it reconnects (with a fresh queue), so it gets nothing more on this connection.';
  if (g.dropped !== want.dropped) return 'flushed does not change `dropped`: copy it over ({ ...queue, queued: ... }).';
  if (typeof g.queued === 'number' && g.queued < 0) return `${count} frames written with ${queue.queued} queued: never go below zero (Math.max(0, queued - count)). A negative count would let the queue grow past its bound later.`;
  if (g.queued === queue.queued) return 'The socket wrote frames, so fewer are queued: subtract count.';
  return `queued ${queue.queued} - count ${count} = ${want.queued}.`;
}

function checkFlushed(impl: FanoutImpl, queue: ClientQueue, count: number, about: string, seed?: number): ClientQueue {
  const given = Object.freeze({ ...queue });
  const got = guarded(() => impl.flushed(given, count));
  const want = coreFlushed(given, count);
  if (!isDeepStrictEqual(got, want)) {
    throw new CheckFailure(`${about}flushed(${q(queue)}, ${count}):\nExpected: ${q(want)}\nYours:    ${q(got)}`, { hint: flushedHint(queue, count, got, want), seed });
  }
  return got;
}

// ---- fanOut ------------------------------------------------------------------------------------------------------
function actionIn(result: FanOut, member: string): Action | 'both' {
  const s = result.send.includes(member);
  const d = result.drop.includes(member);
  return s && d ? 'both' : s ? 'send' : d ? 'drop' : 'ignore';
}

/** What is wrong with a fan-out, as a sentence about one member and a hint; undefined when it equals the core's. */
function fanOutProblem(queues: Readonly<Record<string, ClientQueue>>, members: readonly string[], limit: number, got: unknown, want: FanOut, seq: string, history?: Readonly<Record<string, Client>>): { message: string; hint: string } | undefined {
  const g = got as FanOut;
  if (typeof got !== 'object' || got === null || typeof g.queues !== 'object' || g.queues === null || !Array.isArray(g.send) || !Array.isArray(g.drop)) {
    return { message: `fanOut returned ${JSON.stringify(got)}`, hint: 'fanOut returns { queues, send, drop }: every queue (members\' new ones, others\' unchanged), and the members sent the message and dropped.' };
  }
  const when = (m: string) => (history?.[m]?.droppedAt != null ? ` at seq ${history[m]!.droppedAt}` : '');
  for (const m of members) {
    const before = queues[m]!;
    const mine = actionIn(g, m);
    const theirs = actionIn(want, m);
    if (mine === theirs) continue;
    const fill = `${before.queued} of ${limit} frames queued`;
    if (mine === 'both') return { message: `${m} is in both send and drop for ${seq}.`, hint: 'Each member gets one action: sent, dropped, or (already dropped) neither.' };
    if (before.dropped && mine === 'send') {
      return { message: `${m} was dropped${when(m)} (its queue was full), and your fanOut still sent it ${seq}.`, hint: 'A dropped client gets nothing more on this connection: it is being closed, and it will reconnect and resume from its last seq. offer must answer \'ignore\' when queue.dropped is set.' };
    }
    if (before.dropped && mine === 'drop') {
      return { message: `${m} was dropped${when(m)}, and your fanOut dropped it again for ${seq}.`, hint: 'Drop a client once: one close, one reconnect. Later offers to a dropped queue are ignored (neither send nor drop).' };
    }
    if (mine === 'drop') return { message: `${m} was dropped at ${seq} with ${fill}.`, hint: before.queued === limit - 1 ? `There was room for one more: drop only when queued has reached the limit (queued >= limit).` : 'Only a full queue makes a slow consumer.' };
    if (mine === 'send' && theirs === 'drop') return { message: `${m} was sent ${seq} with its queue full (${fill}).`, hint: 'A full queue would grow past its bound: drop the client (it reconnects and resumes) instead of queueing more.' };
    // The member got nothing but should have.
    const earlier = members.slice(0, members.indexOf(m)).filter((x) => theirs !== 'ignore' && actionIn(want, x) === 'drop');
    if (earlier.length > 0) {
      return { message: `${m} (${fill}) got nothing for ${seq}, after ${earlier.join(', ')} was dropped in the same fan-out.`, hint: 'A slow client must not stop the others: after a drop, go on with the next member (no break, no return).' };
    }
    return { message: `${m} (${fill}) got nothing for ${seq}; it should have been ${theirs === 'send' ? 'sent it' : 'dropped'}.`, hint: 'Offer the message to EVERY member, in order, and list each in send or drop by its action.' };
  }
  const stranger = [...g.send, ...g.drop].find((m) => !members.includes(m));
  if (stranger !== undefined) return { message: `${stranger} is not a member of the room, yet it is in send or drop for ${seq}.`, hint: 'Only the room\'s members get its messages: loop over `members`, not over every queue.' };
  for (const m of Object.keys(want.queues)) {
    if (!isDeepStrictEqual(g.queues[m], want.queues[m])) {
      const member = members.includes(m);
      return {
        message: `${m}'s queue after ${seq}: expected ${q(want.queues[m])}, yours ${q(g.queues[m])}${member ? '' : ` (${m} is not a member of this room)`}.`,
        hint: member ? 'Keep the queue each offer returns for its member (queues[member] = offered.queue).' : 'Clients outside the room keep their queue as it is: start from a copy of all the queues ({ ...queues }).',
      };
    }
  }
  const extra = Object.keys(g.queues).filter((m) => !(m in want.queues));
  if (extra.length > 0) return { message: `your queues have ${extra.join(', ')}, which were not given.`, hint: 'Return the queues you were given (members\' updated), nothing else.' };
  if (!isDeepStrictEqual(g.send, want.send) || !isDeepStrictEqual(g.drop, want.drop)) {
    return { message: `for ${seq}: expected send ${names(want.send)}, drop ${names(want.drop)}; yours send ${names(g.send)}, drop ${names(g.drop)}.`, hint: 'List the members in the order they are given, each once.' };
  }
  return undefined;
}

function story(impl: FanoutImpl, queues: Record<string, ClientQueue>, members: string[], limit: number, about: string): FanOut {
  const given = Object.freeze(Object.fromEntries(Object.entries(queues).map(([k, v]) => [k, Object.freeze({ ...v })])));
  const list = Object.freeze([...members]);
  const got = guarded(() => impl.fanOut(given, list, limit));
  const want = referenceFanOut(given, list, limit);
  const problem = fanOutProblem(given, list, limit, got, want, 'the message');
  if (problem !== undefined) {
    const shown = Object.entries(given).map(([k, v]) => `${k} ${q(v)}`).join(', ');
    throw new CheckFailure(`${about}: limit ${limit}, members [${members.join(', ')}], queues ${shown}.\n${problem.message}\n` +
      `Expected: send ${names(want.send)}, drop ${names(want.drop)}.\nYours:    ${typeof got === 'object' && got !== null ? `send ${names(got.send)}, drop ${names(got.drop)}` : String(got)}.`, { hint: problem.hint });
  }
  return got;
}

// ---- Seeded rooms ------------------------------------------------------------------------------------------------
function seeds(count: number, only: number | undefined): number[] {
  return only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
}

function playOne(learner: FanoutImpl, seed: number): Stats {
  const impl: FanoutImpl = {
    offer: (queue, limit) => guarded(() => learner.offer(queue, limit)),
    flushed: (queue, count) => guarded(() => learner.flushed(queue, count)),
    fanOut: (queues, members, limit) => guarded(() => learner.fanOut(queues, members, limit)),
  };
  const at = (step: number) => `room ${seed}, step ${step}: `;
  try {
    return playRoom(impl, seed, STEPS, {
      onFanOut(e, got, want) {
        const problem = fanOutProblem(e.queues, e.members, e.limit, got, want, `seq ${e.seq}`, e.clients);
        if (problem !== undefined) {
          const shown = e.members.map((m) => `${m} ${q(e.queues[m])}`).join(', ');
          throw new CheckFailure(`${at(e.step)}fanOut of seq ${e.seq}, limit ${e.limit}, members ${shown}:\n${problem.message}`, { hint: problem.hint, seed });
        }
      },
      onOffer(e) {
        checkOffer(impl, e.queue, e.limit, `${at(e.step)}${e.client} reconnected and is catching up; seq ${e.seq}: `, seed);
      },
      onFlushed(e) {
        checkFlushed(impl, e.queue, e.count, `${at(e.step)}${e.client}'s socket wrote ${e.count} frame${e.count === 1 ? '' : 's'}: `, seed);
      },
      onReceive(e) {
        const before = e.client.received.at(-2) ?? 0;
        if (e.seq !== before + 1) {
          throw new CheckFailure(`${at(e.step)}${e.client.name} received seq ${e.seq} after seq ${before}: ${e.seq <= before ? 'a duplicate or out of order' : `seq ${before + 1} is missing`}.`, {
            seed, hint: 'Each client\'s frames must go to its socket in seq order, each once: offer every message to every member, and nothing to a dropped one.',
          });
        }
      },
      onEnd(e) {
        for (const c of Object.values(e.clients)) {
          if (c.name === 'c1' && c.drops > 0) {
            throw new CheckFailure(`room ${seed}: c1's socket writes every frame at once, yet it was dropped.`, { seed, hint: 'A fast client never fills its queue, if flushed frees room: subtract the written frames from queued.' });
          }
          if (c.received.length !== e.messages) {
            throw new CheckFailure(`room ${seed}: after the quiet spell ${c.name} holds ${c.received.length} of the room's ${e.messages} messages (up to seq ${c.received.at(-1) ?? 0}).`, {
              seed, hint: 'A dropped client must be able to resume: it reconnects with a fresh queue and is sent what it missed. Check that drop happens only at the limit and that flushed frees room.',
            });
          }
        }
      },
    });
  } catch (err) {
    if (err instanceof CheckFailure) {
      if (err.seed !== undefined) throw err;
      const failure = new CheckFailure(`room ${seed}: ${err.message}`, { hint: err.hint, seed });
      failure.stack = err.stack;
      throw failure;
    }
    throw new CheckFailure(`room ${seed}: your code threw: ${err instanceof Error ? err.message : String(err)}`, { seed });
  }
}

export const exercise: Exercise<FanoutImpl> = {
  title: 'A room fan-out with a bounded queue per client and a slow-consumer policy',
  page: 'real-time/06-websockets-pubsub.md',
  learnerFile: 'fanout.ts',
  load(mod) {
    return {
      offer: exportedFunction(mod, 'offer', 'offer(queue, limit)') as FanoutImpl['offer'],
      flushed: exportedFunction(mod, 'flushed', 'flushed(queue, count)') as FanoutImpl['flushed'],
      fanOut: exportedFunction(mod, 'fanOut', 'fanOut(queues, members, limit)') as FanoutImpl['fanOut'],
    };
  },
  checks: [
    {
      name: 'offer: below the limit the frame is sent and counted; at the limit the client is dropped, once; a dropped client is ignored',
      hint: 'offer threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 1.',
      run(impl) {
        for (const limit of [1, 3, 8]) {
          for (let queued = 0; queued <= limit; queued++) {
            for (const dropped of [false, true]) checkOffer(impl, { queued, dropped }, limit, '');
          }
        }
      },
    },
    {
      name: 'flushed: the socket wrote frames, so the queue has room again (never below zero); a dropped client stays dropped',
      hint: 'flushed threw (the error and its line are above): follow TODO 2.',
      run(impl) {
        checkFlushed(impl, { queued: 3, dropped: false }, 1, '');
        checkFlushed(impl, { queued: 3, dropped: false }, 3, '');
        checkFlushed(impl, { queued: 2, dropped: false }, 5, '');
        checkFlushed(impl, { queued: 5, dropped: true }, 2, '');
        checkFlushed(impl, { queued: 1, dropped: true }, 1, '');
        // A full queue, one frame written: there is room for exactly one more.
        let queue = checkOffer(impl, { queued: 2, dropped: false }, 3, 'a queue one below the limit: ').queue;
        queue = checkFlushed(impl, queue, 1, 'then the socket wrote one: ');
        checkOffer(impl, queue, 3, 'then the next message: ');
      },
    },
    {
      name: 'fanOut: every member below the limit gets the message; a full one is dropped once; nobody waits for a slow one',
      hint: 'fanOut threw (the error and its line are above): follow TODO 3.',
      run(impl) {
        const free = { queued: 0, dropped: false };
        story(impl, { a: free, b: { queued: 1, dropped: false }, c: free }, ['a', 'b', 'c'], 3, 'three members with room');
        story(impl, { a: free, b: { queued: 3, dropped: false }, c: { queued: 2, dropped: false } }, ['a', 'b', 'c'], 3, 'b is full');
        story(impl, { slow: { queued: 3, dropped: false }, a: free, b: free }, ['slow', 'a', 'b'], 3, 'the full member comes first');
        story(impl, { a: free, gone: { queued: 3, dropped: true }, b: free }, ['a', 'gone', 'b'], 3, '"gone" was dropped by an earlier message');
        story(impl, { a: free, b: free, other: { queued: 2, dropped: false } }, ['a', 'b'], 3, '"other" has a queue but is not in this room');
        story(impl, { a: free }, [], 3, 'an empty room');
        story(impl, { a: free, b: { queued: 1, dropped: false } }, ['a', 'b'], 1, 'limit 1');
      },
    },
    {
      name: `${ROOMS} seeded rooms (clients of different speeds, stalls, drops, reconnects): fast clients get every message in order, a slow one is dropped once at the limit and gets nothing after, the others are unaffected, and every client ends with every message`,
      hint: 'Your code threw during a room: replay it alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        const total: Stats = { messages: 0, clients: 0, frames: 0, drops: 0, reconnects: 0, fastMax: 0 };
        const list = seeds(ROOMS, only);
        for (const seed of list) {
          const s = playOne(impl, seed);
          for (const k of ['messages', 'clients', 'frames', 'drops', 'reconnects'] as const) total[k] += s[k];
          total.fastMax = Math.max(total.fastMax, s.fastMax);
        }
        return `${list.length === 1 ? '1 room' : `${num(list.length)} rooms`}: ${num(total.messages)} messages to ${num(total.clients)} clients, ${num(total.frames)} frames written; ` +
          `${num(total.drops)} slow-consumer drops (each once, at the limit), ${num(total.reconnects)} reconnects that resumed with nothing lost; ` +
          `the always-fast client c1 never had more than ${total.fastMax} frame${total.fastMax === 1 ? '' : 's'} queued and was never dropped`;
      },
    },
  ],
};
