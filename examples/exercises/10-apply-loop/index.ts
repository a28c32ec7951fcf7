// Exercise 10: the KV apply loop with duplicate detection. The learner writes applyEntries(state, entries) (and
// the applyCommand it calls).
//
// No expected answer is written here: each comes from the Raft core's own state machine (applyCommand in
// examples/raft/core/kv.ts), run on a fresh state over the same entries. The checks:
//  1-4. small stories, one part of the task each: entries in log order and the leader's no-op; the same
//       client and seq twice (applied once, the copy gets the first answer); an older seq arriving late
//       (changes nothing); clients told apart, commands without a client id applied every time, and the
//       memory of clients kept in the state (a fresh state has seen nobody);
//  5.   seeded three-node Raft clusters (cluster.ts: the real Raft core, the learner's loop in every node,
//       crashes, lost, late and doubled messages, clients that retry): Part II's linearizability checker runs
//       over the clients' history, and every answer of every node must be the core's answer for that entry.
// A failure names the entry, the client and seq, what the core answered and what yours did.
import { isDeepStrictEqual } from 'node:util';
import { applyCommand as coreApply, emptyKv, type KvCommand, type KvResult, type KvState } from '../../raft/core/kv.ts';
import type { Entry } from '../../raft/core/types.ts';
import { checkHistory } from '../../../tests/helpers/linearizability.ts';
import { callLearner, CheckFailure, exportedFunction, num, type Exercise } from '../types.ts';
import { playCluster, type ApplyEntries, type Mismatch, type Stats } from './cluster.ts';

export interface ApplyImpl {
  applyEntries: ApplyEntries;
}

const CLUSTERS = 40;
/** After a cluster that fails only inside a node, look this many clusters further for one whose history fails. */
const LOOK_FURTHER = 8;
const TICKS = 400;

// ---- Building and showing entries -----------------------------------------------------------------------------
type Cmd = KvCommand | null;
const batch = (...commands: Cmd[]): Cmd[] => commands;
const noop: Cmd = null;

function commandText(c: Cmd | undefined): string {
  if (c === null || c === undefined) return 'no-op';
  const who = c.client === undefined ? 'no client' : `${c.client}${c.seq === undefined ? ' (no seq)' : ` seq ${c.seq}`}`;
  const what =
    c.op === 'get' ? `get ${c.key}` : c.op === 'delete' ? `delete ${c.key}` : c.op === 'put' ? `put ${c.key}=${JSON.stringify(c.value)}` : `cas ${c.key} ${JSON.stringify(c.expected)}->${JSON.stringify(c.value)}`;
  return `${what} (${who})`;
}
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));
const dataText = (d: unknown) => (typeof d === 'object' && d !== null ? JSON.stringify(Object.fromEntries(Object.entries(d).sort())) : show(d));

// ---- Calling the learner's code -------------------------------------------------------------------------------
const NOT_WRITTEN =
  'Start with TODO 1 in apply-loop.ts (applyEntries: one answer per entry, null for a no-op), then TODO 2 to 4 in applyCommand ' +
  '(no client id: execute; seq <= the session\'s seq: the cached answer; otherwise execute and remember { seq, result }).';
const MUTATED = 'Do not change the entries or their commands: they are the log. Change only the state (state.data, state.sessions).';

function freeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) freeze(v);
    Object.freeze(x);
  }
  return x;
}

// ---- One story: batches of entries applied by the learner and by the core ------------------------------------
interface Step {
  entry: Entry;
  expected: KvResult | null;
  /** The core's session for this command's client just before the entry. */
  session: { seq: number; result: KvResult } | undefined;
  /** Did the core's state (before this entry) have ANY session? (false: a fresh state) */
  anySession: boolean;
  dataBefore: Record<string, string>;
}

