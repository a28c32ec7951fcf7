// Exercise 08 (RequestVote) must tell right from wrong, and its expected answers must be the Raft core's.
//  - The tables' answers are read from the real core (step() with the term check, then handleRequestVote);
//    here a few are pinned to the paper's words, so a probe that read them wrongly would show.
//  - The solution passes every check and prints what it measured; the starter fails every check.
//  - Each wrong answer in fixtures/08-*.ts fails where its mistake shows, with the hint that names it; the
//    cluster runs catch the ones that break safety (two leaders in a term, a new leader without a committed
//    entry) or liveness (no leader ever), and a failing random run prints the command that replays it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coreTables, coreUpToDate, coreVote, exercise } from '../../examples/exercises/08-request-vote/index.ts';
import { randomRun, splitVoteStory, staleLogStory } from '../../examples/exercises/08-request-vote/cluster.ts';
import { decideVote as solution, logIsUpToDate as solutionUpToDate } from '../../examples/exercises/08-request-vote/solution.ts';
import { decideVote as votesTwice } from './fixtures/08-votes-twice.ts';
import { decideVote as noLogCheck } from './fixtures/08-no-log-check.ts';
import { block, failed, passed, runSolution, runStarter, runWrong, summary } from './run-checker.ts';

const EX = '08-request-vote';
const [UPTODATE, SAME, NEWER, OLDER, RANDOM, STALE, SPLIT, RUNS] = exercise.checks.map((c) => c.name) as [string, string, string, string, string, string, string, string];
const rv = (term: number, lastLogIndex: number, lastLogTerm: number) => ({ type: 'RequestVote' as const, from: 'n2', to: 'n3', term, lastLogIndex, lastLogTerm });

describe('the expected answers come from the Raft core', () => {
  it('§5.4.1 as the paper says it: later last term wins whatever the length; same last term, the longer (or equal) log', () => {
    const e = (lastLogIndex: number, lastLogTerm: number) => ({ lastLogIndex, lastLogTerm });
    expect(coreUpToDate(e(5, 2), e(1, 3))).toBe(true);
    expect(coreUpToDate(e(1, 3), e(9, 2))).toBe(false);
    expect(coreUpToDate(e(4, 2), e(4, 2))).toBe(true);
    expect(coreUpToDate(e(4, 2), e(3, 2))).toBe(false);
    expect(coreUpToDate(e(0, 0), e(0, 0))).toBe(true);
  });

  it('the core: an older term is refused with the voter\'s term; a newer one adopted with the vote reset; one vote per term', () => {
    const voter = { id: 'n3', term: 4, votedFor: 'n5', lastLogIndex: 3, lastLogTerm: 2 };
    expect(coreVote(voter, rv(3, 9, 3))).toEqual({ term: 4, votedFor: 'n5', granted: false });
    expect(coreVote(voter, rv(4, 9, 3))).toEqual({ term: 4, votedFor: 'n5', granted: false });
    expect(coreVote(voter, rv(5, 3, 2))).toEqual({ term: 5, votedFor: 'n2', granted: true });
    expect(coreVote(voter, rv(5, 2, 2))).toEqual({ term: 5, votedFor: null, granted: false });
    expect(coreVote({ ...voter, votedFor: 'n2' }, rv(4, 3, 2))).toEqual({ term: 4, votedFor: 'n2', granted: true });
  });

  it('the tables cover every kind of case, and the solution agrees with the core on all of them (in-process)', () => {
    const t = coreTables();
    expect([t.upToDate.length, t.same.length, t.newer.length, t.older.length, t.random.length]).toEqual([100, 96, 256, 96, 2000]);
    // Both answers occur in every table, so a rule that always says yes (or no) cannot pass one.
    for (const list of [t.same, t.newer, t.random]) expect(new Set(list.map((c) => c.want.granted))).toEqual(new Set([true, false]));
    expect(t.older.every((c) => !c.want.granted)).toBe(true);
    for (const x of t.upToDate) expect(solutionUpToDate(x.mine, x.theirs)).toBe(x.want);
    for (const c of [...t.same, ...t.newer, ...t.older, ...t.random]) expect(solution(c.voter, c.request), JSON.stringify(c)).toEqual(c.want);
  });

  it('the cluster is deterministic per seed, and the core\'s rule keeps it safe and live over 100 runs', () => {
    const strip = (r: ReturnType<typeof randomRun>) => ({ ...r, delay: null, flights: r.flights.length, cut: [...r.cut], committed: [...r.committed] });
    expect(strip(randomRun(solution, 7))).toEqual(strip(randomRun(solution, 7)));
    for (let seed = 1; seed <= 100; seed++) expect(randomRun(solution, seed).violation, `seed ${seed}`).toBeUndefined();
  });

  it('the stories play out with the right rule, and show the two failures with the wrong ones', () => {
    const stale = staleLogStory(solution);
    expect(stale.staleWon).toBe(false);
    expect(stale.staleElections).toBeGreaterThan(0);
    expect(stale.nextLeader?.id).toMatch(/^n[23]$/);
    expect(staleLogStory(noLogCheck).run.violation?.kind).toBe('lost-commit');
    const split = splitVoteStory(solution);
    expect(split.term1Leaders).toEqual([]);
    expect(split.term1Votes).toBe('votes in term 1: n1 from n1, n4; n2 from n2, n5');
    expect(split.nextLeader?.term).toBeGreaterThan(1);
    expect(splitVoteStory(votesTwice).run.violation?.kind).toBe('two-leaders');
  });
});

