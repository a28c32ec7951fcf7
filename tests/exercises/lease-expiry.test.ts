// Exercise 02 (lease expiry) must tell right from wrong. Its checker runs the core's own reclaim loop with
// the learner's expireLease in place of the core's (`reclaimWith`); the first test proves that loop is the
// core's, so the checker cannot drift from the code the broker runs. Then the wrong answers issue 5 names
// (the reason recorded only on dead jobs; any text, or the wrong reason) and two halfway answers must each
// fail, on the check aimed at their mistake, with a hint that names what they got wrong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reclaimWith } from '../../examples/exercises/02-lease-expiry/index.ts';
import { apply, createQueue, expireLease, reclaimExpired, type Command } from '../../examples/queue/core/queue.ts';
import { block, check, FIXTURES, hints, ROOT, summary } from './run-checker.ts';
import { join, relative } from 'node:path';

const EX2 = '02-lease-expiry';
const LATE_ACK = "the crashed worker's late ack is told lease-expired, and the next worker gets the job";
const DEAD = 'a job whose last attempt expires goes dead, is never leased again, and its late worker is told lease-expired';
const RANDOM = "over 200 seeded random histories, every answer, job and count matches the core's own expireLease";
const fixture = (name: string) => relative(ROOT, join(FIXTURES, name));

describe("the checker's reclaim loop is the core's", () => {
  const command = fc.oneof(
    fc.record({ type: fc.constant('enqueue' as const), payload: fc.constant(null) }),
    fc.record({ type: fc.constant('lease' as const), workerId: fc.constantFrom('w1', 'w2') }),
    fc.record({ type: fc.constantFrom('ack' as const, 'heartbeat' as const), job: fc.nat(6), lease: fc.nat(4) }),
    fc.record({ type: fc.constant('fail' as const), job: fc.nat(6), lease: fc.nat(4), jitter: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
  );
  it('reclaimWith(state, now, expireLease) leaves exactly the state reclaimExpired does, and returns the same ids', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(7_000), command), { maxLength: 60 }), fc.integer({ min: 1, max: 3 }), (steps, maxAttempts) => {
        const config = { visibilityTimeoutMs: 10_000, maxAttempts, backoffBaseMs: 1_000, backoffMaxMs: 8_000 };
        const a = createQueue(config);
        const b = createQueue(config);
        let now = 0;
        for (const [dt, c] of steps) {
          now += dt;
          expect(reclaimWith(a, now, expireLease)).toEqual(reclaimExpired(b, now));
          expect(a).toEqual(b);
          const target = 'job' in c ? { jobId: `job-${c.job + 1}`, token: `job-${c.job + 1}.${c.lease + 1}` } : {};
          const cmd = { ...c, ...target, now } as unknown as Command;
          expect(apply(a, cmd)).toEqual(apply(b, cmd));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('exercise 02 fails the wrong answers, each where it goes wrong', () => {
  it('recording why the lease ended only on dead jobs: the late ack of a job back in line is not told lease-expired', async () => {
    const r = await check([EX2, '--file', fixture('02-reason-only-when-dead.ts')]);
    expect(r.code).toBe(1);
    const late = block(r.stdout, LATE_ACK)!;
    expect(late).toMatch(/^✘/);
    expect(late).toContain('Expected the core to refuse it with lease-expired; it answered not-leased');
    expect(late).toContain('job.endedLease is undefined (on a job on its last attempt you do set it');
    expect(block(r.stdout, RANDOM)).toMatch(/^✘/);
  });

  it('recording the wrong reason: every late worker is told not-leased, and the hint names the reason', async () => {
    const r = await check([EX2, '--file', fixture('02-wrong-reason.ts')]);
    expect(r.code).toBe(1);
    expect(block(r.stdout, LATE_ACK)).toContain('job.endedLease.reason is "failed" for a lease that ran out');
    expect(block(r.stdout, DEAD)).toContain('Expected lease-expired; the core answered not-leased');
  });

  it('only a text in lastError (the old way): fails, and is told the core reads endedLease, not lastError', async () => {
    const r = await check([EX2, '--file', fixture('02-text-only.ts')]);
    expect(r.code).toBe(1);
    expect(block(r.stdout, LATE_ACK)).toContain('The core reads job.endedLease, not lastError');
    expect(block(r.stdout, DEAD)).toMatch(/^✘/);
  });

  it("sending the job to the back of the line: a crashed worker's job is overtaken, and the hint says use enqueuedAt", async () => {
    const r = await check([EX2, '--file', fixture('02-back-of-the-line.ts')]);
    expect(r.code).toBe(1);
    const first = block(r.stdout, 'an expired lease puts the job back in line at its old place: pending, lease gone, available at once')!;
    expect(first).toContain('the job handed out next (job-1 was enqueued at 0, job-2 at 12000): expected "job-1", got "job-2"');
    expect(first).toContain('so use job.enqueuedAt');
    expect(block(r.stdout, LATE_ACK)).toMatch(/^✔/);
    expect(block(r.stdout, RANDOM)).toMatch(/^✘/);
  });

  it.each([['02-no-dead-letter.ts'], ['02-off-by-one.ts']])('%s: the poison-message checks fail with the attempts hint', async (name) => {
    const r = await check([EX2, '--file', fixture(name)]);
    expect(r.code).toBe(1);
    const dead = block(r.stdout, DEAD)!;
    expect(dead).toContain('job-1 status after its last attempt expired: expected "dead", got "pending"');
    expect(dead).toContain('attempts >= maxAttempts');
    expect(block(r.stdout, LATE_ACK)).toMatch(/^✔/);
    expect(summary(r.stdout).failed).toBe(3);
  });

  it('the untouched starter fails every check, first told that the lease is still there', async () => {
    const r = await check([EX2]);
    expect(r.code).toBe(1);
    expect(summary(r.stdout)).toEqual({ passed: 0, failed: 6 });
    expect(hints(r.stdout)[0]).toContain('still holds its lease');
    expect(r.stdout).toContain(`replay this run alone: npm run check -- ${EX2} --seed 1`);
  });

  it('--seed replays one random history of exercise 02 too', async () => {
    const r = await check([EX2, '--file', fixture('02-text-only.ts'), '--seed', '9']);
    expect(r.code).toBe(1);
    expect(block(r.stdout, RANDOM)).toMatch(/^✘ [^\n]+\n {4}random run 9 /);
  });
});