function story(impl: ApplyImpl, about: string, commands: Cmd[][]): void {
  let index = 0;
  const batches: Entry[][] = commands.map((list) => list.map((command) => ({ index: ++index, term: 1, command })));
  const core = emptyKv();
  const mine: KvState = emptyKv();
  const done: string[] = [];
  for (const entries of batches) {
    const steps: Step[] = entries.map((entry) => {
      const c = entry.command as Cmd;
      const session = c?.client === undefined ? undefined : structuredClone(core.sessions[c.client]);
      const anySession = Object.keys(core.sessions).length > 0;
      const dataBefore = structuredClone(core.data);
      const expected = c === null ? null : structuredClone(coreApply(core, c));
      return { entry, expected, session, anySession, dataBefore };
    });
    const given = freeze(structuredClone(entries));
    const got = callLearner(() => impl.applyEntries(mine, given), { notWritten: NOT_WRITTEN, mutated: MUTATED }) as unknown;
    const sent = `${about}.\nEntries${done.length > 0 ? ` (after ${done.join(', ')})` : ''}: ${entries.map((e) => `${e.index}: ${commandText(e.command as Cmd)}`).join('; ')}.`;
    if (!Array.isArray(got) || got.length !== entries.length) {
      throw new CheckFailure(`${sent}\napplyEntries returned ${Array.isArray(got) ? `${got.length} answers for ${entries.length} entries` : show(got)}.`, {
        hint: 'Return an array with one answer per entry, in the same order: the KvResult of its command, or null for a no-op.',
      });
    }
    for (const [i, s] of steps.entries()) {
      if (sameResult(got[i], s.expected)) continue;
      throw new CheckFailure(`${sent}\nEntry ${s.entry.index} (${commandText(s.entry.command as Cmd)}): expected the answer ${show(s.expected)}, yours ${show(got[i])}.`, {
        hint: mistake(s.entry.command as Cmd, s, got[i], s.entry.index),
      });
    }
    if (!isDeepStrictEqual({ ...mine.data }, core.data)) {
      const last = steps.at(-1)!;
      throw new CheckFailure(`${sent}\nThe answers are right, but afterwards the data should be ${dataText(core.data)}, yours is ${dataText(mine.data)}.`, {
        hint: dataMistake(steps, mine.data, core.data) ?? mistake(last.entry.command as Cmd, last, last.expected, last.entry.index),
      });
    }
    done.push(entries.length === 1 ? `entry ${entries[0]!.index}` : `entries ${entries[0]!.index}-${entries.at(-1)!.index}`);
  }
}

function sameResult(got: unknown, want: KvResult | null): boolean {
  if (want === null) return got === null;
  if (typeof got !== 'object' || got === null) return false;
  const g = got as Partial<KvResult>;
  return g.ok === want.ok && g.value === want.value && Object.keys(g).every((k) => k === 'ok' || k === 'value');
}

/** The likely cause of a wrong answer, from what the core's state said about this command. */
function mistake(c: Cmd, s: Pick<Step, 'session' | 'anySession' | 'expected'>, got: unknown, index: number): string {
  if (c === null) return `Entry ${index} is a leader's no-op (command null): it answers null and changes nothing. A new leader appends one to commit its term's first entry (§8); it is no client's request.`;
  if (s.expected !== null && (typeof got !== 'object' || got === null)) return 'Every command answers a KvResult { ok, value } (execute gives it; a retry gets the one its session kept). Only a no-op answers null.';
  const id = `(${String(c.client)}, seq ${String(c.seq)})`;
  if (c.client !== undefined && c.seq !== undefined && s.session !== undefined && c.seq <= s.session.seq) {
    const older = c.seq < s.session.seq;
    if (older) {
      return `${id} is OLDER than the last seq applied for ${c.client} (${s.session.seq}): a late copy of a request its client already had an answer for. ` +
        'A client sends one request at a time, so every seq at or below the session\'s was applied already: test seq <= session.seq, not ===, and never move the session back. ' +
        `The expected answer is the one the session kept (seq ${s.session.seq}'s): nobody waits for this late copy, so what it answers matters less than that it changes nothing.`;
    }
    return `${id} was applied already (the session of ${c.client} says seq ${s.session.seq}): this entry is a retry. Do not execute it again; answer with the result the session kept, ` +
      `${show(s.session.result)}. Executing it again, or computing an answer from the data as it is now, tells the client something its first copy never did.`;
  }
  if (c.client === undefined || c.seq === undefined) {
    return `${commandText(c)} has no ${c.client === undefined ? 'client id' : 'seq'}: nothing tells a retry of it from a new request, so execute it every time (TODO 2), and keep no session for it.`;
  }
  if (s.session === undefined && !s.anySession) {
    return `The state is fresh: no client has been seen in it, yet ${id} was not executed as new. Keep what you know about clients IN the state (state.sessions), not in a variable outside it: ` +
      'a snapshot, a restarted node and every other node carry only the state.';
  }
  if (s.session === undefined) {
    return `${id} is ${c.client}'s first request here; only OTHER clients have sessions. Each client numbers its own requests from 1: keep one session per client id (state.sessions[client]), and compare a command's seq only with its own client's session.`;
  }
  return `${id} is new (${c.client}'s last applied seq is ${s.session.seq}): execute it and remember { seq, result } as ${c.client}'s session.`;
}

