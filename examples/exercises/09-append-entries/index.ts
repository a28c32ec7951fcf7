// Exercise 09: the follower's side of AppendEntries. The learner writes appendEntries(follower, message) ->
// { reply, change, commitIndex }: refuse or accept (§5.3's consistency check), which entries to drop and append,
// the new commit index, and on a refusal the hint that lets the leader skip back a whole term.
//
// No expected answer is written here: each comes from the Raft core. `coreAnswer` (cluster.ts) builds a real
// node holding the follower's log and commit index, steps the message into it (raft.ts's step(), then
// replication.ts's handleAppendEntries) and reads its ready(): the reply it sends, the log change it asks the
// disk for, its commit index. Change the core and these answers change with it.
//
// The cases: the paper's Figure 7 (a leader of term 8 and six followers a-f), a few more by hand (a stale,
// duplicated message; entries already committed; a log too short; a tail that must not be committed), and
// several hundred harvested from seeded runs of five real nodes, so every case is a state Raft can really be in.
// The checks:
//  1.   the consistency check: refuse or accept;
//  2.   accepted: which entries go and which are appended;
//  3.   accepted: the commit index and the matchIndex in the reply;
//  4.   refused: the fast-backup hint (conflictTerm, conflictIndex);
//  5.   100 seeded runs of five real Raft nodes whose follower side is the learner's function (cluster.ts):
//       lossy, duplicating, reordering links, partitions, crashes. Committed entries must never change or go,
//       and after a quiet spell every log must equal the leader's.
// A failure's hint names the mistake, comparing the learner's answer with the core's on the first case where
// they differ.
import { callLearner, CheckFailure, exportedFunction, num, type Exercise } from '../types.ts';
import { coreAnswer, logText, messageText, outcomeProblem, outcomeText, runCluster, sameOutcome, deepFreeze, NODES, type Stats } from './cluster.ts';
import { termAt, type AppendEntries, type Entry, type Follower, type FollowFn, type Outcome } from './follower-types.ts';

export interface AppendImpl {
  appendEntries: FollowFn;
}

const RUNS = 100;
const HARVEST_RUNS = 30;
const PER_KIND = 50;
const LEADER = 'n1';
const ME = 'n2';

// ---- The cases ------------------------------------------------------------------------------------------------
export interface Case {
  name: string;
  follower: Follower;
  message: AppendEntries;
  want: Outcome;
}

const log = (terms: number[]): Entry[] => terms.map((term, i) => ({ index: i + 1, term, command: `x${i + 1}.${term}` }));
const append = (term: number, leaderLog: Entry[], prevLogIndex: number, count: number, leaderCommit: number): AppendEntries => ({
  type: 'AppendEntries',
  from: LEADER,
  to: ME,
  term,
  prevLogIndex,
  prevLogTerm: termAt(leaderLog, prevLogIndex)!,
  entries: leaderLog.slice(prevLogIndex, prevLogIndex + count),
  leaderCommit,
});
const make = (name: string, followerLog: Entry[], commitIndex: number, message: AppendEntries): Case => {
  const follower = deepFreeze<Follower>({ log: followerLog, commitIndex });
  const m = deepFreeze(message);
  return { name, follower, message: m, want: coreAnswer(follower, m) };
};

// Figure 7: the leader of term 8 has just been elected and appended its no-op at 11. The followers' entries
// (a leader's log and each follower's agree on entries of the same index and term: the commands are named so).
const F7_LEADER = [...log([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]), { index: 11, term: 8, command: null }];
const F7: Record<string, number[]> = {
  a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
  b: [1, 1, 1, 4],
  c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
  d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
  e: [1, 1, 1, 4, 4, 4, 4],
  f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
};
const f7 = (who: string, prevLogIndex: number, count = 64, leaderCommit = 3) =>
  make(`Figure 7, follower (${who})`, log(F7[who]!), 3, append(8, F7_LEADER, prevLogIndex, count, leaderCommit));

/** A leader of term 3 whose log is 1 1 2 2 2 3 3 3 (entries 1-5 committed), and followers around it. */
const L3 = log([1, 1, 2, 2, 2, 3, 3, 3]);

