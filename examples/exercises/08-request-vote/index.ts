// Exercise 08: deciding a vote. The learner writes logIsUpToDate(mine, theirs) and decideVote(voter, request).
//
// No expected answer is written here: each comes from the Raft core (examples/raft/core). `coreVote` builds a
// real node in the voter's state (createNode, with a log ending where the voter's ends), steps the RequestVote
// into it (raft.ts's step(): the term check, then election.ts's handleRequestVote) and reads the node's term
// and vote and the reply it sent. `coreUpToDate` calls election.ts's candidateIsUpToDate. So the exercise
// cannot drift from the core: change the vote rule there and these answers change with it.
//
// The checks:
//  1.   logIsUpToDate over every pair of ten small logs (§5.4.1);
//  2-4. decideVote over tables of the current, a newer and an older term (every earlier vote x four voter
//       logs x eight candidate logs);
//  5.   2,000 seeded random RequestVotes;
//  6-7. two stories on five real Raft nodes whose votes are all decided by the learner's decideVote
//       (cluster.ts): a node with a stale log stands for election after the leader crashes; a split vote;
//  8.   100 seeded runs of the same five nodes with delays, lost messages, crashes and partitions: at most one
//       leader per term, every new leader holds every committed entry, and a leader again once faults stop.
// A failing check's hint comes from the first case in the tables where the learner's rule and the core differ.
import { isDeepStrictEqual } from 'node:util';
import { candidateIsUpToDate } from '../../raft/core/election.ts';
import { createNode, step } from '../../raft/core/raft.ts';
import type { Config, Entry, RaftNode, RequestVote } from '../../raft/core/types.ts';
import { mulberry32 } from '../../shared/random.ts';
import { callLearner, CheckFailure, exportedFunction, num, type Exercise } from '../types.ts';
import { randomRun, splitVoteStory, staleLogStory, type DecideFn, type Run } from './cluster.ts';
import type { LogEnd, Vote, Voter } from './vote-types.ts';

export interface VoteImpl {
  logIsUpToDate: (mine: LogEnd, theirs: LogEnd) => boolean;
  decideVote: DecideFn;
}

const RUNS = 100;
const RANDOM_CASES = 2000;
const VOTER = 'n3';
const CANDIDATE = 'n2';

// ---- The core's answers ------------------------------------------------------------------------------------------
const config = (id: string): Config => ({ id, members: ['n1', 'n2', 'n3', 'n4', 'n5'], electionTicks: [150, 300], heartbeatTicks: 50, seed: 1, maxEntriesPerMessage: 64 });

/** A log of `lastLogIndex` entries whose last one has term `lastLogTerm` (earlier ones: as early as they can be). */
function logEnding(end: LogEnd): Entry[] {
  return Array.from({ length: end.lastLogIndex }, (_, i) => ({
    index: i + 1,
    term: Math.max(1, end.lastLogTerm - (end.lastLogIndex - 1 - i)),
    command: null,
  }));
}

function nodeFor(id: string, term: number, votedFor: string | null, end: LogEnd): RaftNode {
  return createNode(config(id), { term, votedFor, snapshot: null, entries: logEnding(end) });
}

/** What the Raft core does with `request` in `voter`'s state: its term and vote afterwards, and its reply. */
export function coreVote(voter: Voter, request: RequestVote): Vote {
  const node = nodeFor(voter.id, voter.term, voter.votedFor, voter);
  step(node, request);
  const reply = node.out.messages.find((m) => m.type === 'RequestVoteReply');
  if (reply === undefined || reply.type !== 'RequestVoteReply' || reply.to !== request.from || reply.term !== node.term) {
    throw new Error(`setup: the core sent ${JSON.stringify(node.out.messages)} for ${JSON.stringify(request)}`);
  }
  return { term: node.term, votedFor: node.votedFor, granted: reply.granted };
}

/** The core's §5.4.1 comparison. */
export function coreUpToDate(mine: LogEnd, theirs: LogEnd): boolean {
  const term = Math.max(1, mine.lastLogTerm, theirs.lastLogTerm);
  return candidateIsUpToDate(nodeFor(VOTER, term, null, mine), request(term, theirs));
}

