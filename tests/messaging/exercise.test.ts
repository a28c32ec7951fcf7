// The checks of exercise 01 must tell right from wrong: the reference passes them all, the untouched starter
// and some plausible wrong answers each fail the check aimed at their mistake.
import { describe, expect, it } from 'vitest';
import { exercise } from '../../examples/exercises/01-idempotent-handler/index.ts';
import * as starter from '../../examples/exercises/01-idempotent-handler/idempotent-handler.ts';
import * as solution from '../../examples/exercises/01-idempotent-handler/solution.ts';
import { handleDepositNaive, validateDeposit, type DepositHandler, type DepositReply } from '../../examples/messaging/core/account.ts';

async function failing(handle: DepositHandler): Promise<string[]> {
  const failed: string[] = [];
  for (const check of exercise.checks) {
    try {
      await check.run(handle);
    } catch {
      failed.push(check.name);
    }
  }
  return failed;
}

const named = (fragment: string) => {
  const check = exercise.checks.find((c) => c.name.includes(fragment));
  if (!check) throw new Error(`no check mentions "${fragment}"`);
  return check.name;
};

/** Dedups, but by amount instead of request id. */
const byAmount: DepositHandler = (state, request) => {
  const key = `amount-${request.amount}`;
  const seen = state.replies[key];
  if (seen) return seen;
  const reply = handleDepositNaive(state, request);
  if (reply.ok) state.replies[key] = reply;
  return reply;
};

/** Does not re-apply a repeat, but builds a fresh reply from the current balance. */
const freshReply: DepositHandler = (state, request) => {
  const seen = state.replies[request.requestId];
  if (seen?.ok) return { ...seen, balance: state.balance };
  const reply = handleDepositNaive(state, request);
  if (reply.ok) state.replies[request.requestId] = reply;
  return reply;
};

/** Deduplicates correctly but forgot to validate the amount. */
const noValidation: DepositHandler = (state, request) => {
  const seen = state.replies[request.requestId];
  if (seen) return seen;
  state.balance += request.amount;
  const reply: DepositReply = { ok: true, type: 'deposited', requestId: request.requestId, amount: request.amount, balance: state.balance };
  state.replies[request.requestId] = reply;
  return reply;
};

describe('exercise 01-idempotent-handler', () => {
  it('has at least five checks, each with a hint, pointing at the session page', () => {
    expect(exercise.checks.length).toBeGreaterThanOrEqual(5);
    for (const c of exercise.checks) expect(c.hint.length).toBeGreaterThan(20);
    expect(exercise.page).toBe('fundamentals/01-what-is-ds.md');
    expect(exercise.learnerFile).toBe('idempotent-handler.ts');
  });

  it('the reference solution passes every check', async () => {
    expect(await failing(exercise.load(solution))).toEqual([]);
  });

  it('the untouched starter fails the lost-reply checks (and only those)', async () => {
    expect(await failing(exercise.load(starter))).toEqual([
      named('REPLY was lost'),
      named('SAME reply'),
      named('state exactly as it was'),
      named('seeded lossy runs'),
    ]);
  });

  it('deduplicating by amount is caught', async () => {
    expect(await failing(byAmount)).toContain(named('DIFFERENT deposits'));
  });

  it('answering a repeat with a freshly built reply is caught', async () => {
    expect(await failing(freshReply)).toContain(named('SAME reply'));
  });

  it('dropping validation is caught', async () => {
    expect(validateDeposit({ type: 'deposit', requestId: 'x', amount: -1 })).not.toBeNull();
    expect(await failing(noValidation)).toEqual([named('invalid amount')]);
  });

  it('load() explains a missing export', () => {
    expect(() => exercise.load({})).toThrow(/handleDeposit/);
  });
});