let cases: { named: Case[]; harvested: Case[] } | undefined;
/** Built on first use (the harvest runs real nodes), not at import. */
export function coreCases() {
  if (cases !== undefined) return cases;
  const named = [
    f7('a', 10), // too short
    f7('b', 10), // far too short
    f7('c', 10), // holds entry 10: accept, and its extra 11 (term 6) conflicts with the no-op
    f7('d', 10), // the same, with two extra entries of term 7
    f7('e', 10), // too short
    f7('f', 10), // entry 10 has term 3, not 6: refuse
    { ...f7('f', 6), name: 'Figure 7, follower (f), second try (the leader skipped term 3)' },
    { ...f7('f', 3), name: 'Figure 7, follower (f), third try (the leader skipped term 2)' },
    make('a stale, duplicated AppendEntries: it carries 4..6, and the follower got 4..8 since', L3, 5, append(3, L3, 3, 3, 5)),
    make('entries up to the commit index again (a retry of a message already applied)', L3.slice(0, 7), 7, append(3, L3, 2, 6, 5)),
    make('the follower holds every entry; a heartbeat says the leader committed up to 8', L3, 5, append(3, L3, 8, 0, 8)),
    make('a follower with an old leader\'s tail: 6..8 are of term 2; the message checks only up to 5', log([1, 1, 2, 2, 2, 2, 2, 2]), 3, append(3, L3, 4, 1, 8)),
    make('an empty follower, and the leader\'s first entries', [], 0, append(3, L3, 0, 4, 0)),
    make('a run of term 2 that reaches down to the commit index', log([1, 1, 2, 2, 2, 2]), 3, append(3, log([1, 1, 2, 3, 3, 3, 3]), 6, 1, 3)),
  ];
  // Every AppendEntries a follower took in seeded runs of the real core, sorted by kind, a spread of each; the
  // expected answer of each chosen case is then coreAnswer's, like the cases above.
  const byKind: Record<string, Omit<Case, 'want'>[]> = {};
  for (let seed = 1; seed <= HARVEST_RUNS; seed++) {
    runCluster('core', 1000 + seed, (call) => {
      const k = kind(call.follower, call.message, call.want);
      (byKind[k] ??= []).push({ name: `a ${k} case from a seeded run (run ${1000 + seed}, ${call.tick} ms)`, follower: call.follower, message: call.message });
    });
  }
  const harvested = Object.keys(byKind).sort().flatMap((k) => spread(byKind[k]!, PER_KIND)).map((c) => {
    const follower = deepFreeze(c.follower);
    const message = deepFreeze(c.message);
    return { name: c.name, follower, message, want: coreAnswer(follower, message) };
  });
  return (cases = { named, harvested });
}

function kind(f: Follower, m: AppendEntries, want: Outcome): string {
  if (!want.reply.success) return want.reply.conflictTerm === null ? 'too-short' : 'conflict';
  if (want.change !== null) return want.change.truncateFrom <= f.log.length ? 'truncate' : 'append';
  if (m.entries.length > 0) return 'stale';
  return want.commitIndex > f.commitIndex ? 'heartbeat-commit' : 'heartbeat';
}

/** At most `n` cases, evenly spread over the list (deterministic). */
function spread<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!);
}

// ---- Calling the learner's code -----------------------------------------------------------------------------------
const NOT_WRITTEN = 'Start with TODO 1 in append-entries.ts (the consistency check: refuse when the entry before the new ones is missing or has another term), ' +
  'then TODO 2 (what to drop and append), TODO 3 (the commit index) and TODO 4 (the hint for the leader).';
const MUTATED = 'Do not change the follower\'s log or the message you are given (log.push, log.splice, log.length = ...): describe the change ' +
  'instead, as change: { truncateFrom, entries }, and the node writes it (to memory and to disk) itself.';

function ask(impl: AppendImpl, c: Case): Outcome {
  const got = callLearner(() => impl.appendEntries(c.follower, c.message), { notWritten: NOT_WRITTEN, mutated: MUTATED });
  const problem = outcomeProblem(got);
  if (problem !== undefined) {
    throw new CheckFailure(`${caseText(c)}\nYour answer has the wrong shape: ${problem}.`, {
      hint: 'Return all three fields every time: { reply: { success, matchIndex, conflictTerm, conflictIndex }, change: null or { truncateFrom, entries }, commitIndex }.',
    });
  }
  return got;
}

export function caseText(c: Case): string {
  return `${c.name}:\n  ${ME}'s log (terms, from index 1): ${logText(c.follower.log)}   commitIndex ${c.follower.commitIndex}\n  AppendEntries from the leader: ${messageText(c.message)}`;
}

// ---- Naming the mistake ------------------------------------------------------------------------------------------
const span = (a: number, b: number) => (a === b ? `${a}` : `${a}..${b}`);

