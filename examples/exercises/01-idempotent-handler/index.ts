// Exercise 1's checks. Each one plays a small story through the seeded lossy network
// (examples/messaging/sim) and looks at the account afterwards. Same seed, same drops: a failure replays, and
// `npm run check -- 01-idempotent-handler --seed N` plays random run N alone.
//
// A failing check says what it saw against what it expected (the message), then picks its hint from what the
// handler actually does (`diagnose` below probes it on fresh accounts): a handler that already looks the id
// up but never stores a reply is told to store it, not to look it up again.

import { isDeepStrictEqual } from 'node:util';
import {
  createAccount,
  type AccountState,
  type DepositHandler,
  type DepositReply,
  type DepositRequest,
} from '../../messaging/core/account.ts';
import { runDepositScenario } from '../../messaging/sim/deposit-scenario.ts';
import { CheckFailure, exportedFunction, type Exercise } from '../types.ts';

const deposit = (requestId: string, amount: number): DepositRequest => ({ type: 'deposit', requestId, amount });
const show = (value: unknown) => (value === undefined ? 'undefined' : JSON.stringify(value));
const RANDOM_RUNS = 300;

/** What the handler does with state.replies, found by probing it on fresh accounts. */
interface Diagnosis {
  /** A requestId seen by one account is skipped by another, fresh one: the memory lives outside `state`. */
  sharedMemory: boolean;
  /** After a new deposit, state.replies[id] holds something. */
  stores: boolean;
  /** ...and it is exactly the reply the handler returned. */
  storesItsReply: boolean;
  /** With a reply already stored under an id, a repeat of that id leaves the balance alone. */
  skipsKnown: boolean;
  /** ...and returns the stored reply as it is. */
  returnsStored: boolean;
  /** What the probes saw, for the hint. */
  storedAfterNew: unknown;
  returnedForNew: unknown;
  returnedForKnown: unknown;
}

let probes = 0; // fresh ids for every probe, in case the handler keeps memory of its own between calls

function diagnose(handle: DepositHandler): Diagnosis | undefined {
  try {
    probes += 1;
    const fresh = createAccount();
    const returnedForNew = structuredClone(handle(fresh, deposit(`probe-new-${probes}`, 10)));
    const storedAfterNew = fresh.replies[`probe-new-${probes}`];

    const other = createAccount();
    handle(other, deposit(`probe-new-${probes}`, 10));
    const sharedMemory = other.balance === 0;

    const known = createAccount(10);
    const stored: DepositReply = { ok: true, type: 'deposited', requestId: `probe-known-${probes}`, amount: 10, balance: 10 };
    known.replies[`probe-known-${probes}`] = structuredClone(stored);
    const returnedForKnown = handle(known, deposit(`probe-known-${probes}`, 10));
    return {
      sharedMemory,
      stores: storedAfterNew !== undefined,
      storesItsReply: isDeepStrictEqual(storedAfterNew, returnedForNew),
      skipsKnown: known.balance === 10,
      returnsStored: isDeepStrictEqual(returnedForKnown, stored),
      storedAfterNew,
      returnedForNew,
      returnedForKnown,
    };
  } catch {
    return undefined; // the handler throws: the check's own message and fixed hint say more
  }
}

