// The account's replies, pinned field by field. The client and the page both read `type` and `message`;
// account.test.ts checked only `ok`, `error` and the balance, so a reply with an empty type or message passed.
import { describe, expect, it } from 'vitest';
import {
  MAX_AMOUNT,
  createAccount,
  handleDepositIdempotent,
  handleDepositNaive,
  validateDeposit,
  type DepositRequest,
} from '../../examples/messaging/core/account.ts';

const deposit = (requestId: string, amount: number): DepositRequest => ({ type: 'deposit', requestId, amount });

describe('a refused deposit is a complete answer', () => {
  for (const [name, handle] of [['naive', handleDepositNaive], ['idempotent', handleDepositIdempotent]] as const) {
    it(`${name}: says "rejected", names the allowed range and echoes the amount it got`, () => {
      expect(handle(createAccount(), deposit('r1', -5))).toEqual({
        ok: false,
        type: 'rejected',
        requestId: 'r1',
        error: 'invalid-amount',
        message: `amount must be a whole number from 1 to ${MAX_AMOUNT}, got -5`,
      });
      expect(handle(createAccount(), deposit('r2', 2.5))).toMatchObject({ message: expect.stringMatching(/, got 2\.5$/) });
    });
  }

  it('validateDeposit answers null for a valid amount and the same refusal the handlers send otherwise', () => {
    expect(validateDeposit(deposit('ok', 1))).toBeNull();
    expect(validateDeposit(deposit('bad', 0))).toEqual(handleDepositNaive(createAccount(), deposit('bad', 0)));
  });
});

describe('an applied deposit', () => {
  it('naive: replies "deposited" with the request id, the amount and the new balance', () => {
    const state = createAccount(40);
    expect(handleDepositNaive(state, deposit('n1', 2))).toEqual({
      ok: true,
      type: 'deposited',
      requestId: 'n1',
      amount: 2,
      balance: 42,
    });
  });

  it('idempotent: stores exactly the reply it sent, so a retry gets the same object back', () => {
    const state = createAccount();
    const reply = handleDepositIdempotent(state, deposit('i1', 7));
    expect(state.replies['i1']).toBe(reply);
    expect(handleDepositIdempotent(state, deposit('i1', 7))).toBe(reply);
  });
});
