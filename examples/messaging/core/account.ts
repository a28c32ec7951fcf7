// The account server's pure core: one balance, changed by deposit messages.
//
// Plain data in, plain data out: no `node:` imports, no timers, no clock, no randomness. The HTTP server in
// ../node/server.ts and the simulated network in ../sim/lossy-network.ts both call these functions, so the
// behaviour you test in the simulator is exactly the behaviour the real server has.
//
// Two handlers live here on purpose. `handleDepositNaive` applies every message it receives, which is
// wrong as soon as a client retries after a lost reply. `handleDepositIdempotent` remembers the reply it
// sent for each request id and answers a repeat with that reply instead of applying it again.

// #region types
/** A client asks for money to be added. The client picks `requestId` once and reuses it on every retry. */
export interface DepositRequest {
  type: 'deposit';
  requestId: string;
  /** Whole units (think cents): integers avoid floating-point surprises in a balance. */
  amount: number;
}

/** What the server answers. A refusal is an answer too, not an exception. */
export type DepositReply =
  | { ok: true; type: 'deposited'; requestId: string; amount: number; balance: number }
  | { ok: false; type: 'rejected'; requestId: string; error: 'invalid-amount'; message: string };

export interface AccountState {
  balance: number;
  /**
   * The dedup table: request id -> the reply sent the first time that request was applied.
   * Only the idempotent handler uses it. It grows by one entry per distinct request, forever, which a real
   * system cannot afford: Stripe keeps idempotency keys for about 24 hours, and the Raft key-value store in
   * Session 10 keeps only the latest sequence number per client instead of one entry per request.
   */
  replies: Record<string, DepositReply>;
}
// #endregion types

export function createAccount(balance = 0): AccountState {
  // An object without a prototype, so that request ids such as "constructor" or "__proto__" are ordinary
  // keys instead of finding (or overwriting) something inherited from Object.prototype.
  return { balance, replies: Object.create(null) as Record<string, DepositReply> };
}

/** The largest single deposit we accept; keeps the balance far below Number.MAX_SAFE_INTEGER. */
export const MAX_AMOUNT = 1_000_000_000;

/** A deposit must be a positive whole number no larger than MAX_AMOUNT. Returns a refusal, or null if fine. */
export function validateDeposit(request: DepositRequest): DepositReply | null {
  const { amount, requestId } = request;
  if (!Number.isInteger(amount) || amount <= 0 || amount > MAX_AMOUNT) {
    return {
      ok: false,
      type: 'rejected',
      requestId,
      error: 'invalid-amount',
      message: `amount must be a whole number from 1 to ${MAX_AMOUNT}, got ${String(amount)}`,
    };
  }
  return null;
}

// #region naive
/**
 * The naive handler: every message that arrives is applied.
 * Correct only if each request arrives exactly once, which no network promises. If the reply to a deposit is
 * lost, the client cannot tell "never arrived" from "arrived, answer lost", retries, and the money is added
 * twice.
 */
export function handleDepositNaive(state: AccountState, request: DepositRequest): DepositReply {
  const refusal = validateDeposit(request);
  if (refusal !== null) return refusal;
  state.balance += request.amount;
  return { ok: true, type: 'deposited', requestId: request.requestId, amount: request.amount, balance: state.balance };
}
// #endregion naive

// #region idempotent
/**
 * The idempotent handler: applying the same request twice has the same effect as applying it once.
 * A repeat of a request id we have already applied gets the reply we stored, byte for byte, and the state is
 * not touched. So the client's at-least-once retries plus this dedup table give "exactly-once in effect".
 * (DDIA ch. 11, "Idempotence", and ch. 12, "Operation identifiers".)
 */
export function handleDepositIdempotent(state: AccountState, request: DepositRequest): DepositReply {
  const seen = state.replies[request.requestId];
  // A retry: answer again, change nothing. (A stricter server would also check that the repeat carries the
  // same amount, as Stripe does for a reused idempotency key; we keep the example short.)
  if (seen !== undefined) return seen;

  const refusal = validateDeposit(request);
  // A refusal changed nothing, so it need not be remembered: the same bad request is refused again.
  if (refusal !== null) return refusal;

  state.balance += request.amount;
  const reply: DepositReply = {
    ok: true,
    type: 'deposited',
    requestId: request.requestId,
    amount: request.amount,
    balance: state.balance,
  };
  // Apply and remember in one step. In a real server these two writes must be atomic (one transaction),
  // or a crash between them brings the duplicate back.
  state.replies[request.requestId] = reply;
  return reply;
}
// #endregion idempotent

/** Both handlers have this shape, so the server and the simulator can take either. */
export type DepositHandler = (state: AccountState, request: DepositRequest) => DepositReply;