/** The hint for what `got` gets wrong in case `c`, compared with the core's answer. */
export function mistake(c: Case, got: Outcome): string {
  const { follower: f, message: m, want } = c;
  const last = f.log.length;
  const P = m.prevLogIndex;
  if (got.reply.success !== want.reply.success) {
    if (!want.reply.success) {
      if (P > last) return `The new entries go after index ${P} (prevLogIndex), but this log ends at ${last}: accepting leaves a hole at ${span(last + 1, P)}. Refuse; the leader backs up and sends what is missing first.`;
      return `This log has term ${termAt(f.log, P)} at index ${P}, the leader's has term ${m.prevLogTerm} (prevLogTerm): the logs differ there (and so, possibly, before it). Refuse; appending after a different entry breaks the Log Matching Property (§5.3).`;
    }
    if (P === 0) return 'prevLogIndex 0 means "before the first entry": every log matches there (termAt gives 0 for index 0). Accept.';
    return `This log has term ${termAt(f.log, P)} at index ${P}, the same as prevLogTerm: the logs agree up to there (Log Matching, §5.3). Accept.`;
  }
  if (!want.reply.success) {
    if (got.change !== null) return 'A refusal writes nothing: change null. The leader will send the right entries after it backs up.';
    if (got.commitIndex !== want.commitIndex) return `A refusal leaves the commit index as it is (${f.commitIndex}): the message proved nothing about this log.`;
    if (got.reply.matchIndex !== 0) return 'A refusal says matchIndex 0 (the leader ignores it, and 0 claims nothing).';
    if (got.reply.conflictTerm !== want.reply.conflictTerm) {
      return want.reply.conflictTerm === null
        ? `This log is too short to have index ${P} at all: conflictTerm null, conflictIndex ${last + 1} (the end of this log + 1), so the leader jumps straight there.`
        : `conflictTerm is the term THIS log has at prevLogIndex ${P}: ${want.reply.conflictTerm}. The leader looks for it in its own log.`;
    }
    if (got.reply.conflictIndex !== want.reply.conflictIndex) {
      if (want.reply.conflictTerm === null) return `Too short: conflictIndex is the index just after this log's last entry, ${last + 1}.`;
      if (got.reply.conflictIndex === P) return `conflictIndex ${P} makes the leader back up one entry per round trip. Point it at the first entry of this log's run of term ${want.reply.conflictTerm}: ${want.reply.conflictIndex}, so it skips the whole term at once.`;
      if (got.reply.conflictIndex <= f.commitIndex) return `Entries up to the commit index (${f.commitIndex}) are committed: the leader has them too, identical. Go back along the run of term ${want.reply.conflictTerm} no further than commitIndex + 1: ${want.reply.conflictIndex}.`;
      return `conflictIndex is the first index of this log's run of term ${want.reply.conflictTerm} that ends at ${P}, not going below commitIndex + 1: ${want.reply.conflictIndex}.`;
    }
    return `The core answers: ${outcomeText(want)}.`;
  }
  // Both accept.
  const wc = want.change;
  const gc = got.change;
  if (JSON.stringify(changeKey(gc)) !== JSON.stringify(changeKey(wc))) {
    const newFrom = wc?.truncateFrom;
    if (gc !== null && gc.truncateFrom <= f.commitIndex) return `Your change drops from ${gc.truncateFrom}, at or below the commit index ${f.commitIndex}: committed entries never change. Skip message entries at or below it.`;
    if (wc === null && gc !== null) {
      const end = P + m.entries.length;
      if (end < last && gc.truncateFrom <= end + 1) {
        return `This log already holds every entry of the message (${span(P + 1, end)}), identical, and more after them (up to ${last}): the message is old, a duplicate or overtaken by a later one. ` +
          `Cutting from ${gc.truncateFrom} throws away ${span(Math.max(gc.truncateFrom, end + 1), last)}, which the leader already counts as stored here and may have committed. Only an entry that CONFLICTS (same index, other term) is cut, with what follows it; here none does: change null.`;
      }
      return `Every entry of the message is already here, identical (same index, same term): write nothing, change null.`;
    }
    if (gc === null && wc !== null) {
      return wc.truncateFrom <= last
        ? `Entry ${wc.truncateFrom} conflicts: this log has term ${termAt(f.log, wc.truncateFrom)} there, the leader's has ${m.entries.find((e) => e.index === wc.truncateFrom)?.term}. Drop it and everything after it, and append the message's entries from ${wc.truncateFrom} on (§5.3).`
        : `The message brings entries this log does not have yet, from ${wc.truncateFrom}: append them (change: { truncateFrom: ${wc.truncateFrom}, entries: [...] }).`;
    }
    if (gc !== null && wc !== null && gc.truncateFrom < wc.truncateFrom) {
      return `Entries ${span(gc.truncateFrom, wc.truncateFrom - 1)} are already here, identical: rewriting them costs disk writes for nothing. Start the change at the first entry that is new or conflicts: ${newFrom}.`;
    }
    if (gc !== null && wc !== null && gc.truncateFrom > wc.truncateFrom) {
      return wc.truncateFrom <= last
        ? `Entry ${wc.truncateFrom} conflicts (term ${termAt(f.log, wc.truncateFrom)} here, ${m.entries.find((e) => e.index === wc.truncateFrom)?.term} in the message): the change must start there, or the old entry stays.`
        : `The first new entry is ${wc.truncateFrom}: start the change there, or there is a hole.`;
    }
    return `Append exactly the message's entries from ${newFrom} on, unchanged: ${range(wc)}.`;
  }
  const vouched = P + m.entries.length;
  if (got.commitIndex !== want.commitIndex) {
    if (got.commitIndex < f.commitIndex) return `The commit index went back from ${f.commitIndex} to ${got.commitIndex}. This message is old (leaderCommit ${m.leaderCommit}); committed is for ever: never lower it.`;
    if (got.commitIndex > want.commitIndex && got.commitIndex > vouched) {
      return `This message proves the log equal to the leader's up to ${vouched} (prevLogIndex + entries), no further. Past it this log may hold entries of an old leader that will be overwritten (here: ${span(vouched + 1, last)}, terms ${f.log.slice(vouched).map((e) => e.term).join(' ')}). ` +
        `Commit no higher than min(leaderCommit, ${vouched}) = ${want.commitIndex}, not min(leaderCommit, your last index).`;
    }
    if (got.commitIndex === f.commitIndex) return `The leader has committed up to ${m.leaderCommit} and this log matches it up to ${vouched}: the commit index moves to min(leaderCommit, ${vouched}) = ${want.commitIndex} (Figure 2, rule 5 of AppendEntries).`;
    return `commitIndex = max(${f.commitIndex}, min(leaderCommit ${m.leaderCommit}, ${vouched})) = ${want.commitIndex}.`;
  }
  if (got.reply.matchIndex !== want.reply.matchIndex) {
    return `matchIndex tells the leader how far this log now equals its own: prevLogIndex + the number of entries = ${vouched}${want.reply.matchIndex > vouched ? `, but never below the commit index (${want.reply.matchIndex})` : ''}. Not this log's last index: entries past the message were not checked.`;
  }
  if (got.reply.conflictTerm !== null || got.reply.conflictIndex !== 0) return 'An acceptance carries no hint: conflictTerm null, conflictIndex 0.';
  return `The core answers: ${outcomeText(want)}.`;
}

