// Exercise 09 (AppendEntries on the follower) must tell right from wrong, and its expected answers must be the
// Raft core's.
//  - coreAnswer reads what a real node does (step + ready); here it is held against the paper's Figure 7 by
//    hand, and against what the core's own follower side did inside whole runs.
//  - The runs with the learner's function plugged in are deterministic, and with the solution they agree with
//    the core on every call of every run and keep every promise.
//  - The solution passes every check and prints what it measured; the starter fails every check.
//  - Each wrong answer in fixtures/09-*.ts fails where its mistake shows, with the hint that names it, and
//    passes the checks its mistake does not touch; a failing run prints the command that replays it.
import { describe, expect, it } from 'vitest';
import { coreAnswer, runCluster, sameOutcome, type FollowCall } from '../../examples/exercises/09-append-entries/cluster.ts';
import { coreCases, exercise } from '../../examples/exercises/09-append-entries/index.ts';
import { appendEntries as solution } from '../../examples/exercises/09-append-entries/solution.ts';
import { block, failed, passed, runSolution, runStarter, runWrong, summary, type Run } from './run-checker.ts';

const EX = '09-append-entries';
const [CHECK, CHANGE, COMMIT, HINT, RUNS] = exercise.checks.map((c) => c.name) as [string, string, string, string, string];

/** Each fixture is graded once; the last test reads the same outputs again. */
const graded = new Map<string, Promise<Run>>();
const wrong = (name: string): Promise<Run> => {
  if (!graded.has(name)) graded.set(name, runWrong(EX, name));
  return graded.get(name)!;
};

describe('the expected answers come from the Raft core', () => {
  it('Figure 7 (§5.3): a and b and e are too short, f conflicts at 10, c and d accept and lose their extra entries', () => {
    const byName = Object.fromEntries(coreCases().named.map((c) => [c.name, c.want]));
    const w = (who: string) => byName[`Figure 7, follower (${who})`]!;
    expect([w('a'), w('b'), w('e')].map((o) => [o.reply.success, o.reply.conflictTerm, o.reply.conflictIndex])).toEqual([[false, null, 10], [false, null, 5], [false, null, 8]]);
    expect([w('f').reply.conflictTerm, w('f').reply.conflictIndex]).toEqual([3, 7]);
    expect(w('c').change).toEqual({ truncateFrom: 11, entries: [{ index: 11, term: 8, command: null }] });
    expect(w('d').change?.truncateFrom).toBe(11);
    const second = byName['Figure 7, follower (f), second try (the leader skipped term 3)']!;
    const third = byName['Figure 7, follower (f), third try (the leader skipped term 2)']!;
    expect([second.reply.conflictTerm, second.reply.conflictIndex]).toEqual([2, 4]);
    expect(third.reply.success).toBe(true);
    expect(third.change?.truncateFrom).toBe(4);
  });

  it('a stale duplicate writes nothing; a tail the message does not vouch for is not committed', () => {
    const byName = Object.fromEntries(coreCases().named.map((c) => [c.name, c.want]));
    const stale = Object.entries(byName).find(([n]) => n.startsWith('a stale, duplicated'))![1];
    expect(stale).toMatchObject({ change: null, commitIndex: 5, reply: { success: true, matchIndex: 6 } });
    const tail = Object.entries(byName).find(([n]) => n.startsWith('a follower with an old leader\'s tail'))![1];
    expect(tail.commitIndex).toBe(5);
  });

  it('the harvested cases cover every kind, and coreAnswer agrees with what the core did in the run itself', () => {
    const kinds = new Set(coreCases().harvested.map((c) => c.name.split(' ')[1]));
    expect([...kinds].sort()).toEqual(['append', 'conflict', 'heartbeat', 'heartbeat-commit', 'stale', 'too-short', 'truncate']);
    let calls = 0;
    runCluster('core', 1003, (call) => {
      calls += 1;
      expect(sameOutcome(coreAnswer(call.follower, call.message), call.got), JSON.stringify(call.message)).toBe(true);
    });
    expect(calls).toBeGreaterThan(200);
  });

  it('runs are deterministic, and with the solution every call agrees with the core and every promise holds', () => {
    const calls: FollowCall[] = [];
    const a = runCluster(solution, 5, (c) => calls.push(c));
    expect(runCluster(solution, 5)).toEqual(a);
    expect(a.violation).toBeUndefined();
    for (const c of calls) expect(sameOutcome(c.got, c.want)).toBe(true);
    const totals = { truncations: 0, stale: 0, refused: 0, crashes: 0, committed: 0 };
    for (let seed = 1; seed <= 12; seed++) {
      const r = runCluster(solution, seed);
      expect(r.violation, `seed ${seed}`).toBeUndefined();
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r.stats[k];
    }
    // The runs do produce what the checks are about.
    expect(totals.truncations).toBeGreaterThan(0);
    expect(totals.stale).toBeGreaterThan(100);
    expect(totals.refused).toBeGreaterThan(100);
    expect(totals.crashes).toBeGreaterThan(10);
    expect(totals.committed).toBeGreaterThan(300);
  });
});