function dataMistake(steps: Step[], mine: Record<string, string>, core: Record<string, string>): string | undefined {
  const retry = steps.find((s) => {
    const c = s.entry.command as Cmd;
    return c !== null && c.client !== undefined && c.seq !== undefined && s.session !== undefined && c.seq <= s.session.seq;
  });
  if (retry !== undefined) {
    const c = retry.entry.command as KvCommand;
    return `Entry ${retry.entry.index}, (${c.client}, seq ${c.seq}), is a retry (${c.client}'s session says seq ${retry.session!.seq}): it gets the cached answer and must NOT change the data. Yours changed it (${dataText(mine)}, where the core has ${dataText(core)}).`;
  }
  return undefined;
}

// ---- Clusters -------------------------------------------------------------------------------------------------
function seeds(count: number, only: number | undefined): number[] {
  return only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
}

function mismatchText(m: Mismatch): string {
  const dup = m.duplicateOf === undefined ? '' : ` (a copy of entry ${m.duplicateOf}: the same client and seq)`;
  if (m.kind === 'data') {
    return `node ${m.node}, tick ${m.tick}: after log entry ${m.index}, ${commandText(m.command)}${dup}, the core's data is ${dataText(m.expected)}, yours ${dataText(m.got)}`;
  }
  return `node ${m.node}, tick ${m.tick}, log entry ${m.index}: ${commandText(m.command)}${dup}: the core answers ${show(m.expected)}, yours ${show(m.got)}`;
}

interface ClusterOutcome {
  stats: Stats;
  ops: number;
  /** Set when this cluster failed; `linearizable` false: the clients' history itself shows the mistake. */
  failure?: CheckFailure;
  linearizable: boolean;
}

const ONE_ANSWER_EACH = 'Return an array with one answer per entry, in the same order: the KvResult of its command, or null for a no-op.';

