// Exercise 10 (the KV apply loop with duplicate detection) must tell right from wrong.
//  - The cluster player runs the real Raft core, is deterministic, and produces what the checks are about
//    (crashes, new leaders, snapshots, retried requests that land in the log twice); with the solution every
//    answer equals the core's and every history is linearizable; with a loop that applies every copy, Part II's
//    linearizability checker rejects some histories (so the check can fail on what clients saw).
//  - The solution passes and prints what the clusters did; the starter fails every check, pointing at TODO 1.
//  - Each wrong loop in fixtures/10-*.ts fails the check aimed at its mistake, with the hint that names it,
//    and passes the checks its mistake does not touch; a seeded failure says how to replay it.
import { describe, expect, it } from 'vitest';
import { exercise } from '../../examples/exercises/10-apply-loop/index.ts';
import { playCluster } from '../../examples/exercises/10-apply-loop/cluster.ts';
import * as solution from '../../examples/exercises/10-apply-loop/solution.ts';
import * as noDedupe from './fixtures/10-no-dedupe.ts';
import { checkHistory } from '../helpers/linearizability.ts';
import { block, failed, passed, runSolution, runStarter, runWrong, summary } from './run-checker.ts';

const EX = '10-apply-loop';
const [ORDER, TWICE, OLDER, APART, CLUSTERS] = exercise.checks.map((c) => c.name) as [string, string, string, string, string];

describe('the cluster player (real Raft core, crashes, lost/late/doubled messages, retrying clients)', () => {
  it('is deterministic and, with the solution, answers as the core does with linearizable histories', () => {
    const totals = { requests: 0, retries: 0, duplicateEntries: 0, crashes: 0, snapshotsInstalled: 0, leaders: 0 };
    for (let seed = 1; seed <= 12; seed++) {
      const run = playCluster(solution.applyEntries, seed);
      expect(run.broken).toBeUndefined();
      expect(run.mismatch).toBeUndefined();
      expect(checkHistory(run.history)).toEqual({ ok: true, verdict: 'linearizable' });
      expect(playCluster(solution.applyEntries, seed)).toEqual(run);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += run.stats[k];
    }
    expect(totals.requests).toBeGreaterThan(300);
    expect(totals.retries).toBeGreaterThan(100);
    expect(totals.duplicateEntries).toBeGreaterThan(20);
    expect(totals.crashes).toBeGreaterThan(20);
    expect(totals.leaders).toBeGreaterThan(20);
    expect(totals.snapshotsInstalled).toBeGreaterThan(5);
  });

  it('a loop that applies every copy leaves histories the linearizability checker rejects', () => {
    const runs = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => playCluster(noDedupe.applyEntries, seed));
    expect(runs.filter((r) => r.mismatch !== undefined).length).toBeGreaterThanOrEqual(6);
    expect(runs.map((r) => checkHistory(r.history).verdict)).toContain('not linearizable');
  });
});

