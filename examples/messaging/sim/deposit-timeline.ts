// One deposit run, attempt by attempt: what the live example on the Session 1 page plays back.
//
// This is not a second model of the system. It runs the real scenario (./deposit-scenario.ts: the real
// handlers from ../core/account.ts behind the seeded network from ./lossy-network.ts) once per handler with
// the same options, records what each handler did on every arrival, and lines the arrivals up with the
// network's own log of fates. Because the handlers draw no random numbers, both runs get the same amounts and
// the same drops; the only difference between the two columns is the handler.
//
// Pure, like the rest of sim/: no `node:` imports, no timers, so the browser and Node build the same timeline.

import {
  handleDepositIdempotent,
  handleDepositNaive,
  type AccountState,
  type DepositHandler,
  type DepositRequest,
} from '../core/account.ts';
import { runDepositScenario, simPolicy, type ScenarioOptions, type ScenarioResult } from './deposit-scenario.ts';
import type { Fate } from './lossy-network.ts';

/** One server's numbers after an attempt. */
export interface SideAfter {
  balance: number;
  /** Did this attempt change the balance? */
  applied: boolean;
}

/** What every attempt did. `shouldBe` and `repeatArrivals` are facts about the traffic, so both sides share them. */
export interface AttemptStep {
  /** 1-based position in the run. */
  step: number;
  /** 1-based deposit number, and which attempt at that deposit this is. */
  deposit: number;
  attempt: number;
  requestId: string;
  amount: number;
  fate: Fate;
  /** Had the server already received this request id before this attempt? */
  repeat: boolean;
  /** What the client does next: send again, count the deposit as confirmed, or give up. */
  client: 'retry' | 'confirmed' | 'gave-up';
  naive: SideAfter;
  idempotent: SideAfter;
  /** The sum of the distinct deposits the server has received so far: what a correct balance is. */
  shouldBe: number;
  /** Arrivals so far beyond the first for the same request id. */
  repeatArrivals: number;
}

export interface DepositTimeline {
  options: ScenarioOptions;
  steps: AttemptStep[];
  /** The two real scenario results the steps were read from. */
  naive: ScenarioResult;
  idempotent: ScenarioResult;
}

/** A handler that reports the balance it left behind on each arrival. */
function recording(handler: DepositHandler, balances: number[]): DepositHandler {
  return (state: AccountState, request: DepositRequest) => {
    const reply = handler(state, request);
    balances.push(state.balance);
    return reply;
  };
}

export function buildDepositTimeline(options: ScenarioOptions): DepositTimeline {
  const naiveBalances: number[] = [];
  const idemBalances: number[] = [];
  const naive = runDepositScenario(recording(handleDepositNaive, naiveBalances), options);
  const idempotent = runDepositScenario(recording(handleDepositIdempotent, idemBalances), options);
  // Same seed, handlers without randomness: the network must have done the same thing to both.
  if (naive.fates.join() !== idempotent.fates.join()) {
    throw new Error(`[seed ${options.seed}] the two runs saw different fates; the handlers must not use the network's random numbers`);
  }

  const maxAttempts = (options.policy ?? simPolicy).maxAttempts;
  const steps: AttemptStep[] = [];
  const seen = new Set<string>();
  let deposit = 0;
  let attempt = 0;
  let arrival = 0;
  let shouldBe = 0;
  let repeatArrivals = 0;
  let naiveBalance = 0;
  let idemBalance = 0;

  for (const fate of naive.fates) {
    if (attempt === 0) deposit += 1;
    attempt += 1;
    const request = naive.requests[deposit - 1];
    if (request === undefined) throw new Error(`[seed ${options.seed}] more sends than deposits`);
    const repeat = seen.has(request.requestId);
    let naiveApplied = false;
    let idemApplied = false;
    if (fate !== 'drop-request') {
      // The request reached the server: both handlers ran on this arrival.
      const n = naiveBalances[arrival]!;
      const i = idemBalances[arrival]!;
      arrival += 1;
      naiveApplied = n !== naiveBalance;
      idemApplied = i !== idemBalance;
      naiveBalance = n;
      idemBalance = i;
      if (repeat) repeatArrivals += 1;
      else {
        seen.add(request.requestId);
        shouldBe += request.amount;
      }
    }
    // The client's rule (sendWithRetries): a reply ends the deposit; silence means retry, up to maxAttempts.
    const client = fate === 'deliver' ? 'confirmed' : attempt >= maxAttempts ? 'gave-up' : 'retry';
    steps.push({
      step: steps.length + 1,
      deposit,
      attempt,
      requestId: request.requestId,
      amount: request.amount,
      fate,
      repeat,
      client,
      naive: { balance: naiveBalance, applied: naiveApplied },
      idempotent: { balance: idemBalance, applied: idemApplied },
      shouldBe,
      repeatArrivals,
    });
    if (client !== 'retry') attempt = 0;
  }
  return { options, steps, naive, idempotent };
}

const FATE_TEXT: Record<Fate, string> = {
  'drop-request': 'request lost',
  'drop-reply': 'request delivered, reply lost',
  deliver: 'request delivered, reply delivered',
};

function sideText(name: string, side: SideAfter, repeat: boolean, fate: Fate): string {
  if (fate === 'drop-request') return '';
  if (side.applied) return `${name} ${repeat ? 'applied it AGAIN' : 'applied it'} (balance ${side.balance})`;
  return `${name} ${repeat ? 'saw it before, not applied' : 'did not apply it'} (balance ${side.balance})`;
}

/** One line of the step log. The browser shows exactly these lines, so Node can check them. */
export function describeStep(s: AttemptStep): string {
  const head = `${s.step}. ${s.requestId} (+${s.amount}) attempt ${s.attempt}: ${FATE_TEXT[s.fate]}`;
  const server =
    s.fate === 'drop-request'
      ? 'the servers never saw it'
      : `${sideText('naive', s.naive, s.repeat, s.fate)}, ${sideText('idempotent', s.idempotent, s.repeat, s.fate)}`;
  const client = s.client === 'retry' ? 'client hears nothing, retries' : s.client === 'confirmed' ? 'client confirmed' : 'client gives up';
  return `${head}; ${server}; ${client}`;
}