function clusterRun(impl: ApplyImpl, seed: number): ClusterOutcome {
  const apply: ApplyEntries = (state, entries) => callLearner(() => impl.applyEntries(state, entries), { notWritten: NOT_WRITTEN, mutated: MUTATED });
  let run;
  try {
    run = playCluster(apply, seed, TICKS);
  } catch (err) {
    if (err instanceof CheckFailure) throw new CheckFailure(`cluster ${seed}: ${err.message}`, { seed, ...(err.hint === undefined ? {} : { hint: err.hint }) });
    throw err;
  }
  if (run.broken !== undefined) {
    const e = run.broken.error;
    const hint = e === undefined ? ONE_ANSWER_EACH : e instanceof CheckFailure ? e.hint : undefined;
    const failure = new CheckFailure(`cluster ${seed}, node ${run.broken.node}, tick ${run.broken.tick}: ${run.broken.message}`, { seed, ...(hint === undefined ? {} : { hint }) });
    if (e instanceof Error && e.stack !== undefined) failure.stack = e.stack;
    throw failure; // the loop cannot run: no point in playing the other clusters
  }
  const m = run.mismatch;
  const hint =
    m === undefined
      ? undefined
      : m.kind === 'data' && m.duplicateOf !== undefined
        ? `Log entry ${m.index} is a copy of entry ${m.duplicateOf} (${m.command!.client}, seq ${m.command!.seq}): a retry. It must not change the data; it only gets the answer the session kept.`
        : mistake(m.command, { session: m.session, anySession: true, expected: m.expected as KvResult | null }, m.got, m.index);
  const verdict = checkHistory(run.history);
  const outcome = { stats: run.stats, ops: run.history.length, linearizable: verdict.ok };
  if (!verdict.ok) {
    return { ...outcome, failure: new CheckFailure(
      `cluster ${seed}: what the clients saw is ${verdict.verdict} (Part II's checker, on ${run.history.length} operations):\n${verdict.reason}` +
        (m === undefined ? '' : `\nThe first answer of yours that differs from the core's: ${mismatchText(m)}.`),
      { seed, ...(hint === undefined ? {} : { hint }) },
    ) };
  }
  if (m !== undefined) {
    return { ...outcome, failure: new CheckFailure(`cluster ${seed}: the clients' history is linearizable, but ${mismatchText(m)}.`, { seed, ...(hint === undefined ? {} : { hint }) }) };
  }
  return outcome;
}

// ---- The exercise -----------------------------------------------------------------------------------------------
const put = (key: string, value: string, client?: string, seq?: number): KvCommand => ({ op: 'put', key, value, ...(client === undefined ? {} : { client }), ...(seq === undefined ? {} : { seq }) });
const get = (key: string, client?: string, seq?: number): KvCommand => ({ op: 'get', key, ...(client === undefined ? {} : { client }), ...(seq === undefined ? {} : { seq }) });
const del = (key: string, client?: string, seq?: number): KvCommand => ({ op: 'delete', key, ...(client === undefined ? {} : { client }), ...(seq === undefined ? {} : { seq }) });
const cas = (key: string, expected: string | null, value: string, client?: string, seq?: number): KvCommand => ({ op: 'cas', key, expected, value, ...(client === undefined ? {} : { client }), ...(seq === undefined ? {} : { seq }) });

