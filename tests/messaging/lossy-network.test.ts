import { describe, expect, it } from 'vitest';
import { handleDepositIdempotent, handleDepositNaive } from '../../examples/messaging/core/account.ts';
import { runDepositScenario } from '../../examples/messaging/sim/deposit-scenario.ts';
import { mulberry32 } from '../../examples/shared/random.ts';
import { createLossyNetwork, sendWithRetries, withSeed } from '../../examples/messaging/sim/lossy-network.ts';

const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);

describe('mulberry32', () => {
  it('is deterministic per seed, differs across seeds, and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(mulberry32(43)()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    // Roughly uniform: the mean of 1000 draws is near 0.5.
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.05);
  });
});

describe('lossy network', () => {
  it('a lost request never reaches the server; a lost reply does, and the server acts on it', () => {
    let handled = 0;
    const server = (n: number) => {
      handled += 1;
      return n * 2;
    };
    const net = createLossyNetwork({ seed: 1, script: ['drop-request', 'drop-reply', 'deliver'] });
    expect(net.send(server, 1)).toEqual({ fate: 'drop-request' });
    expect(handled).toBe(0);
    expect(net.send(server, 2)).toEqual({ fate: 'drop-reply', sentReply: 4 });
    expect(handled).toBe(1);
    expect(net.send(server, 3)).toEqual({ fate: 'deliver', reply: 6 });
    expect(net.log).toEqual(['drop-request', 'drop-reply', 'deliver']);
  });

  it('drops at roughly the configured rates', () => {
    const net = createLossyNetwork({ seed: 9, dropRequestRate: 0.2, dropReplyRate: 0.5 });
    for (let i = 0; i < 4000; i++) net.send((x: number) => x, i);
    const share = (f: string) => net.log.filter((x) => x === f).length / net.log.length;
    expect(share('drop-request')).toBeCloseTo(0.2, 1);
    expect(share('drop-reply')).toBeCloseTo(0.8 * 0.5, 1);
  });

  it('sendWithRetries keeps resending the same request until a reply arrives, or gives up', () => {
    const seen: string[] = [];
    const server = (r: string) => (seen.push(r), `ok ${r}`);
    const policy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 };
    const lucky = sendWithRetries(createLossyNetwork({ seed: 1, script: ['drop-reply', 'drop-request', 'deliver'] }), server, 'r1', policy);
    expect(lucky).toMatchObject({ reply: 'ok r1', attempts: 3 });
    expect(seen).toEqual(['r1', 'r1']);
    const unlucky = sendWithRetries(createLossyNetwork({ seed: 1, dropRequestRate: 1 }), server, 'r2', policy);
    expect(unlucky).toMatchObject({ reply: null, attempts: 3 });
  });

  it('withSeed names the seed in the error so the run can be replayed', () => {
    expect(() => withSeed(77, () => { throw new Error('boom'); })).toThrow(/seed 77.*boom/);
  });
});

describe('deposits over a lossy network, many seeds', () => {
  const options = { deposits: 25, dropRequestRate: 0.2, dropReplyRate: 0.3 };

  it('same seed, same run: the scenario is reproducible', () => {
    const a = runDepositScenario(handleDepositNaive, { seed: 5, ...options });
    const b = runDepositScenario(handleDepositNaive, { seed: 5, ...options });
    expect(b.fates).toEqual(a.fates);
    expect(b.state).toEqual(a.state);
  });

  it('naive handler + lost replies => every retry that reaches the server is a duplicate', () => {
    let runsWithDuplicates = 0;
    for (const seed of SEEDS) {
      withSeed(seed, () => {
        const r = runDepositScenario(handleDepositNaive, { seed, ...options });
        // The naive balance counts every arrival; it exceeds the true total exactly when a retry arrived.
        expect(r.state.balance).toBe(r.arrivedSum);
        expect(r.state.balance > r.distinctSum).toBe(r.repeatArrivals > 0);
        if (r.repeatArrivals > 0) runsWithDuplicates += 1;
      });
    }
    // With a 30% reply loss over 25 deposits, a run without any duplicate is vanishingly rare.
    expect(runsWithDuplicates).toBeGreaterThan(SEEDS.length * 0.9);
  });

  it('idempotent handler + the same losses => no duplicates, and every client sees the first reply', () => {
    for (const seed of SEEDS) {
      withSeed(seed, () => {
        const r = runDepositScenario(handleDepositIdempotent, { seed, ...options });
        expect(r.gaveUp).toBe(0);
        expect(r.state.balance).toBe(r.distinctSum);
        // Every deposit reached the server at least once, so distinct = all requests.
        expect(r.distinctSum).toBe(r.requests.reduce((s, q) => s + q.amount, 0));
        for (const q of r.requests) expect(r.clientReplies[q.requestId]).toEqual(r.firstReplies[q.requestId]);
      });
    }
  });

  it('with no losses at all, the two handlers agree', () => {
    for (const seed of SEEDS.slice(0, 20)) {
      const naive = runDepositScenario(handleDepositNaive, { seed, deposits: 25, dropRequestRate: 0, dropReplyRate: 0 });
      const idem = runDepositScenario(handleDepositIdempotent, { seed, deposits: 25, dropRequestRate: 0, dropReplyRate: 0 });
      expect(naive.state.balance).toBe(idem.state.balance);
      expect(naive.repeatArrivals).toBe(0);
    }
  });
});