/** The next step for a handler that gets state.replies wrong, or undefined when the probes find nothing wrong. */
function nextStep(handle: DepositHandler): string | undefined {
  const d = diagnose(handle);
  if (d === undefined) return undefined;
  if (d.sharedMemory) {
    return 'A deposit applied to one account made a second, fresh account skip the same requestId: your handler keeps its ' +
      'memory outside `state` (a variable at the top of the file?), shared by every account and every run. Keep it in ' +
      'state.replies, which belongs to the one account the request is for.';
  }
  if (!d.stores && !d.skipsKnown) {
    return 'Nothing is remembered yet: after a first deposit, state.replies is still {}, and the handler never reads it. ' +
      'Both halves are missing. Start with the reading half: at the top, a requestId found in state.replies must return ' +
      'that stored reply before anything changes; then make every newly applied deposit leave its reply there.';
  }
  if (!d.stores) {
    return 'Your lookup works: a requestId already in state.replies gets the stored reply and the balance stays put. ' +
      'But nothing ever gets INTO state.replies: after a new deposit it is still empty, so no real retry is ' +
      'ever recognised. Store the reply under request.requestId right before you return it.';
  }
  if (!d.skipsKnown) {
    return `Your handler stores replies (after a new deposit of 10 it holds ${show(d.storedAfterNew)}), ` +
      'but it never checks them: a requestId that is already there is added to the balance again. Read ' +
      'state.replies[request.requestId] at the very top, and return it when it is defined, before validateDeposit and ' +
      'before the balance changes.';
  }
  if (!d.storesItsReply) {
    return `What you store is not what you return: for a new deposit the handler returned ${show(d.returnedForNew)} ` +
      `but state.replies holds ${show(d.storedAfterNew)}. A retry will get the stored value, so store the very reply you return.`;
  }
  if (!d.returnsStored) {
    return `For a known requestId the balance stays put, good, but the handler answers ${show(d.returnedForKnown)} instead of the ` +
      'stored reply. Return state.replies[request.requestId] itself; a reply built again shows today\'s balance, not the one ' +
      'the first attempt saw.';
  }
  return undefined;
}

function fail(handle: DepositHandler, message: string, fallback: string): never {
  throw new CheckFailure(message, { hint: nextStep(handle) ?? fallback });
}

/** One arrival at the server, for telling the learner what happened first in a random run. */
interface Arrival { request: DepositRequest; repeat: boolean; before: number; after: number; reply: DepositReply }

