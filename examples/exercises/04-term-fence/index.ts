// Exercise 04: the term fence. The learner writes fence(view, msg) -> { pass, view, save, reply }.
//
// Two kinds of checks:
//  1. A table of cases (five views of one group x five message terms x every group message type). The EXPECTED
//     answer of each case is not written here: it is what the store's own code does. `storeAnswer` builds a
//     real node (createNode in examples/store/core/node.ts) in the case's view, steps it with the message,
//     and reads the effects: a `stale` message sent back, a term change with no vote written to disk, the
//     node's term, vote and role after the fence, and whether the message went on to its handler. So the
//     exercise cannot drift from the store: change node.ts's fence and these answers change with it.
//  2. One group of three nodes (model.ts) run with the learner's fence: a story (the leader's link to one
//     follower turns slow, the follower starts an election) and seeded random runs with lost, delayed and
//     reordered messages, cut and slow links, crashes. The safety property of the issue is checked at every
//     step: never two leaders in one term (so never two leaders acknowledging writes in one term), and no
//     follower ever stores a write of an older term than its own (a deposed leader's writes never get in).
//     At the end of every run, after a quiet spell, the group must have one leader that everybody follows.
//
// A failing check's hint comes from `fenceHint`, which runs the learner's fence over the whole table and
// names the first mistake it finds (forgot to reset the vote, forgot to save, refused an equal term,
// answered an answer, adopted the term but kept leading, ...).
import { isDeepStrictEqual } from 'node:util';
import { createNode, step } from '../../store/core/node.ts';
import { defaultConfig, type PeerMessage, type StoreConfig } from '../../store/core/types.ts';
import { CheckFailure, exportedFunction, num, type Exercise } from '../types.ts';
import { MESSAGE_TYPES, REQUESTS, type GroupMessageType, type GroupView, type Incoming, type Verdict } from './fence-types.ts';
import { randomOptions, simulate, storyOptions, verdictProblem, type FenceFn, type Outcome } from './model.ts';

export interface FenceImpl {
  fence: FenceFn;
}

const RUNS = 100;
const ME = 'n1';
const SENDER = 'n2';
const MEMBERS = ['n1', 'n2', 'n3'];
const GROUP = 'n1+n2+n3';
const CONFIG: StoreConfig = { ...defaultConfig, id: ME, vnodes: 8 };
const TERM = 3;

// ---- The cases, and the store's answer to each ----------------------------------------------------------------
const VIEWS: GroupView[] = [
  { term: TERM, votedFor: null, role: 'follower' },
  { term: TERM, votedFor: 'n3', role: 'follower' },
  { term: TERM, votedFor: SENDER, role: 'follower' },
  { term: TERM, votedFor: ME, role: 'leader' },
  { term: TERM, votedFor: ME, role: 'candidate' },
];
const NEWER = [TERM + 1, TERM + 5];
const SAME = [TERM];
const OLDER = [TERM - 1, 0];

interface Case {
  view: GroupView;
  msg: Incoming;
  want: Verdict;
}

/** The message the store's node would receive, with a payload its handler can take. */
function peerMessage(type: GroupMessageType, term: number): PeerMessage {
  const base = { from: SENDER, to: ME, group: GROUP, term };
  switch (type) {
    case 'heartbeat':
    case 'heartbeat-ok':
      return { type, ...base, round: 1 };
    case 'vote':
      return { type, ...base, granted: false, data: null };
    case 'sync':
      return { type, ...base, data: {} };
    case 'replicate':
      return { type, ...base, key: 'k', write: { value: 'v', term, seq: 1 } };
    case 'replicate-ok':
      return { type, ...base, key: 'k', seq: 1 };
    case 'vote-request':
    case 'sync-ok':
    case 'stale':
      return { type, ...base };
  }
}

/** A real store node in `view`: createNode restores the term and vote from "disk"; the role is set as a case needs. */
function storeNode(view: GroupView) {
  const state = createNode(CONFIG, MEMBERS, { terms: { [GROUP]: { term: view.term, votedFor: view.votedFor } }, store: {}, strong: {}, pending: {} }, 0);
  const g = state.groups[GROUP];
  if (g === undefined) throw new Error(`setup: the store node has no group ${GROUP}`);
  g.role = view.role;
  g.leader = view.role === 'leader' ? ME : null;
  g.ready = view.role === 'leader';
  if (view.role === 'leader') g.heardFrom = { n2: 0, n3: 0 };
  return { state, g };
}