export const exercise: Exercise<ApplyImpl> = {
  title: 'The KV apply loop with duplicate detection (client id + seq), inside a Raft cluster',
  page: 'consensus/10-consensus-system.md',
  learnerFile: 'apply-loop.ts',
  load(mod) {
    return { applyEntries: exportedFunction(mod, 'applyEntries', 'applyEntries(state, entries)') as ApplyEntries };
  },
  checks: [
    {
      name: 'entries apply in log order (put, get, delete, cas) with one answer each; a leader\'s no-op answers null',
      hint: 'applyEntries threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 1.',
      run(impl) {
        story(impl, 'one batch of committed entries, no client ids', [batch(noop, put('x', 'a'), get('x'), cas('x', 'a', 'b'), cas('x', 'a', 'c'), get('x'), del('x'), get('x'), cas('x', null, 'd'))]);
        story(impl, 'three batches, as a follower gets them', [batch(noop), batch(put('x', '1'), put('y', '2')), batch(del('y'), get('y'), get('x'))]);
      },
    },
    {
      name: 'the same client and seq twice: applied once, and the second copy gets the first copy\'s answer',
      hint: 'applyEntries threw (the error and its line are above): follow TODO 2 to 4.',
      run(impl) {
        story(impl, 'a cas retried after its client timed out: both copies are in the log', [batch(cas('x', null, 'a', 'c1', 1), cas('x', null, 'a', 'c1', 1))]);
        story(impl, 'a put retried after another client\'s put: the retry must not bring the old value back', [
          batch(put('x', 'a', 'c1', 1), put('x', 'b', 'c2', 1), put('x', 'a', 'c1', 1), get('x', 'c2', 2)),
        ]);
        story(impl, 'a get retried after a write: it answers what the first copy read', [batch(put('x', 'a', 'c1', 1), get('x', 'c2', 1), put('x', 'b', 'c1', 2), get('x', 'c2', 1))]);
        story(impl, 'the copy comes in a later batch (the session must last between calls)', [batch(del('x', 'c1', 1), put('x', 'a', 'c2', 1)), batch(noop, del('x', 'c1', 1), get('x'))]);
      },
    },
    {
      name: 'an older seq (a late copy of a request already answered) changes nothing, and the newer seq stays remembered',
      hint: 'applyEntries threw (the error and its line are above): follow TODO 3.',
      run(impl) {
        story(impl, 'c1 sent seq 1, then seq 2; a late copy of seq 1 is committed after both', [
          batch(put('x', 'a', 'c1', 1), put('x', 'b', 'c1', 2), put('x', 'a', 'c1', 1), get('x')),
        ]);
        story(impl, 'after the late seq 1, a retry of seq 2 must still be caught', [
          batch(cas('x', null, 'a', 'c1', 1), cas('x', 'a', 'b', 'c1', 2), cas('x', null, 'a', 'c1', 1), put('x', 'z', 'c2', 1), cas('x', 'a', 'b', 'c1', 2), get('x')),
        ]);
      },
    },
    {
      name: 'clients are told apart, a command without a client id applies every time, and the memory of clients lives in the state',
      hint: 'applyEntries threw (the error and its line are above): follow TODO 2 and 4.',
      run(impl) {
        story(impl, 'a fresh state: nobody has been seen in it', [batch(put('x', 'a', 'c1', 1), get('x', 'c1', 2))]);
        story(impl, 'a fresh state again (another node, or one restarted without a snapshot)', [batch(put('x', 'a', 'c1', 1), get('x', 'c1', 2))]);
        story(impl, 'two clients each start at seq 1', [batch(put('x', 'a', 'c1', 1), put('x', 'b', 'c2', 1), put('y', 'c', 'c2', 2), put('y', 'd', 'c1', 2), get('x'), get('y'))]);
        story(impl, 'the same command twice with no client id, and once with a client but no seq', [
          batch(cas('x', null, 'a'), cas('x', null, 'a'), del('x'), cas('x', null, 'a'), put('y', 'p', 'c1'), put('y', 'q'), put('y', 'p', 'c1'), get('y')),
        ]);
      },
    },
    {
      name: `${CLUSTERS} seeded three-node Raft clusters (leaders crash, messages lost, late and doubled, clients retry): every node answers as the core does, and the clients' history is linearizable`,
      hint: 'applyEntries threw inside a cluster: replay it alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        const total: Stats = { requests: 0, answered: 0, retries: 0, duplicateEntries: 0, crashes: 0, snapshotsInstalled: 0, leaders: 0 };
        let ops = 0;
        const list = seeds(CLUSTERS, only);
        const failures: ClusterOutcome[] = [];
        for (const seed of list) {
          const r = clusterRun(impl, seed);
          ops += r.ops;
          for (const k of Object.keys(total) as (keyof Stats)[]) total[k] += r.stats[k];
          if (r.failure === undefined) continue;
          // Report a cluster whose history the linearizability checker rejects, if one comes soon: what the
          // clients saw is the evidence that matters; an answer that differs only inside a node comes second.
          if (!r.linearizable) throw r.failure;
          failures.push(r);
          if (seed - failures[0]!.failure!.seed! >= LOOK_FURTHER) break;
        }
        if (failures.length > 0) throw failures[0]!.failure!;
        return `${list.length === 1 ? '1 cluster' : `${num(list.length)} clusters`}: ${num(ops)} client requests (${num(total.retries)} resends), ` +
          `${num(total.crashes)} crashes, ${num(total.leaders)} leaders elected, ${num(total.snapshotsInstalled)} snapshots installed;\n` +
          `${num(total.duplicateEntries)} log entries were copies of a request already in the log, and your loop applied each of them once;\n` +
          `every answer on every node equals the core's; the clients' history is linearizable (Part II's checker)`;
      },
    },
  ],
};
