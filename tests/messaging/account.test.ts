import { describe, expect, it } from 'vitest';
import {
  MAX_AMOUNT,
  createAccount,
  handleDepositIdempotent,
  handleDepositNaive,
  type DepositRequest,
} from '../../examples/messaging/core/account.ts';

const deposit = (requestId: string, amount: number): DepositRequest => ({ type: 'deposit', requestId, amount });

describe('naive handler', () => {
  it('applies every message it receives, including a repeat (the bug the session is about)', () => {
    const state = createAccount();
    handleDepositNaive(state, deposit('a', 100));
    const second = handleDepositNaive(state, deposit('a', 100));
    expect(state.balance).toBe(200);
    expect(second).toMatchObject({ ok: true, balance: 200 });
  });

  it('keeps no dedup table', () => {
    const state = createAccount();
    handleDepositNaive(state, deposit('a', 5));
    expect(state.replies).toEqual({});
  });
});

describe('idempotent handler', () => {
  it('applies a new request and replies with the new balance', () => {
    const state = createAccount(10);
    const reply = handleDepositIdempotent(state, deposit('a', 5));
    expect(reply).toEqual({ ok: true, type: 'deposited', requestId: 'a', amount: 5, balance: 15 });
    expect(state.balance).toBe(15);
  });

  it('answers a repeat with the stored first reply and leaves the state untouched', () => {
    const state = createAccount();
    const first = structuredClone(handleDepositIdempotent(state, deposit('a', 30)));
    handleDepositIdempotent(state, deposit('b', 12));
    const before = structuredClone(state);
    const again = handleDepositIdempotent(state, deposit('a', 30));
    expect(again).toEqual(first); // balance 30, as it was then, not 42
    expect(state).toEqual(before);
  });

  it('applies different request ids with the same amount', () => {
    const state = createAccount();
    handleDepositIdempotent(state, deposit('a', 50));
    handleDepositIdempotent(state, deposit('b', 50));
    expect(state.balance).toBe(100);
    expect(Object.keys(state.replies).sort()).toEqual(['a', 'b']);
  });

  it('dedup table grows by one entry per distinct request (the cost the comments warn about)', () => {
    const state = createAccount();
    for (let i = 0; i < 50; i++) handleDepositIdempotent(state, deposit(`r-${i % 10}`, 1));
    expect(Object.keys(state.replies)).toHaveLength(10);
    expect(state.balance).toBe(10);
  });
});

describe('validation (both handlers)', () => {
  for (const [name, handle] of [['naive', handleDepositNaive], ['idempotent', handleDepositIdempotent]] as const) {
    it(`${name}: refuses amounts that are not whole numbers from 1 to MAX_AMOUNT, changing nothing`, () => {
      for (const amount of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_AMOUNT + 1]) {
        const state = createAccount(7);
        const reply = handle(state, deposit('x', amount));
        expect(reply).toMatchObject({ ok: false, error: 'invalid-amount', requestId: 'x' });
        expect(state).toEqual(createAccount(7));
      }
    });

    it(`${name}: accepts the boundaries 1 and MAX_AMOUNT`, () => {
      const state = createAccount();
      expect(handle(state, deposit('lo', 1)).ok).toBe(true);
      expect(handle(state, deposit('hi', MAX_AMOUNT)).ok).toBe(true);
      expect(state.balance).toBe(MAX_AMOUNT + 1);
    });
  }

  it('a refused request is not remembered, so a corrected request with the same id still applies', () => {
    const state = createAccount();
    handleDepositIdempotent(state, deposit('fix', -3));
    expect(handleDepositIdempotent(state, deposit('fix', 3))).toMatchObject({ ok: true, balance: 3 });
  });
});

describe('request ids that collide with Object.prototype', () => {
  it('"constructor", "toString" and "__proto__" are ordinary ids', () => {
    const state = createAccount();
    for (const id of ['constructor', 'toString', '__proto__']) {
      expect(handleDepositIdempotent(state, deposit(id, 1))).toMatchObject({ ok: true, requestId: id });
      expect(handleDepositIdempotent(state, deposit(id, 1))).toMatchObject({ ok: true, requestId: id });
    }
    expect(state.balance).toBe(3);
    expect(Object.keys(state.replies).sort()).toEqual(['__proto__', 'constructor', 'toString']);
  });
});