const request = (term: number, end: LogEnd, from = CANDIDATE): RequestVote => ({ type: 'RequestVote', from, to: VOTER, term, lastLogIndex: end.lastLogIndex, lastLogTerm: end.lastLogTerm });
const end = (lastLogIndex: number, lastLogTerm: number): LogEnd => ({ lastLogIndex, lastLogTerm });

// ---- The tables ------------------------------------------------------------------------------------------------
/** Ten small logs: empty, and every mix of 2-4 entries ending in term 1-3. */
const SMALL_LOGS: LogEnd[] = [end(0, 0), ...[2, 3, 4].flatMap((i) => [1, 2, 3].map((t) => end(i, t)))];

const TERM = 4;
const VOTES: (string | null)[] = [null, VOTER, CANDIDATE, 'n5'];
const VOTER_LOGS: LogEnd[] = [end(0, 0), end(3, 2), end(5, 2), end(4, 4)];
const CANDIDATE_LOGS: LogEnd[] = [end(0, 0), end(2, 2), end(5, 2), end(7, 2), end(1, 3), end(4, 4), end(2, 5), end(7, 5)];

interface Case {
  voter: Voter;
  request: RequestVote;
  want: Vote;
}

function voteCases(terms: number[]): Case[] {
  const out: Case[] = [];
  for (const term of terms) {
    for (const votedFor of VOTES) {
      for (const mine of VOTER_LOGS) {
        for (const theirs of CANDIDATE_LOGS) {
          if (theirs.lastLogTerm > term) continue; // a candidate's log holds no entry of a term after its own
          const voter: Voter = { id: VOTER, term: TERM, votedFor, ...mine };
          const r = request(term, theirs);
          out.push({ voter, request: r, want: coreVote(voter, r) });
        }
      }
    }
  }
  return out;
}

/** Random voters and requests from `seed`: terms 0-9, logs of up to 12 entries, every kind of earlier vote. */
function randomCases(seed: number, count: number): Case[] {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const randomEnd = (maxTerm: number): LogEnd => {
    const i = int(13);
    return i === 0 || maxTerm === 0 ? end(0, 0) : end(i, 1 + int(maxTerm));
  };
  const out: Case[] = [];
  for (let k = 0; k < count; k++) {
    const term = int(10);
    const votedFor = term === 0 ? null : [null, VOTER, CANDIDATE, 'n1', 'n4'][int(5)]!;
    const voter: Voter = { id: VOTER, term, votedFor, ...randomEnd(term) };
    const candidateTerm = int(10);
    const r = request(candidateTerm, randomEnd(candidateTerm));
    out.push({ voter, request: r, want: coreVote(voter, r) });
  }
  return out;
}

let tables: { upToDate: { mine: LogEnd; theirs: LogEnd; want: boolean }[]; same: Case[]; newer: Case[]; older: Case[]; random: Case[] } | undefined;
/** Built on first use, not at import. */
export function coreTables() {
  return (tables ??= {
    upToDate: SMALL_LOGS.flatMap((mine) => SMALL_LOGS.map((theirs) => ({ mine, theirs, want: coreUpToDate(mine, theirs) }))),
    same: voteCases([TERM]),
    newer: voteCases([TERM + 1, TERM + 4]),
    older: voteCases([TERM - 1, 1]),
    random: randomCases(8, RANDOM_CASES),
  });
}

// ---- Showing things -------------------------------------------------------------------------------------------
const logText = (e: LogEnd) => (e.lastLogIndex === 0 ? 'an empty log' : `a log of ${e.lastLogIndex} ending in term ${e.lastLogTerm}`);
const voterText = (v: Voter) => `${v.id} (term ${v.term}, ${v.votedFor === null ? 'no vote yet' : v.votedFor === v.id ? 'voted for itself' : `voted for ${v.votedFor}`}, ${logText(v)})`;
const requestText = (r: RequestVote) => `${r.from} asks for its vote in term ${r.term} with ${logText(r)}`;
const voteOut = (v: Vote) => `${v.granted ? 'grants' : 'refuses'}; afterwards term ${v.term}, vote ${v.votedFor === null ? 'none' : v.votedFor}`;
const caseText = (c: Case) => `${voterText(c.voter)}: ${requestText(c.request)}`;