/**
 * What the store's node.ts does with `type` at `term` in `view`, read from the outside:
 *  - reply: the `stale` message it sends (only the fence sends one);
 *  - save: the term it writes to disk with no vote in it (the vote rule also saves, but always with a vote);
 *  - view: term, vote and role after a `stale` message of the same term, whose handler does nothing, so all
 *    that changed, the fence changed;
 *  - pass: whether a heartbeat of the same term gets its heartbeat-ok, i.e. reaches its handler (the fence
 *    decides by term alone; the tests hold this against every message type's own handler).
 */
export function storeAnswer(view: GroupView, type: GroupMessageType, term: number): Verdict {
  const run = (t: GroupMessageType) => {
    const { state, g } = storeNode(view);
    const fx = step(state, { type: 'message', now: 1, message: peerMessage(t, term) });
    return { fx, g };
  };
  const real = run(type).fx;
  const stale = real.messages.filter((m) => m.type === 'stale');
  const saved = real.changes.filter((c) => c.kind === 'term' && c.votedFor === null);
  if (stale.length > 1 || saved.length > 1) throw new Error(`setup: node.ts sent ${stale.length} stale replies and saved ${saved.length} terms`);
  const quiet = run('stale').g;
  const pass = run('heartbeat').fx.messages.some((m) => m.type === 'heartbeat-ok');
  const s = stale[0];
  const c = saved[0];
  return {
    pass,
    view: { term: quiet.term, votedFor: quiet.votedFor, role: quiet.role },
    save: c !== undefined && c.kind === 'term' ? { term: c.term, votedFor: c.votedFor } : null,
    reply: s !== undefined ? { type: 'stale', to: s.to, term: s.term } : null,
  };
}

function cases(terms: number[]): Case[] {
  const out: Case[] = [];
  for (const term of terms) {
    for (const view of VIEWS) {
      for (const type of MESSAGE_TYPES) out.push({ view, msg: { type, from: SENDER, term }, want: storeAnswer(view, type, term) });
    }
  }
  return out;
}

let table: { newer: Case[]; same: Case[]; older: Case[] } | undefined;
/** Built on first use (a few hundred real store nodes), not at import. */
export function storeTable() {
  return (table ??= { newer: cases(NEWER), same: cases(SAME), older: cases(OLDER) });
}

// ---- Showing things -------------------------------------------------------------------------------------------
/** A value as the learner would write it in TypeScript: `{ term: 4, votedFor: 'n3' }`, not JSON. */
const literal = (x: unknown): string => {
  if (x === undefined) return 'undefined';
  if (typeof x === 'string') return `'${x}'`;
  if (Array.isArray(x)) return `[${x.map(literal).join(', ')}]`;
  if (typeof x === 'object' && x !== null) {
    const fields = Object.entries(x).map(([k, v]) => `${k}: ${literal(v)}`);
    return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
  }
  return String(x);
};
/** A view in words, for hints. */
const viewWords = (v: GroupView) => `${v.role} in term ${v.term} with ${v.votedFor === null ? 'no vote' : `its vote for ${v.votedFor}`}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const a = (type: string) => `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
const viewText = (v: GroupView) => `${v.role} in term ${v.term}, voted for ${v.votedFor ?? 'nobody'}`;
const caseText = (c: Case) => `${ME}, ${viewText(c.view)}, receives ${a(c.msg.type)} from ${c.msg.from} with term ${c.msg.term}`;
function verdictText(v: Verdict): string {
  const parts = [v.pass ? 'lets it through' : 'refuses it'];
  parts.push(`view ${literal(v.view)}`);
  parts.push(v.save === null ? 'saves nothing' : `saves ${literal(v.save)}`);
  parts.push(v.reply === null ? 'no reply' : `replies ${literal(v.reply)}`);
  return parts.join(', ');
}

const frozen = <T extends object>(x: T): T => Object.freeze({ ...x });

/** The learner's verdict, only the fields the checks compare (extra fields are ignored). */
function normal(v: Verdict): Verdict {
  return {
    pass: v.pass,
    view: { term: v.view.term, votedFor: v.view.votedFor, role: v.view.role },
    save: v.save === null ? null : { term: v.save.term, votedFor: v.save.votedFor },
    reply: v.reply === null ? null : { type: v.reply.type, to: v.reply.to, term: v.reply.term },
  };
}

const NOT_WRITTEN = 'Start with TODO 1 in term-fence.ts: a newer term is adopted (term, votedFor null, role follower), ' +
  'saved, and let through. Then TODO 2 (an older term) and TODO 3 (the same term).';
const READ_ONLY = 'Your fence changed the `view` it was given (the checker hands it over read-only). Build the new view ' +
  'instead, e.g. `{ term: msg.term, votedFor: null, role: \'follower\' }`, and return it in the verdict.';

