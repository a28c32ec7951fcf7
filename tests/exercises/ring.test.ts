// Exercise 03 (consistent hashing) must tell right from wrong. The solution's passing checks print what they
// measured (balance, movement on join, and hash mod N for comparison); each wrong answer in fixtures/03-*.ts
// fails on the check aimed at its mistake, with a hint that names that mistake, and passes the checks its
// mistake does not touch (so the checks are not all failing for one shared reason).
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exercise } from '../../examples/exercises/03-ring/index.ts';
import { hashString, type Token } from '../../examples/exercises/03-ring/tokens.ts';
import { CheckFailure } from '../../examples/exercises/types.ts';
import { block, check, FIXTURES, hints, ROOT, summary } from './run-checker.ts';

const EX3 = '03-ring';
const [WRAP, EXACT, AGREE, BALANCE, MOVEMENT, REPLICAS, FEWER] = exercise.checks.map((c) => c.name) as [string, string, string, string, string, string, string];
const fixture = (name: string) => relative(ROOT, join(FIXTURES, name));

const passed = (out: string, name: string) => expect(block(out, name), out).toMatch(/^✔/);
const failed = (out: string, name: string) => {
  const b = block(out, name);
  expect(b, out).toMatch(/^✘/);
  return b!;
};

it('the checks are the seven this file expects, in order', () => {
  expect([WRAP, EXACT, AGREE, BALANCE, MOVEMENT, REPLICAS, FEWER].map((n) => n.split(':')[0])).toEqual(
    ['lookup', 'lookup', 'lookup', 'balance', 'movement', 'replicasFor', 'replicasFor'],
  );
});

describe('the reference solution', () => {
  it('passes, and the checker prints the balance and movement it measured under their ✔ lines', async () => {
    const r = await check([EX3, '--solution']);
    expect(r.code, r.stdout).toBe(0);
    expect(block(r.stdout, AGREE)).toContain('the same owner as ring.ts for all 20,000 keys');
    const balance = block(r.stdout, BALANCE)!;
    expect(balance).toContain('measured: the busiest node, n1, holds 2,226 keys: 1.11x the mean of 2,000 (bound 1.25x)');
    expect(balance).toContain('keys per node: n1 2,226, n2 2,007, n3 1,795, n4 2,021, n5 1,951');
    expect(balance).toContain('16 tokens 1.27x, 1 token 2.16x');
    const movement = block(r.stdout, MOVEMENT)!;
    expect(movement).toContain('measured: 1,601 of 10,000 keys moved (16.0%), every one to n6');
    expect(movement).toContain('would move 8,352 keys (83.5%)');
    expect(block(r.stdout, REPLICAS)).toContain('the same replicas as ring.ts for all 5,000 keys');
  });

  it('--seed N plays one random ring per seeded check', async () => {
    const r = await check([EX3, '--solution', '--seed', '5']);
    expect(r.code, r.stdout).toBe(0);
    expect(block(r.stdout, AGREE)).toContain('for all 200 keys');
    expect(block(r.stdout, REPLICAS)).toContain('for all 50 keys');
  });
});

it('the untouched starter: every check fails, the lookup ones pointing at TODO 1 and 2, the replica ones at TODO 3 and 4', async () => {
  const r = await check([EX3]);
  expect(r.code).toBe(1);
  expect(summary(r.stdout)).toEqual({ passed: 0, failed: 7 });
  expect(hints(r.stdout)[0]).toMatch(/^Start with TODO 1 and 2 in lookup/);
  expect(failed(r.stdout, WRAP)).toContain('at examples/exercises/03-ring/ring-lookup.ts:');
  expect(failed(r.stdout, REPLICAS)).toContain('hint: Then TODO 3 and 4 in replicasFor');
  expect(r.stdout).not.toContain('replay this run alone'); // nothing random to replay in "not written yet"
});