// ---- Calling the learner's code ----------------------------------------------------------------------------------
const NOT_WRITTEN = 'Start with TODO 1 in request-vote.ts (logIsUpToDate: compare the last terms, then the lengths), then TODO 2 to 4 (decideVote).';
const MUTATED = 'decideVote must not change the voter or the request it is given (the checker hands them over read-only): ' +
  'return a new object, e.g. { term: request.term, votedFor: request.from, granted: true }.';

const frozen = <T extends object>(x: T): T => Object.freeze({ ...x });
const guarded = <T>(f: () => T): T => callLearner(f, { notWritten: NOT_WRITTEN, mutated: MUTATED });

function askVote(impl: VoteImpl, c: Case): Vote {
  const got = guarded(() => impl.decideVote(frozen(c.voter), frozen(c.request))) as unknown;
  const g = got as Partial<Vote>;
  if (typeof got !== 'object' || got === null || typeof g.term !== 'number' || typeof g.granted !== 'boolean' || (g.votedFor !== null && typeof g.votedFor !== 'string')) {
    throw new CheckFailure(`${caseText(c)}.\nYour decideVote returned ${JSON.stringify(got)}.`, {
      hint: 'Return all three fields every time: { term, votedFor, granted }, with votedFor null for "no vote".',
    });
  }
  return { term: g.term, votedFor: g.votedFor as string | null, granted: g.granted };
}

// ---- Naming the mistake -----------------------------------------------------------------------------------------
function upToDateMistake(mine: LogEnd, theirs: LogEnd, want: boolean): string {
  const mt = mine.lastLogTerm;
  const tt = theirs.lastLogTerm;
  if (want) {
    if (tt === mt && theirs.lastLogIndex === mine.lastLogIndex) return 'The two logs end at the same index with the same term: they are EQUALLY up to date, and "at least as up to date" includes equal (>=, not >). Refuse equal logs and, at the start, when every log is empty, nobody ever gets a vote.';
    if (tt > mt) return `The candidate's last entry is of term ${tt}, the voter's of term ${mt}: a later last term is more up to date, even with ${theirs.lastLogIndex < mine.lastLogIndex ? 'a SHORTER log' : 'any length'}. Compare the terms first; the lengths only break a tie.`;
    return `Both logs end in term ${mt}, and the candidate's is ${theirs.lastLogIndex > mine.lastLogIndex ? 'longer' : 'as long'}: it is at least as up to date.`;
  }
  if (tt < mt) {
    if (theirs.lastLogIndex === 0) return `The candidate's log is empty and the voter's ends in term ${mt}: the voter has entries the candidate lacks, and they may be committed. Not up to date.`;
    if (theirs.lastLogIndex < mine.lastLogIndex) return `The candidate's last entry is of term ${tt}, the voter's of term ${mt}, and the candidate's log is shorter too: it is LESS up to date.`;
    return `The candidate's last entry is of term ${tt}, the voter's of term ${mt}: the candidate's log is LESS up to date, even though it is as long or longer (${theirs.lastLogIndex} entries against ${mine.lastLogIndex}). Entries of an older term may be ones a later leader replaced; compare the last terms first and use the length only when they are equal.`;
  }
  return `Both logs end in term ${mt}, and the candidate's is shorter (${theirs.lastLogIndex} entries against ${mine.lastLogIndex}): it is missing entries the voter has, which may be committed. Not up to date.`;
}