/** The learner's fence on read-only inputs; an error it throws gets a hint that fits (the starter, a read-only view). */
function call(impl: FenceImpl, view: GroupView, msg: Incoming): unknown {
  try {
    return impl.fence(frozen(view), frozen(msg));
  } catch (err) {
    if (!(err instanceof Error) || err instanceof CheckFailure) throw err;
    const hint = /fence is not written yet/.test(err.message) ? NOT_WRITTEN : /read.only|not extensible|Cannot assign/i.test(err.message) ? READ_ONLY : undefined;
    if (hint === undefined) throw err;
    const failure = new CheckFailure(err.message, { hint });
    failure.stack = err.stack; // the checker still points at the line in the learner's file
    throw failure;
  }
}

/** The learner's fence as the model calls it. */
const guarded = (impl: FenceImpl): FenceFn => (view, msg) => call(impl, view, msg) as Verdict;

/** Calls the learner's fence on one case; a verdict of the wrong shape fails the check here. */
function ask(impl: FenceImpl, view: GroupView, msg: Incoming): Verdict {
  const v = call(impl, view, msg);
  const problem = verdictProblem(v);
  if (problem !== undefined) {
    throw new CheckFailure(`When ${caseText({ view, msg, want: undefined as never })}, your fence returned ${literal(v)}: ${problem}.`, {
      hint: 'Return all four fields every time: { pass, view, save, reply }, with null for "no save" and "no reply".',
    });
  }
  return normal(v as Verdict);
}

// ---- Naming the mistake ---------------------------------------------------------------------------------------
/** The hint for what a wrong verdict gets wrong, compared with the store's answer in the same case. */
function mistake(c: Case, got: Verdict): string {
  const { view, msg, want } = c;
  if (msg.term > view.term) {
    if (!got.pass) return 'A message with a NEWER term is not to be refused: the sender is ahead, this node is behind. Adopt its term, and then it is a message of the current term, so let it through (it may be the vote request this node should answer).';
    if (got.view.term !== msg.term) return `Adopt the newer term: the view after the fence has term ${msg.term} (the message's), not ${got.view.term}.`;
    if (got.view.votedFor !== null) return `You adopted term ${msg.term} but kept the vote for ${got.view.votedFor}, cast in term ${view.term}. In the new term nobody has had this node's vote yet: reset it to null, or the node refuses every candidate but that one for ever after.`;
    if (view.role !== 'follower' && got.view.role === view.role) {
      return view.role === 'leader'
        ? `A leader of term ${view.term} heard of term ${msg.term} and went on LEADING in the new term: now there are two leaders in term ${msg.term}, the one the others elected and this one. A newer term means someone else was elected: become a follower.`
        : `A candidate of term ${view.term} heard of term ${msg.term} and is still a candidate: its election is lost (it is for an old term). Become a follower.`;
    }
    if (got.view.role !== 'follower') return `After adopting a newer term the node is a follower, whatever it was before; yours became a ${got.view.role}.`;
    if (got.save === null) return `You adopted term ${msg.term} but saved nothing. A term (and the vote in it) is a promise that must survive a crash: return save: { term: ${msg.term}, votedFor: null }, which the node writes to disk before any reply leaves it. A node that forgets its term after a restart takes orders from a deposed leader again, and a node that forgets its vote can vote twice in one term.`;
    if (!isDeepStrictEqual(got.save, want.save)) return `Save the term and vote you adopted, { term: ${msg.term}, votedFor: null }; you saved term ${got.save.term} with ${got.save.votedFor === null ? 'no vote' : `a vote for ${got.save.votedFor}`}.`;
    if (got.reply !== null) return 'A newer term needs no reply from the fence: let the message through, and its handler answers it.';
  } else if (msg.term === view.term) {
    if (!got.pass) return `A message of the SAME term (${msg.term}) was refused. Only an OLDER term is refused: compare with <, not <=. Refusing the current term refuses everything, votes included, so no leader is ever elected.`;
    if (got.save !== null || !isDeepStrictEqual(got.view, view)) return `Nothing changes for a message of the same term: your fence ${got.save !== null ? `saved term ${got.save.term} with ${got.save.votedFor === null ? 'no vote' : `a vote for ${got.save.votedFor}`}` : `turned a ${viewWords(view)} into a ${viewWords(got.view)}`}. Resetting the vote inside a term would let a node vote twice in it.`;
    if (got.reply !== null) return 'A message of the same term gets no reply from the fence; its handler answers it.';
  } else {
    if (got.pass) return `A message with an OLDER term (${msg.term} < ${view.term}) got through. Its sender is deposed (or lost its election): refuse it, or a deposed leader can still get its writes stored.`;
    if (!isDeepStrictEqual(got.view, view) || got.save !== null) return 'An older term changes nothing here: keep the view as it is and save nothing. (Never go BACK to an older term: terms only grow.)';
    const asks = REQUESTS.includes(msg.type);
    if (asks && got.reply === null) return `${a(msg.type)} of an old term ASKS for something, so answer it with { type: 'stale', to: msg.from, term: view.term }: that is how a deposed leader learns the newer term and steps down.`;
    if (!asks && got.reply !== null) return `${a(msg.type)} is an ANSWER (to a request this node sent in an older term). Drop it without a reply: answering answers can bounce messages between two nodes for ever. Reply only to ${REQUESTS.join(', ')}.`;
    if (got.reply !== null && got.reply.to !== msg.from) return `Send the stale reply back to the sender, msg.from (${msg.from}); yours goes to ${got.reply.to}.`;
    if (got.reply !== null && got.reply.term !== view.term) return `The stale reply carries THIS node's term (${view.term}), the newer one, so the sender can adopt it; yours carries ${got.reply.term}.`;
  }
  return `The store's node.ts ${verdictText(want)}; compare field by field.`;
}