describe('the reference solution and the starter', () => {
  it('the solution passes and prints the table sizes, both stories and the random runs\' figures', async () => {
    const r = await runSolution(EX);
    expect(block(r.stdout, UPTODATE)).toContain('the same answer as the Raft core for all 100 pairs of logs');
    expect(block(r.stdout, NEWER)).toContain('the same decision as the Raft core in all 256 cases');
    expect(block(r.stdout, STALE)).toMatch(/n4 came back with log 1\/1 \(index\/term\) against n2's 4\/1, stood for election \d+ times? and lost; n[23] led term \d+ with every committed write/);
    expect(block(r.stdout, SPLIT)).toContain('votes in term 1: n1 from n1, n4; n2 from n2, n5; n3 only itself: no majority of 3.');
    expect(block(r.stdout, RUNS)).toMatch(/100 runs: [\d,]+ elections stood, [\d,]+ won; [\d,]+ votes granted, [\d,]+ refused; [\d,]+ writes committed, none lost by a new leader/);
  });

  it('--seed N plays one random run', async () => {
    const r = await runSolution(EX, '--seed', '3');
    expect(block(r.stdout, RUNS)).toContain('1 run: ');
  });

  it('the untouched starter fails every check, pointing at TODO 1 first and at its own line', async () => {
    const r = await runStarter(EX, 'request-vote.ts', 8, UPTODATE);
    expect(r.stdout).not.toContain('replay this run alone');
  });
});

describe('exercise 08 fails the wrong answers, each with the hint for its mistake', () => {
  it('no log check: the tables name the missing call; the stale node wins and would overwrite a committed entry', async () => {
    const r = await runWrong(EX, '08-no-log-check.ts');
    passed(r.stdout, UPTODATE);
    expect(failed(r.stdout, SAME)).toContain('yet decideVote granted: call it before every grant (§5.4.1)');
    expect(failed(r.stdout, STALE)).toMatch(/in the stale-log story: n4 became leader of term 2, but entry \d+ \(term 1\) was committed/);
    const runs = failed(r.stdout, RUNS);
    expect(runs).toMatch(/random run (\d+): n\d became leader of term \d+, but entry \d+ \(term \d+\) was committed/);
    const seed = /random run (\d+):/.exec(runs)![1];
    expect(runs).toContain(`replay this run alone: npm run check -- 08-request-vote --file tests/exercises/fixtures/08-no-log-check.ts --seed ${seed}`);
  });

  it('the longer log wins: the up-to-date check names the term comparison; a random run elects a leader without a committed entry', async () => {
    const r = await runWrong(EX, '08-longer-log-wins.ts');
    expect(failed(r.stdout, UPTODATE)).toContain('hint: The candidate\'s last entry is of term 1, the voter\'s of term 2: the candidate\'s log is LESS up to date, even though it is as long or longer');
    passed(r.stdout, STALE); // the stale node's log is shorter too: only a longer log of an older term shows the mistake
    expect(failed(r.stdout, RUNS)).toMatch(/became leader of term \d+, but entry \d+ \(term \d+\) was committed/);
  });

  it('strictly newer (> for >=): equal logs are refused, so at the start nobody is ever elected', async () => {
    const r = await runWrong(EX, '08-strictly-newer.ts');
    expect(failed(r.stdout, UPTODATE)).toContain('they are EQUALLY up to date, and "at least as up to date" includes equal (>=, not >)');
    expect(failed(r.stdout, SPLIT)).toContain('no node was elected within 2 s');
    expect(failed(r.stdout, RUNS)).toMatch(/with every node up and no faults, no node leads .* 0 votes granted/);
  });

  it('votes twice: the current-term table names one vote per term; the split vote elects two leaders in term 1', async () => {
    const r = await runWrong(EX, '08-votes-twice.ts');
    expect(failed(r.stdout, SAME)).toContain('one vote per term (§5.2). Two votes let two candidates each gather a majority: two leaders in one term.');
    passed(r.stdout, NEWER);
    passed(r.stdout, OLDER);
    expect(failed(r.stdout, SPLIT)).toContain('in the split-vote story: two leaders in term 1: n1 and n2');
    expect(failed(r.stdout, RUNS)).toMatch(/random run \d+: two leaders in term \d+/);
  });

  it('keeps the old vote in a newer term: the newer-term table names it, and after the first split nobody is elected', async () => {
    const r = await runWrong(EX, '08-keeps-old-vote.ts');
    expect(failed(r.stdout, NEWER)).toContain('hint: The voter\'s vote for n3 was cast in term 4. In term 5 it has not voted yet');
    passed(r.stdout, SAME);
    expect(failed(r.stdout, SPLIT)).toContain('no node was elected within 2 s');
    expect(failed(r.stdout, RUNS)).toContain('no node leads');
  });

  it('keeps the old term: the reply carries a term the candidate ignores, so no election is ever won', async () => {
    const r = await runWrong(EX, '08-keeps-old-term.ts');
    expect(failed(r.stdout, NEWER)).toContain('hint: Adopt the newer term: afterwards the voter is in term 5 (the request\'s), not 4.');
    expect(failed(r.stdout, STALE)).toContain('nobody led at 0.100 s');
  });

  it('grants an older term: only the older-term table (and the random cases) can see it, and they do', async () => {
    const r = await runWrong(EX, '08-grants-old-term.ts');
    expect(failed(r.stdout, OLDER)).toContain('OLDER than the voter\'s 4: it is a candidate of an election that is over');
    failed(r.stdout, RANDOM);
    expect(summary(r.stdout)).toEqual({ passed: 6, failed: 2 });
  });

  it('changes the voter it was given: the hint says to return a new object', async () => {
    const r = await runWrong(EX, '08-mutates.ts');
    expect(failed(r.stdout, NEWER)).toContain('your code changed an object it was given');
    expect(failed(r.stdout, NEWER)).toContain('hint: decideVote must not change the voter or the request it is given');
  });
});

// The Session 8 page links two runs of the live example (seed 8) and says what happens in them; hold the
// page to it, on the same code the page runs (examples/raft/browser/raft-run.ts).
describe('what the Session 8 page says about its two live-example links', () => {
  it('seed 8, the leader n4 crashed at 0.6 s: n5 times out first and leads term 2; with three forced timeouts, nobody wins term 2 and n3 wins term 3', async () => {
    const { createRun, runTo, parseScript } = await import('../../examples/raft/browser/raft-run.ts');
    const page = readFileSync(new URL('../../docs/consensus/08-raft-leader-election.md', import.meta.url), 'utf8');
    const links = [...page.matchAll(/href="\?example=raft&amp;seed=(\d+)&amp;script=([^"]+)"/g)].map((m) => ({ seed: Number(m[1]), script: m[2]! }));
    expect(links).toEqual([
      { seed: 8, script: '600:crash:n4' },
      { seed: 8, script: '600:crash:n4,650:timeout:n1,650:timeout:n2,650:timeout:n3' },
    ]);
    const leaders = (script: string) => {
      const run = createRun(8, parseScript(script));
      runTo(run, 2000);
      return run.happenings.filter((h) => h.kind === 'leader').map((h) => h.text);
    };
    const elections = (script: string) => {
      const run = createRun(8, parseScript(script));
      runTo(run, 2000);
      return run.happenings.filter((h) => h.kind === 'election').map((h) => h.text);
    };
    expect(leaders('600:crash:n4').slice(0, 2)).toEqual(['n4 is leader of term 1', 'n5 is leader of term 2']);
    expect(elections('600:crash:n4')[1]).toBe('n5 times out and stands for term 2');
    expect(leaders(links[1]!.script).slice(0, 2)).toEqual(['n4 is leader of term 1', 'n3 is leader of term 3']);
  });
});
