import { describe, expect, it } from 'vitest';
import { handleDepositIdempotent, handleDepositNaive } from '../../examples/messaging/core/account.ts';
import { runDepositScenario } from '../../examples/messaging/sim/deposit-scenario.ts';
import { buildDepositTimeline, describeStep } from '../../examples/messaging/sim/deposit-timeline.ts';
import { withSeed } from '../../examples/messaging/sim/lossy-network.ts';

const options = { deposits: 12, dropRequestRate: 0.2, dropReplyRate: 0.3 };
const SEEDS = Array.from({ length: 100 }, (_, i) => i + 1);

describe('the deposit timeline the live example plays back', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = buildDepositTimeline({ seed: 7, ...options }).steps.map(describeStep);
    expect(buildDepositTimeline({ seed: 7, ...options }).steps.map(describeStep)).toEqual(a);
    expect(buildDepositTimeline({ seed: 8, ...options }).steps.map(describeStep)).not.toEqual(a);
  });

  it('ends where the real scenario ends: naive = every arrival, idempotent = each distinct deposit once', () => {
    for (const seed of SEEDS) {
      withSeed(seed, () => {
        const { steps } = buildDepositTimeline({ seed, ...options });
        const naive = runDepositScenario(handleDepositNaive, { seed, ...options });
        const idem = runDepositScenario(handleDepositIdempotent, { seed, ...options });
        const last = steps.at(-1)!;
        expect(steps.length).toBe(naive.fates.length);
        expect(steps.map((s) => s.fate)).toEqual(naive.fates);
        expect(last.naive.balance).toBe(naive.state.balance);
        expect(last.naive.balance).toBe(naive.arrivedSum);
        expect(last.idempotent.balance).toBe(idem.state.balance);
        expect(last.idempotent.balance).toBe(idem.distinctSum);
        expect(last.shouldBe).toBe(naive.distinctSum);
        expect(last.repeatArrivals).toBe(naive.repeatArrivals);
        // One confirmed (or abandoned) step per deposit, in order.
        const ends = steps.filter((s) => s.client !== 'retry');
        expect(ends.map((s) => s.deposit)).toEqual(Array.from({ length: options.deposits }, (_, i) => i + 1));
      });
    }
  });

  it('after every step the idempotent balance is what it should be, and the naive one is off by the repeats', () => {
    for (const seed of SEEDS.slice(0, 30)) {
      withSeed(seed, () => {
        const { steps } = buildDepositTimeline({ seed, ...options });
        for (const s of steps) {
          expect(s.idempotent.balance).toBe(s.shouldBe);
          expect(s.naive.balance >= s.shouldBe).toBe(true);
          expect(s.naive.balance > s.shouldBe).toBe(s.repeatArrivals > 0);
        }
      });
    }
  });

  it('a lost reply then a delivery: the naive server applies the deposit twice, the idempotent one once', () => {
    const { steps } = buildDepositTimeline({ seed: 3, deposits: 1, dropRequestRate: 0, dropReplyRate: 0, script: ['drop-request', 'drop-reply', 'deliver'] });
    const amount = steps[0]!.amount;
    expect(steps.map((s) => [s.attempt, s.fate, s.client])).toEqual([
      [1, 'drop-request', 'retry'],
      [2, 'drop-reply', 'retry'],
      [3, 'deliver', 'confirmed'],
    ]);
    expect(steps.map((s) => s.naive.balance)).toEqual([0, amount, 2 * amount]);
    expect(steps.map((s) => s.idempotent.balance)).toEqual([0, amount, amount]);
    expect(steps.map((s) => s.repeatArrivals)).toEqual([0, 0, 1]);
    expect(steps.map(describeStep)).toEqual([
      `1. deposit-1 (+${amount}) attempt 1: request lost; the servers never saw it; client hears nothing, retries`,
      `2. deposit-1 (+${amount}) attempt 2: request delivered, reply lost; naive applied it (balance ${amount}), idempotent applied it (balance ${amount}); client hears nothing, retries`,
      `3. deposit-1 (+${amount}) attempt 3: request delivered, reply delivered; naive applied it AGAIN (balance ${2 * amount}), idempotent saw it before, not applied (balance ${amount}); client confirmed`,
    ]);
  });

  it('with no loss, one attempt per deposit and the two balances agree', () => {
    const { steps } = buildDepositTimeline({ seed: 11, deposits: 10, dropRequestRate: 0, dropReplyRate: 0 });
    expect(steps).toHaveLength(10);
    expect(steps.every((s) => s.attempt === 1 && s.client === 'confirmed' && s.naive.balance === s.idempotent.balance)).toBe(true);
  });

  it('a client that never gets through gives up after the policy allows, and the next deposit starts afresh', () => {
    const policy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 };
    const { steps } = buildDepositTimeline({ seed: 1, deposits: 2, dropRequestRate: 1, dropReplyRate: 0, policy });
    expect(steps.map((s) => [s.deposit, s.attempt, s.client])).toEqual([
      [1, 1, 'retry'],
      [1, 2, 'retry'],
      [1, 3, 'gave-up'],
      [2, 1, 'retry'],
      [2, 2, 'retry'],
      [2, 3, 'gave-up'],
    ]);
    expect(describeStep(steps[2]!)).toMatch(/client gives up$/);
    expect(steps.at(-1)!.shouldBe).toBe(0);
  });
});