/** The first case, in table order, where the learner's fence and the store disagree. */
function firstDisagreement(impl: FenceImpl, list: Case[]): { c: Case; got: Verdict } | undefined {
  for (const c of list) {
    const got = ask(impl, c.view, c.msg);
    if (!isDeepStrictEqual(got, c.want)) return { c, got };
  }
  return undefined;
}

/** The first mistake the learner's fence makes anywhere in the table, as a hint; undefined if none (or it throws). */
export function fenceHint(impl: FenceImpl): string | undefined {
  try {
    const t = storeTable();
    for (const list of [t.newer, t.same, t.older]) {
      const d = firstDisagreement(impl, list);
      if (d !== undefined) return mistake(d.c, d.got);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function tableCheck(impl: FenceImpl, list: Case[]): string {
  const d = firstDisagreement(impl, list);
  if (d === undefined) return `the same answer as the store's node.ts in all ${list.length} cases`;
  throw new CheckFailure(
    `${caseText(d.c)}.\n` + `The store's node.ts: ${verdictText(d.c.want)}.\n` + `Your fence:          ${verdictText(d.got)}.`,
    { hint: mistake(d.c, d.got) },
  );
}

// ---- The model runs -------------------------------------------------------------------------------------------
function modelFailure(impl: FenceImpl, o: Outcome, where: string, seed?: number): CheckFailure {
  const v = o.violation!;
  const hint = fenceHint(impl) ?? (v.kind === 'no-leader'
    ? 'The group never settled on one leader: check that votes of the current term get through and that a newer term is adopted.'
    : 'Replay the run alone and read the events: which message got in that should have been refused?');
  return new CheckFailure(`${where}: ${v.message}.\nThe last events before it:\n${o.trace.map((l) => `  ${l}`).join('\n')}`, { hint, ...(seed !== undefined ? { seed } : {}) });
}

/**
 * What went wrong in the story run, in words: the leader of 0.6 s should step down on seeing a newer term (the
 * fence), its late messages of the old term should arrive after the others have moved on, and another node
 * should lead a later term.
 */
function storyProblem(
  o: Outcome,
  first: Outcome['leaders'][number] | undefined,
  fenced: Outcome['stepDowns'][number] | undefined,
  late: number,
  next: Outcome['leaders'][number] | undefined,
): string {
  if (first === undefined) return 'no node was leading at 0.6 s, when the leader\'s link to one follower turns slow, so there was no leader to depose';
  const who = `${first.node}, leading term ${first.term},`;
  const kept = o.leaders.find((l) => l.node === first.node && l.term > first.term);
  const parts: string[] = [];
  if (fenced === undefined) {
    parts.push(kept !== undefined
      ? `${who} should have stepped down when it saw term ${kept.term} at ${seconds(kept.at)}, but it went on leading in term ${kept.term}`
      : `${who} should have stepped down on seeing a newer term, and it never did`);
  } else if (fenced.why !== 'fence') {
    parts.push(`${who} should have stepped down on seeing a newer term, but it stopped leading at ${seconds(fenced.at)} for another reason (${fenced.why === 'crash' ? 'it crashed' : 'it stopped hearing from a majority'})`);
  }
  if (late === 0) parts.push(`none of ${first.node}'s messages of term ${first.term} arrived late, after the others had moved on to a newer term`);
  const other = o.leaders.find((l) => l.node !== first.node && l.term > first.term);
  if (other === undefined) {
    parts.push(late > 0
      ? `its ${late} late messages of term ${first.term} should have met a newer leader, but no other node was ever elected in a later term`
      : `no other node was ever elected in a later term`);
  }
  return parts.length > 0 ? parts.join('; ') : `the run ended before ${first.node} was deposed (the first leader of a later term: ${next === undefined ? 'none' : `${next.node}, term ${next.term}`})`;
}

function seeds(count: number, only: number | undefined): number[] {
  return only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
}

export const exercise: Exercise<FenceImpl> = {
  title: 'The term fence: refuse a deposed leader, follow a newer term',
  page: 'data-store/04-replication.md',
  learnerFile: 'term-fence.ts',
  load(mod) {
    return { fence: exportedFunction(mod, 'fence', 'fence(view, msg)') as FenceFn };
  },
  checks: [
    {
      name: 'a newer term: adopt it, forget the vote, save both, become a follower, let the message through',
      hint: 'fence threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 1.',
      run: (impl) => tableCheck(impl, storeTable().newer),
    },
    {
      name: 'the same term: the message passes and nothing changes',
      hint: 'fence threw (the error and its line are above): follow TODO 3.',
      run: (impl) => tableCheck(impl, storeTable().same),
    },
    {
      name: 'an older term: refused; a request gets a stale reply with the node\'s own term, an answer is dropped',
      hint: 'fence threw (the error and its line are above): follow TODO 2.',
      run: (impl) => tableCheck(impl, storeTable().older),
    },
    {
      name: 'a deposed leader: its late writes are refused and it steps down when it sees the newer term',
      hint: 'fence threw while the group ran (the error and its line are above): make the three checks above pass first.',
      run(impl) {
        const o = simulate(guarded(impl), storyOptions());
        if (o.violation !== undefined) throw modelFailure(impl, o, 'in the story run');
        const first = o.leaders.filter((l) => l.at < 600).at(-1);
        const fenced = o.stepDowns.find((d) => first !== undefined && d.node === first.node && d.term === first.term);
        const late = o.late.filter((l) => first !== undefined && l.from === first.node && l.term === first.term);
        const next = o.leaders.find((l) => first !== undefined && l.term > first.term);
        if (first === undefined || fenced === undefined || fenced.why !== 'fence' || late.length === 0 || next === undefined || next.term <= first.term) {
          throw new CheckFailure(`The story did not play out: ${storyProblem(o, first, fenced, late.length, next)}.`, {
            hint: fenceHint(impl) ?? 'Compare your fence with the table checks above: a newer term must make a leader a follower.',
          });
        }
        const refused = late.filter((l) => l.refused).length;
        return `${first.node} led term ${first.term}; from 0.6 s its messages to ${MEMBERS.find((n) => n !== first.node)} took 1 s longer, so ${MEMBERS.find((n) => n !== first.node)} started an election.\n` +
          `${first.node} stepped down at ${(fenced.at / 1000).toFixed(2)} s on seeing ${fenced.by}; ${next.node} led term ${next.term}.\n` +
          `${late.length} late messages of term ${first.term} from ${first.node} arrived after the others had moved on: ${refused} refused, none stored.`;
      },
    },
    {
      name: `${RUNS} seeded runs of a group of three (lost, delayed and reordered messages, cut and slow links, crashes): one leader per term, no write of an older term stored`,
      hint: 'fence threw during a random run: replay that run alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        let wins = 0;
        let acked = 0;
        let refused = 0;
        let maxTerm = 0;
        let fenceDowns = 0;
        const list = seeds(RUNS, only);
        for (const seed of list) {
          let o: Outcome;
          try {
            o = simulate(guarded(impl), randomOptions(seed));
          } catch (err) {
            if (err instanceof CheckFailure) throw err; // the starter's "not written yet", a changed view
            throw new CheckFailure(`random run ${seed}: fence threw: ${err instanceof Error ? err.message : String(err)}`, { seed });
          }
          if (o.violation !== undefined) throw modelFailure(impl, o, `random run ${seed}`, seed);
          wins += o.wins;
          acked += o.acked;
          refused += o.refused;
          maxTerm = Math.max(maxTerm, o.maxTerm);
          fenceDowns += o.stepDowns.filter((d) => d.why === 'fence').length;
        }
        const runs = list.length === 1 ? '1 run' : `${list.length} runs`;
        return `${runs}: ${num(wins)} elections won (terms up to ${maxTerm}), ${num(acked)} writes acknowledged by a majority, ` +
          `${num(refused)} messages of an older term refused, ${num(fenceDowns)} leaders stepped down on seeing a newer term`;
      },
    },
  ],
};