describe('exercise 03 fails the wrong answers, each where it goes wrong', () => {
  it('no wrap-around: a key past the last token gets undefined; the hint says to wrap to ring[0]', async () => {
    const r = await check([EX3, '--file', fixture('03-no-wrap.ts')]);
    expect(r.code).toBe(1);
    const wrap = failed(r.stdout, WRAP);
    expect(wrap).toContain('Your lookup returned undefined');
    expect(wrap).toContain('when nothing is found, return ring[0]');
    passed(r.stdout, EXACT);
    // replicasFor crashes on lookup's undefined: the hint blames lookup, not replicasFor.
    expect(failed(r.stdout, REPLICAS)).toContain('hint: replicasFor starts where lookup says, and lookup is not right yet. A key past the last token');
  });

  it('the token before the key: the hint says so; balance and movement still pass (it is still consistent hashing)', async () => {
    const r = await check([EX3, '--file', fixture('03-token-before.ts')]);
    expect(r.code).toBe(1);
    expect(failed(r.stdout, WRAP)).toContain('hint: Your lookup returns the token just BEFORE the key');
    const agree = failed(r.stdout, AGREE);
    expect(agree).toMatch(/random run 1 \(.*\): key "user:\d+" hashes to/);
    expect(agree).toContain('replay this run alone: npm run check -- 03-ring --file tests/exercises/fixtures/03-token-before.ts --seed 1');
    passed(r.stdout, BALANCE);
    passed(r.stdout, MOVEMENT);
  });

  it('> instead of >=: right on random keys, wrong on a key exactly on a token; the hint says >=', async () => {
    const r = await check([EX3, '--file', fixture('03-strictly-after.ts')]);
    expect(r.code).toBe(1);
    passed(r.stdout, WRAP);
    const exact = failed(r.stdout, EXACT);
    expect(exact).toMatch(/Key "n\d#\d" hashes to exactly [\d,]+, the position of token n\d#\d itself/);
    expect(exact).toContain('compare with >=, not >');
    failed(r.stdout, AGREE); // the random keys include some that land exactly on a token
    passed(r.stdout, FEWER);
  });

  it('ignoring the virtual nodes: the balance check measures 2.16x against the bound 1.25x and names vnode 0', async () => {
    const r = await check([EX3, '--file', fixture('03-ignores-vnodes.ts')]);
    expect(r.code).toBe(1);
    const balance = failed(r.stdout, BALANCE);
    expect(balance).toContain('n2, holds 4,323 keys: 2.16x the mean of 2,000; the bound is 1.25x');
    expect(r.stdout).toContain('hint: Your lookup only ever returns tokens with vnode 0');
  });

  it('hash mod N: balanced (passes the balance check), but a join moves 83.5% of the keys; the hint explains 5 in 6', async () => {
    const r = await check([EX3, '--file', fixture('03-hash-mod-n.ts')]);
    expect(r.code).toBe(1);
    passed(r.stdout, BALANCE);
    const movement = failed(r.stdout, MOVEMENT);
    expect(movement).toContain('8,352 of 10,000 keys moved (83.5%)');
    expect(movement).toContain('moved between the OLD nodes');
    expect(r.stdout).toContain('hint: Your lookup picks the node as hash mod (number of nodes)');
    expect(r.stdout).toContain('1 key in 6 stays, 5 in 6 move');
  });

  it('duplicates in the replicas: lookup, balance and movement pass; the replica checks name the node listed twice', async () => {
    const r = await check([EX3, '--file', fixture('03-duplicate-replicas.ts')]);
    expect(r.code).toBe(1);
    for (const name of [WRAP, EXACT, AGREE, BALANCE, MOVEMENT]) passed(r.stdout, name);
    const replicas = failed(r.stdout, REPLICAS);
    expect(replicas).toMatch(/hint: Your list names \S+ more than once/);
    expect(failed(r.stdout, FEWER)).toContain('expected ["n2","n1"] (ring.ts\'s preferenceList), got ["n2","n2","n1"]');
    expect(summary(r.stdout)).toEqual({ passed: 5, failed: 2 });
  });

  it('the right replicas sorted by name: the hint says the order is the clockwise one, owner first', async () => {
    const r = await check([EX3, '--file', fixture('03-sorted-replicas.ts')]);
    expect(r.code).toBe(1);
    expect(failed(r.stdout, REPLICAS)).toContain('hint: The right nodes in the wrong order (yours are sorted by name)');
    expect(summary(r.stdout)).toEqual({ passed: 5, failed: 2 });
  });

  it('a replica loop that runs until it has n nodes: right while there are enough, a time-out when there are not', async () => {
    const r = await check([EX3, '--file', fixture('03-endless-replicas.ts')], { CHECK_TIMEOUT_MS: '6000' });
    expect(r.code).toBe(1);
    passed(r.stdout, REPLICAS);
    const fewer = failed(r.stdout, FEWER);
    expect(fewer).toContain('timed out after 6 s');
    expect(fewer).toContain('Stop after one turn of the ring');
    expect(summary(r.stdout)).toEqual({ passed: 6, failed: 1 });
  });
});

describe('the measured bounds separate right from wrong (checks run in-process)', () => {
  const balance = exercise.checks[3]!;
  const correct = (ring: readonly Token[], key: string): Token => {
    const hash = hashString(key);
    return ring.find((t) => t.position >= hash) ?? ring[0]!;
  };
  const replicasFor = () => [];

  it('a correct lookup that uses only 16 of each node\'s 128 tokens fails the 1.25x bound (it measures 1.27x)', () => {
    const sixteen = (ring: readonly Token[], key: string) => correct(ring.filter((t) => t.vnode < 16), key);
    expect(() => balance.run({ lookup: sixteen, replicasFor })).toThrow(CheckFailure);
    expect(() => balance.run({ lookup: sixteen, replicasFor })).toThrow(/holds [\d,]+ keys: 1\.27x the mean of 2,000; the bound is 1\.25x/);
  });

  it('a lookup that keeps the first ring it saw gives n6 nothing: the movement check says so', () => {
    let kept: readonly Token[] | undefined;
    const stale = (ring: readonly Token[], key: string) => correct((kept ??= ring), key);
    let error: unknown;
    try {
      exercise.checks[4]!.run({ lookup: stale, replicasFor });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CheckFailure);
    expect((error as CheckFailure).message).toMatch(/0 of 10,000 keys moved \(0\.0%\); expected between 11\.0% and 22\.0%/);
    expect((error as CheckFailure).hint).toContain('n6 got no keys at all');
  });
});