const changeKey = (c: Outcome['change']) => (c === null ? null : { truncateFrom: c.truncateFrom, entries: c.entries.map((e) => [e.index, e.term, e.command]) });
const range = (c: Outcome['change']) => (c === null || c.entries.length === 0 ? 'nothing' : `entries ${span(c.entries[0]!.index, c.entries.at(-1)!.index)}`);

// ---- The table checks -----------------------------------------------------------------------------------------------
type Part = 'check' | 'change' | 'commit' | 'hint';

/** The fields one check compares; the others are left to their own check. */
function part(o: Outcome, p: Part): unknown {
  switch (p) {
    case 'check':
      return o.reply.success;
    case 'change':
      return changeKey(o.change);
    case 'commit':
      return [o.commitIndex, o.reply.matchIndex];
    case 'hint':
      return [o.reply.conflictTerm, o.reply.conflictIndex];
  }
}

/** The first case (named ones first) where the learner's answer differs from the core's in `p`. */
function firstDifference(impl: AppendImpl, list: Case[], p: Part | 'all'): { c: Case; got: Outcome } | undefined {
  for (const c of list) {
    const got = ask(impl, c);
    const differs = p === 'all' ? !sameOutcome(got, c.want) : JSON.stringify(part(got, p)) !== JSON.stringify(part(c.want, p));
    if (differs) return { c, got };
  }
  return undefined;
}

function tableCheck(impl: AppendImpl, p: Part, filter: (c: Case) => boolean): string {
  const { named, harvested } = coreCases();
  const list = [...named, ...harvested].filter(filter);
  const d = firstDifference(impl, list, p);
  if (d === undefined) return `the same answer as the Raft core in all ${num(list.length)} cases (${named.filter(filter).length} by hand, ${num(harvested.filter(filter).length)} from seeded runs)`;
  throw new CheckFailure(`${caseText(d.c)}\n  The Raft core: ${outcomeText(d.c.want)}.\n  Yours:         ${outcomeText(d.got)}.`, { hint: mistake(d.c, d.got) });
}

