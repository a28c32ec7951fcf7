// Exercise 1's checks. Each one plays a small story through the seeded lossy network
// (examples/messaging/sim) and looks at the account afterwards. Same seed, same drops: a failure replays.

import { isDeepStrictEqual } from 'node:util';
import { createAccount, type DepositHandler, type DepositRequest } from '../../messaging/core/account.ts';
import { runDepositScenario } from '../../messaging/sim/deposit-scenario.ts';
import { withSeed } from '../../messaging/sim/lossy-network.ts';
import type { Exercise } from '../types.ts';

const deposit = (requestId: string, amount: number): DepositRequest => ({ type: 'deposit', requestId, amount });
const show = (value: unknown) => JSON.stringify(value);

export const exercise: Exercise<DepositHandler> = {
  title: 'Make the deposit handler idempotent',
  page: 'fundamentals/01-what-is-ds.md',
  learnerFile: 'idempotent-handler.ts',
  load(mod) {
    if (typeof mod.handleDeposit !== 'function') {
      throw new Error('idempotent-handler.ts must export a function named handleDeposit(state, request)');
    }
    return mod.handleDeposit as DepositHandler;
  },
  checks: [
    {
      name: 'a deposit whose REPLY was lost is applied once when the client retries',
      hint: 'The retry carries the same requestId as the first attempt. Look it up in state.replies before changing the balance.',
      run(handle) {
        // The network loses the first reply; the client retries and the second reply gets through.
        const r = runDepositScenario(handle, { seed: 1, deposits: 1, dropRequestRate: 0, dropReplyRate: 0, script: ['drop-reply', 'deliver'] });
        const amount = r.requests[0]!.amount;
        if (r.state.balance !== amount) {
          throw new Error(
            `one deposit of ${amount}; its reply was lost, so the client sent it again. ` +
              `Balance is ${r.state.balance}, should be ${amount}: the retry was applied a second time.`,
          );
        }
      },
    },
    {
      name: 'a retry gets the SAME reply as the first attempt, even after other deposits',
      hint: 'Store the reply when you first apply a request, and for a repeat return that stored object. A reply built again now would show today\'s balance, not the one the first attempt saw.',
      run(handle) {
        const state = createAccount();
        const first = structuredClone(handle(state, deposit('a', 30))); // this reply is lost in the network...
        handle(state, deposit('b', 12)); // ...meanwhile another deposit is applied...
        const again = handle(state, deposit('a', 30)); // ...and then the retry of "a" arrives.
        if (!isDeepStrictEqual(again, first)) {
          throw new Error(`the first reply to "a" was ${show(first)} but its retry got ${show(again)}`);
        }
        if (state.balance !== 42) throw new Error(`deposits of 30 and 12 (one retried): balance is ${state.balance}, should be 42`);
      },
    },
    {
      name: 'two DIFFERENT deposits of the same amount are both applied',
      hint: 'Recognise a retry by its requestId, never by its amount: two people may well deposit 50 each.',
      run(handle) {
        const state = createAccount();
        const one = handle(state, deposit('x-1', 50));
        const two = handle(state, deposit('x-2', 50));
        if (!one.ok || !two.ok) throw new Error(`both deposits should succeed, got ${show(one)} and ${show(two)}`);
        if (state.balance !== 100) throw new Error(`two different deposits of 50: balance is ${state.balance}, should be 100`);
      },
    },
    {
      name: 'a deposit whose REQUEST was lost is applied once when the client retries',
      hint: 'A request the server never saw must be applied when it finally arrives: only skip ids you have already applied.',
      run(handle) {
        const r = runDepositScenario(handle, { seed: 2, deposits: 1, dropRequestRate: 0, dropReplyRate: 0, script: ['drop-request', 'deliver'] });
        const amount = r.requests[0]!.amount;
        if (r.state.balance !== amount) {
          throw new Error(`one deposit of ${amount}; the first request was lost, the retry arrived. Balance is ${r.state.balance}, should be ${amount}.`);
        }
      },
    },
    {
      name: 'a repeated request leaves the state exactly as it was',
      hint: 'For a requestId already in state.replies, return before any line that writes to state.',
      run(handle) {
        const state = createAccount();
        handle(state, deposit('r-1', 25));
        const before = show(state);
        handle(state, deposit('r-1', 25));
        if (show(state) !== before) {
          throw new Error(`the repeat of "r-1" changed the state from ${before} to ${show(state)}`);
        }
      },
    },
    {
      name: 'over 300 seeded lossy runs, the balance is the sum of distinct deposits and every retry gets the first reply',
      hint: 'Make the earlier checks pass first; they are the same stories, one at a time. The seed in the message names the random run that failed, and the same seed always loses the same messages.',
      run(handle) {
        for (let seed = 1; seed <= 300; seed++) {
          withSeed(seed, () => {
            const r = runDepositScenario(handle, { seed, deposits: 20, dropRequestRate: 0.2, dropReplyRate: 0.3 });
            if (r.state.balance !== r.distinctSum) {
              throw new Error(
                `${r.requests.length} deposits, ${r.repeatArrivals} retries reached the server: balance is ${r.state.balance}, ` +
                  `the distinct deposits add up to ${r.distinctSum}`,
              );
            }
            for (const [id, reply] of Object.entries(r.clientReplies)) {
              if (!isDeepStrictEqual(reply, r.firstReplies[id])) {
                throw new Error(`${id}: the client got ${show(reply)}, but the first reply was ${show(r.firstReplies[id])}`);
              }
            }
          });
        }
      },
    },
    {
      name: 'an invalid amount is refused and changes nothing',
      hint: 'Keep the validateDeposit call for requests you have not seen before.',
      run(handle) {
        for (const amount of [0, -5, 2.5, Number.NaN]) {
          const state = createAccount(10);
          const reply = handle(state, deposit(`bad-${amount}`, amount));
          if (reply.ok) throw new Error(`a deposit of ${amount} was accepted: ${show(reply)}`);
          if (state.balance !== 10) throw new Error(`a refused deposit of ${amount} changed the balance from 10 to ${state.balance}`);
        }
      },
    },
  ],
};