describe('the reference solution and the starter', () => {
  it('the solution passes and prints what the runs did', async () => {
    const r = await runSolution(EX);
    expect(block(r.stdout, CHECK)).toMatch(/the same answer as the Raft core in all \d+ cases \(14 by hand, \d+ from seeded runs\)/);
    expect(block(r.stdout, RUNS)).toMatch(/100 runs: [\d,]+ leaders elected, [1-9][\d,]* crashes, [1-9][\d,]* partitions, [1-9][\d,]* entries committed; your function took [\d,]+ AppendEntries: refused [1-9][\d,]*, cut a conflicting tail [1-9][\d,]* times, and left the log alone for [1-9][\d,]* stale ones; every log ended equal to the leader's/);
  });

  it('--seed N plays one run', async () => {
    const r = await runSolution(EX, '--seed', '3');
    expect(block(r.stdout, RUNS)).toContain('1 run: ');
  });

  it('the untouched starter fails every check, pointing at TODO 1 and its own line', async () => {
    const r = await runStarter(EX, 'append-entries.ts', 5, CHECK);
    expect(failed(r.stdout, RUNS)).toContain('replay this run alone: npm run check -- 09-append-entries --seed 1');
  });
});

describe('exercise 09 fails the wrong answers, each where it goes wrong', () => {
  it('truncates after prevLogIndex always: the stale duplicate fails the change check, and a run catches a committed entry dropped', async () => {
    const r = await wrong('09-truncates-always.ts');
    const b = failed(r.stdout, CHANGE);
    expect(b).toContain('a stale, duplicated AppendEntries');
    expect(b).toContain('hint: This log already holds every entry of the message (4..6), identical, and more after them (up to 8): the message is old');
    passed(r.stdout, CHECK);
    passed(r.stdout, COMMIT);
    passed(r.stdout, HINT);
    const runs = failed(r.stdout, RUNS);
    expect(runs).toMatch(/run (\d+) \(5 nodes\): at \d+ ms, n\d cut its log at entry \d+ \(term \d+\), which was already committed/);
    const seed = /run (\d+) \(5 nodes\)/.exec(runs)![1];
    expect(runs).toContain(`replay this run alone: npm run check -- 09-append-entries --file tests/exercises/fixtures/09-truncates-always.ts --seed ${seed}`);
  });

  it('commits to the end of its own log: only the commit check sees it (the runs rarely meet it), with the old tail named', async () => {
    const r = await wrong('09-commits-to-log-end.ts');
    expect(failed(r.stdout, COMMIT)).toContain('hint: This message proves the log equal to the leader\'s up to 5 (prevLogIndex + entries), no further. Past it this log may hold entries of an old leader that will be overwritten (here: 6..8, terms 2 2 2).');
    expect(summary(r.stdout)).toEqual({ passed: 4, failed: 1 });
  });

  it('backs up one entry at a time: safe (the runs pass), but the hint check says to skip the whole term', async () => {
    const r = await wrong('09-one-at-a-time.ts');
    expect(failed(r.stdout, HINT)).toContain('hint: Too short: conflictIndex is the index just after this log\'s last entry, 5.');
    passed(r.stdout, RUNS);
    expect(summary(r.stdout)).toEqual({ passed: 4, failed: 1 });
  });

  it('reads log[prevLogIndex - 1] on a log too short to have it: the crash is shown at its line', async () => {
    const r = await wrong('09-reads-past-the-end.ts');
    const b = failed(r.stdout, CHECK);
    expect(b).toContain("Cannot read properties of undefined (reading 'term')");
    expect(b).toContain('at tests/exercises/fixtures/09-reads-past-the-end.ts:');
    expect(failed(r.stdout, RUNS)).toContain('replay this run alone:');
  });

  it('never moves the commit index: the commit check names it, and a run ends with a follower that never learnt what is committed', async () => {
    const r = await wrong('09-never-commits.ts');
    expect(failed(r.stdout, COMMIT)).toContain('hint: The leader has committed up to 8 and this log matches it up to 8: the commit index moves to min(leaderCommit, 8) = 8');
    expect(failed(r.stdout, RUNS)).toMatch(/its commit index is 0 where the leader's is \d+: it never learnt that the rest is committed/);
  });

  it('changes the log it was given: the read-only hint, at the line that did it', async () => {
    const r = await wrong('09-mutates.ts');
    const b = failed(r.stdout, CHECK);
    expect(b).toContain('your code changed an object it was given');
    expect(b).toContain('hint: Do not change the follower\'s log or the message you are given');
  });

  it('skips the consistency check: the hole is named, and a run finds a log with a hole in it', async () => {
    const r = await wrong('09-no-check.ts');
    expect(failed(r.stdout, CHECK)).toContain('hint: The new entries go after index 10 (prevLogIndex), but this log ends at 9: accepting leaves a hole at 10.');
    expect(failed(r.stdout, RUNS)).toMatch(/n\d's log has entry \d+ in place \d+: a log is 1, 2, 3, \.\.\. with no hole/);
  });

  it('no wrong answer gets a raw undefined, NaN or a JSON object in its messages and hints', async () => {
    const fixtures = ['09-truncates-always.ts', '09-commits-to-log-end.ts', '09-one-at-a-time.ts', '09-never-commits.ts', '09-no-check.ts'];
    const runs = await Promise.all(fixtures.map((f) => wrong(f)));
    for (const [i, r] of runs.entries()) {
      expect(r.stdout, fixtures[i]).not.toMatch(/\bundefined\b|\bNaN\b/);
      expect(r.stdout, fixtures[i]).not.toMatch(/\{"/);
    }
  });
});