describe('the reference solution and the starter', () => {
  it('the solution passes and prints what the clusters did', async () => {
    const r = await runSolution(EX);
    expect(block(r.stdout, CLUSTERS)).toMatch(
      /40 clusters: [\d,]+ client requests \([1-9][\d,]* resends\), [1-9][\d,]* crashes, [1-9][\d,]* leaders elected, [1-9][\d,]* snapshots installed;\n {4}[1-9][\d,]* log entries were copies of a request already in the log, and your loop applied each of them once;\n {4}every answer on every node equals the core's; the clients' history is linearizable \(Part II's checker\)/,
    );
  });

  it('--seed N replays one cluster', async () => {
    const r = await runSolution(EX, '--seed', '3');
    expect(block(r.stdout, CLUSTERS)).toContain('1 cluster: ');
  });

  it('the untouched starter fails every check, pointing at TODO 1 and its own line', async () => {
    const r = await runStarter(EX, 'apply-loop.ts', 5, ORDER);
    expect(failed(r.stdout, CLUSTERS)).toContain('replay this run alone: npm run check -- 10-apply-loop --seed 1');
  });
});

describe('exercise 10 fails the wrong apply loops, each where it goes wrong', () => {
  it('applies every copy: the retried cas is told it failed; the clusters\' histories are not linearizable', async () => {
    const r = await runWrong(EX, '10-no-dedupe.ts');
    passed(r.stdout, ORDER);
    passed(r.stdout, APART);
    expect(failed(r.stdout, TWICE)).toContain('Entry 2 (cas x null->"a" (c1 seq 1)): expected the answer {"ok":true,"value":null}, yours {"ok":false,"value":"a"}.');
    expect(r.stdout).toContain('hint: (c1, seq 1) was applied already (the session of c1 says seq 1): this entry is a retry.');
    const clusters = failed(r.stdout, CLUSTERS);
    expect(clusters).toMatch(/cluster \d+: what the clients saw is not linearizable \(Part II's checker, on \d+ operations\):\n {4}key "\w" is not linearizable/);
    expect(clusters).toMatch(/\(a copy of entry \d+: the same client and seq\)/);
    expect(clusters).toMatch(/replay this run alone: npm run check -- 10-apply-loop --file tests\/exercises\/fixtures\/10-no-dedupe.ts --seed \d+/);
  });

  it('catches only seq === last: a late older copy acts again; the hint says <=', async () => {
    const r = await runWrong(EX, '10-equal-only.ts');
    for (const name of [ORDER, TWICE, APART]) passed(r.stdout, name);
    expect(failed(r.stdout, OLDER)).toContain('hint: (c1, seq 1) is OLDER than the last seq applied for c1 (2)');
    expect(r.stdout).toContain('test seq <= session.seq, not ===');
    failed(r.stdout, CLUSTERS);
  });

  it('answers a retry from the data as it is now: the hint says to answer with the kept result', async () => {
    const r = await runWrong(EX, '10-answers-now.ts');
    passed(r.stdout, APART);
    expect(failed(r.stdout, TWICE)).toContain('answer with the result the session kept, {"ok":true,"value":null}');
    failed(r.stdout, CLUSTERS);
  });

  it('keeps clients in a variable outside the state: a fresh state fails, and the hint says to keep them in the state', async () => {
    const r = await runWrong(EX, '10-module-memory.ts');
    passed(r.stdout, ORDER);
    expect(failed(r.stdout, TWICE)).toContain('hint: The state is fresh: no client has been seen in it');
    expect(r.stdout).toContain('Keep what you know about clients IN the state (state.sessions)');
    expect(failed(r.stdout, CLUSTERS)).toContain('is not linearizable');
  });

  it('keeps one counter for all clients: the hint says one session per client id', async () => {
    const r = await runWrong(EX, '10-one-counter.ts');
    passed(r.stdout, ORDER);
    expect(failed(r.stdout, APART)).toContain('Entry 2 (put x="b" (c2 seq 1)): expected the answer {"ok":true,"value":"b"}, yours {"ok":true,"value":"a"}.');
    expect(r.stdout).toContain("hint: (c2, seq 1) is c2's first request here; only OTHER clients have sessions.");
    expect(summary(r.stdout)).toEqual({ passed: 1, failed: 4 });
  });

  it('leaves no-ops out of its answers: one answer per entry, says the hint, also inside a cluster', async () => {
    const r = await runWrong(EX, '10-drops-noops.ts');
    expect(failed(r.stdout, ORDER)).toContain('applyEntries returned 8 answers for 9 entries.');
    expect(r.stdout).toContain('hint: Return an array with one answer per entry, in the same order');
    passed(r.stdout, OLDER);
    expect(failed(r.stdout, CLUSTERS)).toMatch(/applyEntries was given 1 entry \(index 1\) and returned 0 answers/);
  });
});