/** The first mistake the learner's function makes anywhere in the cases, as a hint; undefined if none (or it throws). */
export function appendHint(impl: AppendImpl): string | undefined {
  try {
    const { named, harvested } = coreCases();
    const d = firstDifference(impl, [...named, ...harvested], 'all');
    return d === undefined ? undefined : mistake(d.c, d.got);
  } catch {
    return undefined;
  }
}

// ---- The runs ---------------------------------------------------------------------------------------------------------
function seeds(count: number, only: number | undefined): number[] {
  return only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
}

const accepted = (c: Case) => c.want.reply.success;
const refused = (c: Case) => !c.want.reply.success;

export const exercise: Exercise<AppendImpl> = {
  title: 'AppendEntries on the follower: the consistency check, conflict truncation and the commit index',
  page: 'consensus/09-log-replication.md',
  learnerFile: 'append-entries.ts',
  load(mod) {
    return { appendEntries: exportedFunction(mod, 'appendEntries', 'appendEntries(follower, message)') as FollowFn };
  },
  checks: [
    {
      name: 'the consistency check: refuse when the entry before the new ones is missing or has another term, accept otherwise',
      hint: 'appendEntries threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 1.',
      run: (impl) => tableCheck(impl, 'check', () => true),
    },
    {
      name: 'accepted: the first conflicting entry and all after it go, new entries are appended, entries already held stay (a stale duplicate truncates nothing)',
      hint: 'appendEntries threw (the error and its line are above): follow TODO 2.',
      run: (impl) => tableCheck(impl, 'change', accepted),
    },
    {
      name: 'accepted: the commit index moves to min(leaderCommit, the last index the message vouches for), never back; matchIndex says how far the logs agree',
      hint: 'appendEntries threw (the error and its line are above): follow TODO 3.',
      run: (impl) => tableCheck(impl, 'commit', accepted),
    },
    {
      name: 'refused: the hint lets the leader skip a whole term (conflictTerm, conflictIndex), or jump to the end of a short log',
      hint: 'appendEntries threw (the error and its line are above): follow TODO 4.',
      run: (impl) => tableCheck(impl, 'hint', refused),
    },
    {
      name: `${RUNS} seeded runs of five real Raft nodes with your follower side (lost, duplicated and reordered messages, partitions, crashes): committed entries never change, and every log ends equal to the leader's`,
      hint: 'appendEntries threw during a run: replay that run alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        const total: Stats = { leaders: 0, committed: 0, calls: 0, refused: 0, truncations: 0, stale: 0, crashes: 0, partitions: 0 };
        const list = seeds(RUNS, only);
        for (const seed of list) {
          const follow: FollowFn = (f, m) => callLearner(() => impl.appendEntries(f, m), { notWritten: NOT_WRITTEN, mutated: MUTATED });
          let r;
          try {
            r = runCluster(follow, seed);
          } catch (err) {
            if (err instanceof CheckFailure) {
              const failure = new CheckFailure(`run ${seed}: ${err.message}`, { hint: err.hint, seed });
              failure.stack = err.stack;
              throw failure;
            }
            throw new CheckFailure(`run ${seed}: appendEntries threw: ${err instanceof Error ? err.message : String(err)}`, { seed });
          }
          if (r.violation !== undefined) {
            throw new CheckFailure(`run ${seed} (${NODES.length} nodes): ${r.violation}.\nThe last events before it:\n${r.trace.map((l) => `  ${l}`).join('\n')}`, {
              hint: appendHint(impl) ?? 'Replay the run alone and read the events: which answer of your function let the logs drift apart?',
              seed,
            });
          }
          for (const k of Object.keys(total) as (keyof Stats)[]) total[k] += r.stats[k];
        }
        return `${list.length === 1 ? '1 run' : `${num(list.length)} runs`}: ${num(total.leaders)} leaders elected, ${num(total.crashes)} crashes, ${num(total.partitions)} partitions, ${num(total.committed)} entries committed; ` +
          `your function took ${num(total.calls)} AppendEntries: refused ${num(total.refused)}, cut a conflicting tail ${num(total.truncations)} times, and left the log alone for ${num(total.stale)} stale ones; every log ended equal to the leader's`;
      },
    },
  ],
};