export const exercise: Exercise<DepositHandler> = {
  title: 'Make the deposit handler idempotent',
  page: 'fundamentals/01-what-is-ds.md',
  learnerFile: 'idempotent-handler.ts',
  load(mod) {
    return exportedFunction(mod, 'handleDeposit', 'handleDeposit(state, request)') as DepositHandler;
  },
  checks: [
    {
      name: 'a deposit whose REPLY was lost is applied once when the client retries',
      hint: 'The handler threw instead of answering. Every request gets a reply object: a deposit, a stored reply, or a refusal.',
      run(handle) {
        // The network loses the first reply; the client retries and the second reply gets through.
        const r = runDepositScenario(handle, { seed: 1, deposits: 1, dropRequestRate: 0, dropReplyRate: 0, script: ['drop-reply', 'deliver'] });
        const amount = r.requests[0]!.amount;
        if (r.state.balance !== amount) {
          fail(
            handle,
            `one deposit of ${amount}; its reply was lost, so the client sent it again. ` +
              `Balance is ${r.state.balance}, should be ${amount}` +
              (r.state.balance === 2 * amount ? ': the retry was applied a second time.' : '.'),
            'The balance is off although your handler reads and writes state.replies correctly on its own: does it change the balance anywhere else, or apply a deposit before its lookup?',
          );
        }
      },
    },
    {
      name: 'a retry gets the SAME reply as the first attempt, even after other deposits',
      hint: 'The handler threw instead of answering a retry. A retry must get the stored reply back, not an error.',
      run(handle) {
        const state = createAccount();
        const first = structuredClone(handle(state, deposit('a', 30))); // this reply is lost in the network...
        handle(state, deposit('b', 12)); // ...meanwhile another deposit is applied...
        const again = handle(state, deposit('a', 30)); // ...and then the retry of "a" arrives.
        if (!isDeepStrictEqual(again, first)) {
          const stored = state.replies['a'];
          fail(
            handle,
            `the first reply to "a" was ${show(first)} but its retry got ${show(again)}`,
            isDeepStrictEqual(stored, first)
              ? `state.replies["a"] does hold the first reply, ${show(stored)}, yet the retry got something else: return that stored object instead of building a reply again.`
              : `state.replies["a"] is ${show(stored)} by the time the retry arrives, not the first reply: something overwrites it. Only a requestId's FIRST application may store a reply.`,
          );
        }
        if (state.balance !== 42) {
          fail(handle, `deposits of 30 and 12 (one retried): balance is ${state.balance}, should be 42`,
            'The replies are right but the balance is not: does the retry path still change state.balance?');
        }
      },
    },
    {
      name: 'two DIFFERENT deposits of the same amount are both applied',
      hint: 'The handler threw on a second deposit of the same amount. Two requestIds are two deposits, whatever their amounts.',
      run(handle) {
        const state = createAccount();
        const one = handle(state, deposit('x-1', 50));
        const two = handle(state, deposit('x-2', 50));
        if (!one.ok || !two.ok || state.balance !== 100) {
          const keys = Object.keys(state.replies);
          const byAmount = keys.some((k) => k.includes('50') && !k.includes('x-'));
          throw new CheckFailure(
            `two deposits of 50 with requestIds "x-1" and "x-2": replies ${show(one)} and ${show(two)}, balance ${state.balance}, should be 100`,
            {
              hint: byAmount
                ? `state.replies has the keys ${show(keys)}: replies are filed under the amount, so the second deposit of 50 looked like a retry of the first. File them under request.requestId.`
                : `state.replies has the keys ${show(keys)} after two different deposits; x-2 was taken for a retry of x-1. A retry is recognised by its requestId only, never by its amount or by "same as the last request".`,
            },
          );
        }
      },
    },
    {
      name: 'a deposit whose REQUEST was lost is applied once when the client retries',
      hint: 'The handler threw on a request it had never seen. A new requestId must be validated and applied as before.',
      run(handle) {
        const r = runDepositScenario(handle, { seed: 2, deposits: 1, dropRequestRate: 0, dropReplyRate: 0, script: ['drop-request', 'deliver'] });
        const amount = r.requests[0]!.amount;
        if (r.state.balance !== amount) {
          throw new CheckFailure(
            `one deposit of ${amount} ("${r.requests[0]!.requestId}"); the first request was lost, the retry arrived on a fresh account. Balance is ${r.state.balance}, should be ${amount}.`,
            {
              hint: r.state.balance === 0
                ? `The server saw "${r.requests[0]!.requestId}" only once, yet treated it as a repeat. Does your handler remember ids somewhere outside state (a variable at the top of the file)? ` +
                  'Then an earlier check\'s deposits count as seen here. Keep the memory in state.replies, which belongs to this one account.'
                : 'The one arrival of this deposit was not applied exactly once: after a lost request there is nothing to skip, the retry is the first time the server sees it.',
            },
          );
        }
      },
    },
    {
      name: 'a repeated request leaves the state exactly as it was',
      hint: 'The handler threw on a repeated request. A repeat must be answered, from state.replies.',
      run(handle) {
        const state = createAccount();
        handle(state, deposit('r-1', 25));
        // Compared as JSON: the state is plain data, and a copy would not keep replies' null prototype.
        const before = { balance: state.balance, replies: show(state.replies) };
        handle(state, deposit('r-1', 25));
        if (state.balance !== before.balance || show(state.replies) !== before.replies) {
          const changed = [
            state.balance !== before.balance ? `balance ${before.balance} → ${state.balance}` : '',
            show(state.replies) !== before.replies ? `replies ${before.replies} → ${show(state.replies)}` : '',
          ].filter((s) => s !== '');
          fail(
            handle,
            `the repeat of "r-1" changed the state: ${changed.join(', ')}`,
            state.balance === before.balance
              ? 'The balance is right, but the repeat rewrote state.replies. The stored reply is the record of the first attempt: once written, leave it alone.'
              : 'The repeat reached a line that writes to state. For a known requestId, return before validateDeposit and before the balance changes.',
          );
        }
      },
    },
    {
      name: `over ${RANDOM_RUNS} seeded lossy runs, the balance is the sum of distinct deposits and every retry gets the first reply`,
      hint: 'The handler threw during a random run. Replay that run alone with the command below and read the error there.',
      seeded: true,
      run(handle, { seed: only } = {}) {
        const seeds = only === undefined ? Array.from({ length: RANDOM_RUNS }, (_, i) => i + 1) : [only];
        for (const seed of seeds) {
          const arrivals: Arrival[] = [];
          const seen = new Set<string>();
          const traced: DepositHandler = (state: AccountState, request) => {
            const before = state.balance;
            const reply = handle(state, request);
            arrivals.push({ request, repeat: seen.has(request.requestId), before, after: state.balance, reply: structuredClone(reply) });
            seen.add(request.requestId);
            return reply;
          };
          let r: ReturnType<typeof runDepositScenario>;
          try {
            r = runDepositScenario(traced, { seed, deposits: 20, dropRequestRate: 0.2, dropReplyRate: 0.3 });
          } catch (err) {
            throw new CheckFailure(`random run ${seed}: ${err instanceof Error ? err.message : String(err)}`, { seed });
          }
          const lostRequests = r.fates.filter((f) => f === 'drop-request').length;
          const lostReplies = r.fates.filter((f) => f === 'drop-reply').length;
          const story = `random run ${seed} (20 deposits; the network lost ${lostRequests} requests and ${lostReplies} replies, ${r.repeatArrivals} retries reached the server)`;
          // The first arrival that went wrong: a retry that moved the balance, or a new deposit that did not.
          const first = arrivals.find((a) => (a.repeat ? a.after !== a.before : a.after !== a.before + a.request.amount));
          if (r.state.balance !== r.distinctSum) {
            throw new CheckFailure(
              `${story}: balance is ${r.state.balance}, the distinct deposits add up to ${r.distinctSum}.` +
                (first === undefined
                  ? ''
                  : `\nThe first thing that went wrong: ${first.repeat ? 'the retry of' : 'the first arrival of'} ${first.request.requestId} ` +
                    `(amount ${first.request.amount}) moved the balance from ${first.before} to ${first.after}` +
                    `${first.repeat ? `; it should have stayed ${first.before}.` : `; it should have become ${first.before + first.request.amount}.`}`),
              { seed, hint: nextStep(handle) ?? 'The one-story checks above pass, so look at what only this run has: many requestIds in one account, and retries that arrive after other deposits.' },
            );
          }
          for (const [id, reply] of Object.entries(r.clientReplies)) {
            if (!isDeepStrictEqual(reply, r.firstReplies[id])) {
              throw new CheckFailure(`${story}: ${id}: the client got ${show(reply)}, but the first reply was ${show(r.firstReplies[id])}`, {
                seed,
                hint: nextStep(handle) ?? 'The balance is right but a retry got another reply than the first attempt did: return the stored reply unchanged.',
              });
            }
          }
        }
      },
    },
    {
      name: 'an invalid amount is refused and changes nothing',
      hint: 'The handler threw on an invalid amount. validateDeposit returns a refusal object for it: return that, do not throw.',
      run(handle) {
        for (const amount of [0, -5, 2.5, Number.NaN]) {
          const state = createAccount(10);
          const reply = handle(state, deposit(`bad-${amount}`, amount));
          if (reply.ok) {
            throw new CheckFailure(`a deposit of ${amount} was accepted: ${show(reply)}`, {
              hint: 'validateDeposit(request) refuses this amount, but its refusal never reached the client: for a new requestId, call it before touching the balance and return what it returns when that is not null.',
            });
          }
          if (state.balance !== 10) {
            throw new CheckFailure(`a refused deposit of ${amount} changed the balance from 10 to ${state.balance}`, {
              hint: 'The refusal is returned, but only after the balance changed: validate first, then apply.',
            });
          }
        }
      },
    },
  ],
};
