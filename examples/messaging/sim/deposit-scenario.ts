// One client making deposits through a lossy simulated network into one account, with retries.
//
// The scenario records what actually reached the server, so a test can state the truth exactly:
// - `distinctSum`: the sum of every distinct deposit the server received at least once. That is what the
//   balance should be: each deposit the server saw, counted once.
// - `arrivedSum`: the sum over every arrival, retries included. The naive handler's balance equals this.
// With no lost replies the two are equal; every lost reply that is retried makes them drift apart.

import { createAccount, type AccountState, type DepositHandler, type DepositReply, type DepositRequest } from '../core/account.ts';
import type { RetryPolicy } from '../core/retry.ts';
import { createLossyNetwork, sendWithRetries, type Fate } from './lossy-network.ts';

export interface ScenarioOptions {
  seed: number;
  deposits: number;
  dropRequestRate: number;
  dropReplyRate: number;
  /** Fates for the first sends, before random ones (see LossyNetworkOptions.script). */
  script?: Fate[];
  policy?: RetryPolicy;
}

export interface ScenarioResult {
  seed: number;
  state: AccountState;
  requests: DepositRequest[];
  distinctSum: number;
  arrivedSum: number;
  /** Arrivals beyond the first for the same request id: retries that reached the server. */
  repeatArrivals: number;
  /** Deposits whose client never got a reply and gave up. */
  gaveUp: number;
  /** requestId -> the first reply the server produced for it (even if that reply was lost). */
  firstReplies: Record<string, DepositReply>;
  /** requestId -> the reply the client finally received. */
  clientReplies: Record<string, DepositReply>;
  fates: Fate[];
}

/** Many attempts with short simulated waits: the client in the simulation practically never gives up. */
export const simPolicy: RetryPolicy = { maxAttempts: 40, baseDelayMs: 50, maxDelayMs: 1_000 };

export function runDepositScenario(handler: DepositHandler, options: ScenarioOptions): ScenarioResult {
  const network = createLossyNetwork({
    seed: options.seed,
    dropRequestRate: options.dropRequestRate,
    dropReplyRate: options.dropReplyRate,
    ...(options.script ? { script: options.script } : {}),
  });
  const state = createAccount();
  const requests: DepositRequest[] = [];
  const seen = new Set<string>();
  const firstReplies: Record<string, DepositReply> = {};
  const clientReplies: Record<string, DepositReply> = {};
  let distinctSum = 0;
  let arrivedSum = 0;
  let repeatArrivals = 0;
  let gaveUp = 0;

  // The "server": the handler over one account, instrumented to record what arrives.
  const server = (request: DepositRequest): DepositReply => {
    arrivedSum += request.amount;
    if (seen.has(request.requestId)) {
      repeatArrivals += 1;
    } else {
      seen.add(request.requestId);
      distinctSum += request.amount;
    }
    const reply = handler(state, request);
    // Copy it, so a handler that later mutates its stored reply cannot rewrite history.
    firstReplies[request.requestId] ??= structuredClone(reply);
    return reply;
  };

  for (let i = 1; i <= options.deposits; i++) {
    // The client chooses the request id ONCE per deposit; every retry reuses it. That is the whole trick.
    const request: DepositRequest = { type: 'deposit', requestId: `deposit-${i}`, amount: 1 + Math.floor(network.random() * 100) };
    requests.push(request);
    const outcome = sendWithRetries(network, server, request, options.policy ?? simPolicy);
    if (outcome.reply === null) gaveUp += 1;
    else clientReplies[request.requestId] = outcome.reply;
  }

  return {
    seed: options.seed,
    state,
    requests,
    distinctSum,
    arrivedSum,
    repeatArrivals,
    gaveUp,
    firstReplies,
    clientReplies,
    fates: network.log,
  };
}