function voteMistake(impl: VoteImpl, c: Case, got: Vote): string {
  const { voter, request: r, want } = c;
  const uptodate = coreUpToDate(voter, r);
  const logWhy = () => {
    let own: unknown;
    try {
      own = impl.logIsUpToDate(frozen(voter), frozen(r));
    } catch {
      own = undefined;
    }
    if (own === uptodate) {
      return uptodate
        ? `Your logIsUpToDate says rightly that ${r.from}'s log is up to date, yet decideVote refused: with no other vote in this term, an up-to-date candidate gets the vote.`
        : `Your logIsUpToDate says rightly that ${r.from}'s log is NOT up to date (the voter has ${logText(voter)}, the candidate ${logText(r)}), yet decideVote granted: call it before every grant (§5.4.1). A candidate missing entries the voter has may be missing committed ones, and as leader it would overwrite them.`;
    }
    return upToDateMistake(voter, r, uptodate);
  };
  if (r.term < voter.term) {
    if (got.granted) return `${r.from} is in term ${r.term}, OLDER than the voter's ${voter.term}: it is a candidate of an election that is over. Refuse it, and answer with the voter's term (§5.1) so it steps down.`;
    if (got.term !== voter.term) return `Terms never go back, and an older request does not move them forward: keep term ${voter.term}, and answer with it.`;
    if (got.votedFor !== voter.votedFor) return 'An older request changes nothing: keep the vote as it is.';
  } else if (r.term > voter.term) {
    if (got.term !== r.term) return `Adopt the newer term: afterwards the voter is in term ${r.term} (the request's), not ${got.term}. The reply carries it; a reply with an older term is ignored by the candidate, so no election could ever be won.`;
    if (want.granted && !got.granted) {
      if (voter.votedFor !== null && voter.votedFor !== r.from) return `The voter's vote for ${voter.votedFor} was cast in term ${voter.term}. In term ${r.term} it has not voted yet: its vote becomes null when it adopts the newer term, and then it is free. Keep the old vote and, after a split vote, every node refuses everyone for ever.`;
      return logWhy();
    }
    if (!want.granted && got.granted) return logWhy();
    if (got.votedFor !== want.votedFor) {
      return want.granted
        ? `A grant records the vote: votedFor ${r.from}, so that the voter refuses any other candidate of term ${r.term}.`
        : `The request was refused, but the voter is now in term ${r.term}, where it has not voted: votedFor null (the vote for ${voter.votedFor ?? 'nobody'} belonged to term ${voter.term}).`;
    }
  } else {
    if (got.term !== voter.term) return `Same term (${r.term}): the term stays as it is.`;
    if (got.granted && !want.granted) {
      if (voter.votedFor !== null && voter.votedFor !== r.from) {
        return `${voter.id} already voted for ${voter.votedFor === voter.id ? 'itself (it is a candidate)' : voter.votedFor} in term ${voter.term}: one vote per term (§5.2). Two votes let two candidates each gather a majority: two leaders in one term.`;
      }
      return logWhy();
    }
    if (!got.granted && want.granted) {
      if (voter.votedFor === r.from) return `${voter.id} already voted for ${r.from} in this term: ${r.from} is asking again (its first reply may have been lost). Say yes again; it is the same vote, not a second one.`;
      return logWhy();
    }
    if (got.votedFor !== want.votedFor) {
      return want.granted ? `A grant records the vote: votedFor ${r.from}.` : `A refusal in the same term keeps the vote as it was (${voter.votedFor ?? 'null'}).`;
    }
  }
  return `The Raft core ${voteOut(want)}; compare field by field.`;
}

function firstDisagreement(impl: VoteImpl, list: Case[]): { c: Case; got: Vote } | undefined {
  for (const c of list) {
    const got = askVote(impl, c);
    if (!isDeepStrictEqual(got, c.want)) return { c, got };
  }
  return undefined;
}

