// A simulated network that loses messages, reproducibly.
//
// Real networks drop packets, and a dropped reply looks exactly like a dropped request to the sender: both
// are silence. To test code against that, we need the losses on demand and the same losses every time a test
// runs. So every "random" decision here comes from a seeded generator: the same seed gives the same drops,
// the same amounts and the same retry delays. A failing run prints its seed; run that seed again and you get
// the same failure (the idea behind MIT 6.5840's labrpc, minus its unseeded randomness).
//
// Time is simulated too: a retry "waits" by adding to a counter, so thousands of runs take milliseconds.

import { mulberry32 } from '../../shared/random.ts';
import { retryDelay, type RetryPolicy } from '../core/retry.ts';

// #region network
/** What happens to one send: the request is lost, or it arrives and the reply is lost, or both get through. */
export type Fate = 'deliver' | 'drop-request' | 'drop-reply';

export interface LossyNetworkOptions {
  seed: number;
  /** Chance in [0, 1] that a request never reaches the server. */
  dropRequestRate?: number;
  /** Chance in [0, 1] that the server handles a request but its reply never reaches the client. */
  dropReplyRate?: number;
  /** Fates for the first sends, in order, before random ones are drawn: for scripted scenarios. */
  script?: Fate[];
}

/** What the client sees. For a lost reply, `sentReply` records what the server did send (the client never does). */
export type Delivery<Reply> =
  | { fate: 'drop-request' }
  | { fate: 'drop-reply'; sentReply: Reply }
  | { fate: 'deliver'; reply: Reply };

export interface LossyNetwork {
  readonly seed: number;
  /** The shared seeded generator, also used for amounts and retry jitter so one seed fixes the whole run. */
  random(): number;
  /** Send one request to `server` (a function that handles it and returns a reply) through the network. */
  send<Req, Reply>(server: (request: Req) => Reply, request: Req): Delivery<Reply>;
  /** Every send so far with its fate, for explaining a failure. */
  readonly log: Fate[];
}

export function createLossyNetwork(options: LossyNetworkOptions): LossyNetwork {
  const random = mulberry32(options.seed);
  const script = [...(options.script ?? [])];
  const log: Fate[] = [];
  const nextFate = (): Fate => {
    const scripted = script.shift();
    if (scripted !== undefined) return scripted;
    if (random() < (options.dropRequestRate ?? 0)) return 'drop-request';
    if (random() < (options.dropReplyRate ?? 0)) return 'drop-reply';
    return 'deliver';
  };
  return {
    seed: options.seed,
    random,
    log,
    send(server, request) {
      const fate = nextFate();
      log.push(fate);
      if (fate === 'drop-request') return { fate }; // the server never sees it
      const reply = server(request); // the server DID handle it, whatever happens to the reply
      return fate === 'drop-reply' ? { fate, sentReply: reply } : { fate, reply };
    },
  };
}
// #endregion network

// #region retries
export interface RetryOutcome<Reply> {
  /** The reply the client finally got, or null if it gave up. */
  reply: Reply | null;
  attempts: number;
  /** Simulated time spent waiting between attempts (no real waiting happens). */
  waitedMs: number;
}

/** The client's side of at-least-once delivery: send the SAME request until a reply comes back. */
export function sendWithRetries<Req, Reply>(
  network: LossyNetwork,
  server: (request: Req) => Reply,
  request: Req,
  policy: RetryPolicy,
): RetryOutcome<Reply> {
  let waitedMs = 0;
  for (let attempt = 1; ; attempt++) {
    const delivery = network.send(server, request);
    if (delivery.fate === 'deliver') return { reply: delivery.reply, attempts: attempt, waitedMs };
    // Silence. Lost request or lost reply? The client cannot tell; all it can do is wait and retry.
    const delay = retryDelay(policy, attempt, network.random());
    if (delay === null) return { reply: null, attempts: attempt, waitedMs };
    waitedMs += delay;
  }
}
// #endregion retries

/** Run `check` and, if it throws, say which seed failed so the run can be replayed exactly. */
export function withSeed<T>(seed: number, check: () => T): T {
  try {
    return check();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`[seed ${seed}] ${message}\n  (rerun with seed ${seed} to get the same drops)`);
  }
}