/** The first mistake anywhere in the tables, as a hint; undefined if none (or the code throws). */
export function voteHint(impl: VoteImpl): string | undefined {
  try {
    const t = coreTables();
    for (const x of t.upToDate) {
      if (guarded(() => impl.logIsUpToDate(frozen(x.mine), frozen(x.theirs))) !== x.want) return upToDateMistake(x.mine, x.theirs, x.want);
    }
    for (const list of [t.same, t.newer, t.older, t.random]) {
      const d = firstDisagreement(impl, list);
      if (d !== undefined) return voteMistake(impl, d.c, d.got);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function tableCheck(impl: VoteImpl, list: Case[]): string {
  const d = firstDisagreement(impl, list);
  if (d === undefined) return `the same decision as the Raft core in all ${num(list.length)} cases`;
  throw new CheckFailure(`${caseText(d.c)}.\nThe Raft core: ${voteOut(d.c.want)}.\nYours:         ${voteOut(d.got)}.`, { hint: voteMistake(impl, d.c, d.got) });
}

// ---- The cluster runs ---------------------------------------------------------------------------------------------
const decideWith = (impl: VoteImpl): DecideFn => (voter, r) => guarded(() => impl.decideVote(voter, r));

function clusterFailure(impl: VoteImpl, run: Run, where: string, seed?: number): CheckFailure {
  const v = run.violation!;
  const fallback: Record<string, string> = {
    'two-leaders': 'Two nodes won the same term: some node gave two votes in one term. Grant only with no vote yet in this term, or to the candidate already voted for.',
    'lost-commit': 'A node without a committed entry was elected: check the up-to-date test (§5.4.1) and that decideVote uses it on every grant.',
    'no-leader': 'No election could be won: check that a newer term is adopted with votedFor null, that equal logs count as up to date, and that the reply carries the adopted term.',
    diverged: 'Two nodes applied different entries at one index: a leader without a committed entry overwrote it. Check the up-to-date test (§5.4.1).',
    'bad-vote': 'Return { term, votedFor, granted }, with term never below the voter\'s.',
  };
  return new CheckFailure(`${where}: ${v.message}.\nThe last events before it:\n${run.trace.map((l) => `  ${l}`).join('\n')}`, {
    hint: voteHint(impl) ?? fallback[v.kind] ?? 'Replay the run alone and read the events.',
    ...(seed !== undefined ? { seed } : {}),
  });
}

function seeds(count: number, only: number | undefined): number[] {
  return only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
}

export const exercise: Exercise<VoteImpl> = {
  title: 'RequestVote: one vote per term, and only for an up-to-date log',
  page: 'consensus/08-raft-leader-election.md',
  learnerFile: 'request-vote.ts',
  load(mod) {
    return {
      logIsUpToDate: exportedFunction(mod, 'logIsUpToDate', 'logIsUpToDate(mine, theirs)') as VoteImpl['logIsUpToDate'],
      decideVote: exportedFunction(mod, 'decideVote', 'decideVote(voter, request)') as DecideFn,
    };
  },
  checks: [
    {
      name: 'logIsUpToDate (§5.4.1): the later last term wins; with the same last term, the longer log; equal logs count',
      hint: 'logIsUpToDate threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 1.',
      run(impl) {
        const list = coreTables().upToDate;
        for (const { mine, theirs, want } of list) {
          const got = guarded(() => impl.logIsUpToDate(frozen(mine), frozen(theirs)));
          if (got !== want) {
            throw new CheckFailure(`The voter has ${logText(mine)}; the candidate has ${logText(theirs)}.\nThe Raft core: ${want ? 'up to date' : 'NOT up to date'}. Yours: ${got ? 'up to date' : 'NOT up to date'}.`, {
              hint: upToDateMistake(mine, theirs, want),
            });
          }
        }
        return `the same answer as the Raft core for all ${list.length} pairs of logs`;
      },
    },
    {
      name: 'the current term: one vote per term (the same candidate may ask again), and only for an up-to-date log',
      hint: 'decideVote threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 4.',
      run: (impl) => tableCheck(impl, coreTables().same),
    },
    {
      name: 'a newer term: adopt it, forget the vote of the old term, then decide as in the current term',
      hint: 'decideVote threw (the error and its line are above): follow TODO 3.',
      run: (impl) => tableCheck(impl, coreTables().newer),
    },
    {
      name: 'an older term: refuse, change nothing, answer with the voter\'s own term',
      hint: 'decideVote threw (the error and its line are above): follow TODO 2.',
      run: (impl) => tableCheck(impl, coreTables().older),
    },
    {
      name: `${num(RANDOM_CASES)} seeded random RequestVotes (terms 0-9, logs of up to 12 entries): the same decision as the Raft core`,
      hint: 'decideVote threw on a random case (the error and its line are above).',
      run: (impl) => tableCheck(impl, coreTables().random),
    },
    {
      name: 'five Raft nodes voting with your decideVote: after the leader crashes, a node with a stale log cannot win',
      hint: 'decideVote threw while the cluster ran (the error and its line are above): make the checks above pass first.',
      run(impl) {
        const s = staleLogStory(decideWith(impl));
        if (s.run.violation) throw clusterFailure(impl, s.run, 'in the stale-log story');
        const next = s.nextLeader;
        const problem =
          s.firstLeader !== 'n1' ? `n1 should have led term 1 (its timer ran out first), but ${s.firstLeader === undefined ? 'nobody led' : `${s.firstLeader} did`} at 0.100 s`
            : s.staleWon ? 'n4 won with its stale log'
              : next === undefined ? 'after n1 crashed, no node was elected within 2 s (n2 and n3 have every committed entry; one of them should win)'
                : undefined;
        if (problem !== undefined || next === undefined) {
          throw new CheckFailure(`The story did not play out: ${problem}.\nThe last events:\n${s.run.trace.map((l) => `  ${l}`).join('\n')}`, {
            hint: voteHint(impl) ?? 'Compare your rule with the table checks above.',
          });
        }
        return `n1 led term 1 and committed ${s.committedBefore} writes on n1, n2 and n3 while n4 and n5 were down; then n1 crashed.\n` +
          `n4 came back with ${s.staleLog === undefined ? 'a stale log' : `log ${s.staleLog} (index/term)`} against n2's ${s.freshLog ?? '?'}, stood for election ${s.staleElections} time${s.staleElections === 1 ? '' : 's'} and lost; ` +
          `${next.id} led term ${next.term} with every committed write.`;
      },
    },
    {
      name: 'five Raft nodes voting with your decideVote: a split vote in term 1 elects nobody, and a later term elects one leader',
      hint: 'decideVote threw while the cluster ran (the error and its line are above): make the checks above pass first.',
      run(impl) {
        const s = splitVoteStory(decideWith(impl));
        if (s.run.violation) throw clusterFailure(impl, s.run, 'in the split-vote story');
        if (s.term1Leaders.length > 0 || s.nextLeader === undefined) {
          throw new CheckFailure(
            `The story did not play out: ${s.term1Leaders.length > 0 ? `${s.term1Leaders.join(' and ')} won term 1 (${s.term1Votes}), but with three candidates who each voted for themselves, nobody should have a majority` : 'no node was elected within 2 s'}.\n` +
              `The last events:\n${s.run.trace.map((l) => `  ${l}`).join('\n')}`,
            { hint: voteHint(impl) ?? 'Compare your rule with the table checks above.' },
          );
        }
        return `n1, n2 and n3 stood in term 1 at the same moment; ${s.term1Votes}; n3 only itself: no majority of 3.\n` +
          `${s.nextLeader.id} timed out first with a new random timeout and won term ${s.nextLeader.term} at ${(s.nextLeader.at / 1000).toFixed(3)} s.`;
      },
    },
    {
      name: `${RUNS} seeded runs of five Raft nodes voting with your decideVote (delays, lost messages, crashes, partitions): at most one leader per term, every new leader holds every committed entry, a leader again once faults stop`,
      hint: 'decideVote threw during a random run: replay that run alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        const total = { elections: 0, wins: 0, granted: 0, refused: 0, commits: 0 };
        const list = seeds(RUNS, only);
        for (const seed of list) {
          let run: Run;
          try {
            run = randomRun(decideWith(impl), seed);
          } catch (err) {
            if (err instanceof CheckFailure) throw err;
            throw new CheckFailure(`random run ${seed}: decideVote threw: ${err instanceof Error ? err.message : String(err)}`, { seed });
          }
          if (run.violation) throw clusterFailure(impl, run, `random run ${seed}`, seed);
          for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += run.stats[k];
        }
        return `${list.length === 1 ? '1 run' : `${list.length} runs`}: ${num(total.elections)} elections stood, ${num(total.wins)} won; ${num(total.granted)} votes granted, ${num(total.refused)} refused; ` +
          `${num(total.commits)} writes committed, none lost by a new leader`;
      },
    },
  ],
};
