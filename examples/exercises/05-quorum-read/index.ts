// Exercise 05: a quorum read with read repair. The learner writes quorumRead(answers, r).
//
// Every expected answer comes from `referenceRead` (history.ts), which is the store's versions.ts and nothing
// else: reconcile folded over the copies that answered, read() for the values and context, compare() to find
// the copies behind the merge. The checks:
//  1-4. small stories, each aimed at one part of the task: too few answers (and not waiting for all N),
//       siblings kept, tombstones honoured, repairs sent exactly to the replicas behind the merge;
//  5.   seeded histories replayed (history.ts: writes and deletes through any replica, cut links, heals, late
//       and lost copies, reads with a random R of N = 3): every read equals the reference, and after its
//       repairs the replicas it read hold the same version;
//  6.   a measurement on the same kind of histories, with the learner's read: how many reads miss a write
//       acknowledged before they began, with R = W = 1 and with R = W = 2 (R + W > N: it must be none).
// A failing check names what it saw against what it expected; `mistake` reads the difference and names the
// likely cause (picked one copy, waited for all N, no repair, repaired everyone, brought a deleted value back).
import { isDeepStrictEqual } from 'node:util';
import { empty, merge, put, read, reconcile, remove, type Stored } from '../../store/core/versions.ts';
import { CheckFailure, exportedFunction, num, type Exercise } from '../types.ts';
import { playHistory, referenceRead, type ReadEvent, type ReadFn, type Stats } from './history.ts';
import type { Answer, ReadResult } from './read-types.ts';

export interface QuorumImpl {
  quorumRead: ReadFn;
}

const HISTORIES = 200;
const STEPS = 60;

// ---- Versions for the stories (built with the store's versions.ts) ------------------------------------------
const x = put(empty<string>(), 'x', {}, 'n1', 1); // written through n1: seen {n1:1}
const y = put(empty<string>(), 'y', {}, 'n2', 2); // written through n2 by a client that never saw x: concurrent
const x2 = put(x, 'x2', x.context, 'n1', 3); // a client read x and replaced it
const gone = remove(x, x.context, 'n2', 4); // a client read x and deleted it, through n2
const both = reconcile(x, y); // siblings x and y

type Copy = Stored<string> | null | 'timeout';
const answers = (...copies: Copy[]): Answer[] => copies.map((stored, i) => ({ node: `n${i + 1}`, stored }));

// ---- Showing things -------------------------------------------------------------------------------------------
const show = (v: unknown) => JSON.stringify(v);
function copyText(c: Copy | undefined): string {
  if (c === 'timeout') return 'timed out';
  if (c === null || c === undefined) return 'answered: no copy';
  const values = c.siblings.map((s) => (s.deleted ? '(deleted)' : show(s.value)));
  return `[${values.join(', ')}] seen ${show(c.context)}`;
}
const answersText = (list: readonly Answer[], r: number) => `r = ${r}; ${list.map((a) => `${a.node} ${copyText(a.stored)}`).join('; ')}`;
function resultText(res: ReadResult, withRepairs = true): string {
  if (!res.ok) return `refused (${show(res.reason)})`;
  const repairs = Array.isArray(res.repairs) ? res.repairs.map((p) => p.node) : [];
  return `values ${show(res.values)}, context ${show(res.context)}` + (withRepairs ? `, repairs ${repairs.length === 0 ? 'none' : repairs.join(', ')}` : '');
}
/** "n1", "n1 and n2", "n1, n2 and n3". */
const listText = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

// ---- Comparing a result with the reference ------------------------------------------------------------------
const NOT_WRITTEN = 'Start with TODO 1 in quorum-read.ts: count the answers that are not \'timeout\'; fewer than r, return ' +
  '{ ok: false, reason }. Then TODO 2 to 4: reconcile them, answer with read(merged), repair the copies that are behind.';

function call(impl: QuorumImpl, list: readonly Answer[], r: number): ReadResult {
  try {
    return impl.quorumRead(list, r);
  } catch (err) {
    if (!(err instanceof Error) || err instanceof CheckFailure || !/quorumRead is not written yet/.test(err.message)) throw err;
    const failure = new CheckFailure(err.message, { hint: NOT_WRITTEN });
    failure.stack = err.stack;
    throw failure;
  }
}

/** What is wrong with `got`, or undefined when it matches `want` (values and repairs in any order). */
function difference(got: unknown, want: ReadResult, repairs = true): string | undefined {
  if (typeof got !== 'object' || got === null || typeof (got as { ok?: unknown }).ok !== 'boolean') {
    return 'quorumRead must return { ok: false, reason } or { ok: true, values, context, repairs }';
  }
  const g = got as ReadResult;
  if (g.ok !== want.ok) return want.ok ? 'the read was refused, but enough replicas answered' : 'the read went ahead, but too few replicas answered';
  if (!g.ok || !want.ok) {
    return typeof (g as { reason?: unknown }).reason === 'string' && (g as { reason: string }).reason.trim() !== '' ? undefined : 'a refused read needs a reason (a non-empty string) the client can show';
  }
  if (!Array.isArray(g.values) || (repairs && !Array.isArray(g.repairs)) || typeof g.context !== 'object' || g.context === null) {
    return 'a read that succeeds returns values (an array), context (a version vector) and repairs (an array)';
  }
  if (!isDeepStrictEqual([...g.values].sort(), [...want.values].sort())) return 'different values';
  if (!isDeepStrictEqual(merge({}, g.context), merge({}, want.context))) return 'a different context';
  if (!repairs) return undefined;
  const nodes = (list: { node: string }[]) => list.map((p) => p.node).sort();
  if (!isDeepStrictEqual(nodes(g.repairs), nodes(want.repairs))) return 'different repairs';
  const merged = want.repairs[0]?.stored;
  if (merged !== undefined && g.repairs.some((p) => !isDeepStrictEqual(p.stored, merged))) return 'a repair that does not carry the reconciled version';
  return undefined;
}

/** The likely cause of a wrong result, as a hint. */
function mistake(list: readonly Answer[], r: number, got: ReadResult, want: ReadResult): string {
  const answered = list.filter((a) => a.stored !== 'timeout');
  const copies = answered.map((a) => (a.stored === null ? empty<string>() : (a.stored as Stored<string>)));
  if (typeof got !== 'object' || got === null || typeof got.ok !== 'boolean') return 'Return an object: { ok: false, reason } or { ok: true, values, context, repairs }.';
  if (!got.ok && want.ok) {
    return answered.length < list.length
      ? `${answered.length} replicas answered and the read needs r = ${r}, but yours refused it: do not wait for all N. The replicas that timed out are the reason R exists: a read that needs every replica fails whenever one is down or cut off.`
      : `All ${answered.length} replicas answered and r = ${r}: the read must go ahead.`;
  }
  if (got.ok && !want.ok) return `Only ${answered.length} replica${answered.length === 1 ? '' : 's'} answered and the read needs r = ${r}: return { ok: false, reason } (e.g. "only ${answered.length} of ${list.length} replicas answered; this read needs ${r}").`;
  if (!got.ok || !want.ok) return 'A refused read returns { ok: false, reason } with a reason the client can show, e.g. "only 1 of 3 replicas answered; this read needs 2".';
  const lost = want.values.filter((v) => !(got.values ?? []).includes(v));
  const back = (got.values ?? []).filter((v) => !want.values.includes(v));
  if (lost.length > 0 && copies.some((c) => isDeepStrictEqual([...read(c).values].sort(), [...(got.values ?? [])].sort()) && isDeepStrictEqual(merge({}, c.context), merge({}, got.context ?? {})))) {
    return `Your read returned one replica's copy as it is, and lost ${show(lost)}. Copies can be CONCURRENT (neither context is before the other): picking the "newest" or "largest" one then drops the other's values. Fold reconcile over every copy that answered.`;
  }
  if (back.length > 0) {
    const deleter = copies.find((c) => c.siblings.some((s) => s.deleted));
    return deleter !== undefined
      ? `${show(back)} came back although a replica deleted it after seeing it: its copy holds a tombstone (a sibling with deleted: true) and a context that covers the value. A deleted copy is not "no copy": reconcile it like any other, and read() leaves the tombstone out of the values.`
      : `${show(back)} should not be among the values: reconcile drops a value a later write replaced.`;
  }
  const deleteOnly = copies.find((c) => c.siblings.length > 0 && c.siblings.every((sib) => sib.deleted));
  if (deleteOnly !== undefined && !isDeepStrictEqual(merge({}, got.context ?? {}), merge({}, want.context))) {
    return `A replica answered with a copy that holds only a delete (a tombstone, seen ${show(deleteOnly.context)}), and your context leaves out what it has seen. ` +
      'A deleted copy is not "no copy": reconcile it like any other; read() leaves the tombstone out of the values, and its context stays.';
  }
  if (got.values?.some((v) => v === null)) return 'null is among your values: a tombstone (deleted: true) is not a value. Use read(merged).values, which leaves deletes out.';
  if (lost.length > 0) return `The read lost ${show(lost)}: fold reconcile over every copy that answered, starting from empty().`;
  if (!isDeepStrictEqual(merge({}, got.context ?? {}), merge({}, want.context))) return 'Return the context of the reconciled version (read(merged).context): the client sends it back with its next write.';
  const gotNodes = (got.repairs ?? []).map((p) => p.node);
  const wantNodes = want.repairs.map((p) => p.node);
  const missing = wantNodes.filter((n) => !gotNodes.includes(n));
  const extra = gotNodes.filter((n) => !wantNodes.includes(n));
  if (gotNodes.length === 0 && missing.length > 0) {
    return `No repairs at all, but ${listText(missing)} answered with an older copy: send each replica whose context compares 'before' the merged context the merged version. Otherwise it stays behind until anti-entropy comes round, and the next R = 1 read there is stale.`;
  }
  if (missing.length > 0) return `${listText(missing)} answered with a copy behind the merge (compare says 'before') and got no repair.`;
  if (extra.length > 0) {
    const timedOut = extra.filter((n) => list.some((a) => a.node === n && a.stored === 'timeout'));
    if (timedOut.length > 0) return `${listText(timedOut)} did not answer, so nobody knows what it holds: repair only replicas that answered.`;
    return `${listText(extra)} answered with a copy EQUAL to the merge (compare says 'equal') and got a repair anyway: repair only the copies that are 'before' the merge. Sending every replica the whole version on every read doubles the traffic of a read for nothing.`;
  }
  return 'Each repair carries the reconciled version (the merge of all the copies that answered), not the replica\'s own copy.';
}

/** One story: the learner's read of `list` against the reference; `repairs: false` leaves the repairs to check 4. */
function story(impl: QuorumImpl, list: Answer[], r: number, about: string, repairs = false): ReadResult {
  const want = referenceRead(list, r);
  const got = call(impl, list, r);
  const wrong = difference(got, want, repairs);
  if (wrong !== undefined) {
    throw new CheckFailure(`${about}: ${answersText(list, r)}.\nExpected: ${resultText(want, repairs)}.\nYours:    ${typeof got === 'object' && got !== null && typeof got.ok === 'boolean' ? resultText(got, repairs) : show(got)} (${wrong}).`, {
      hint: mistake(list, r, got, want),
    });
  }
  return got;
}

// ---- Histories ------------------------------------------------------------------------------------------------
function seeds(count: number, only: number | undefined): number[] {
  return only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
}

const percent = (a: number, b: number) => (b === 0 ? '0%' : `${((100 * a) / b).toFixed(1)}%`);

function replay(impl: QuorumImpl, seed: number): Stats {
  const read = (list: readonly Answer[], r: number) => call(impl, list, r);
  const onRead = (e: ReadEvent, got: ReadResult) => {
    const want = referenceRead(e.answers, e.r);
    const wrong = difference(got, want);
    if (wrong === undefined) return;
    throw new CheckFailure(`history ${seed}, step ${e.step}, a read at ${e.coordinator}: ${answersText(e.answers, e.r)}.\n` +
      `Expected: ${resultText(want)}.\nYours:    ${typeof got === 'object' && got !== null && typeof got.ok === 'boolean' ? resultText(got) : show(got)} (${wrong}).`,
    { seed, hint: mistake(e.answers, e.r, got, want) });
  };
  const onRepaired = (e: ReadEvent, _got: ReadResult, replicas: Readonly<Record<string, Stored<string> | null>>) => {
    const read = e.answers.filter((a) => a.stored !== 'timeout').map((a) => a.node);
    const first = replicas[read[0]!];
    const other = read.find((n) => !isDeepStrictEqual(replicas[n], first));
    if (other === undefined) return;
    throw new CheckFailure(`history ${seed}, step ${e.step}: after the read at ${e.coordinator} and its repairs, the replicas it read differ: ` +
      `${read[0]} ${copyText(first)}, ${other} ${copyText(replicas[other])}.`, { seed, hint: 'Every replica that answered must end up with the reconciled version: repair each one whose copy is before it.' });
  };
  try {
    return playHistory(read, { seed, steps: STEPS, w: 1, r: 'random', firstR: false }, { onRead, onRepaired });
  } catch (err) {
    if (err instanceof CheckFailure) throw err;
    throw new CheckFailure(`history ${seed}: quorumRead threw: ${err instanceof Error ? err.message : String(err)}`, { seed });
  }
}

export const exercise: Exercise<QuorumImpl> = {
  title: 'A quorum read with read repair, on version vectors',
  page: 'data-store/05-consistency.md',
  learnerFile: 'quorum-read.ts',
  load(mod) {
    return { quorumRead: exportedFunction(mod, 'quorumRead', 'quorumRead(answers, r)') as ReadFn };
  },
  checks: [
    {
      name: 'fewer than R answers: the read fails with a reason; R answers are enough, whoever else timed out',
      hint: 'quorumRead threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 1.',
      run(impl) {
        story(impl, answers(x, 'timeout', 'timeout'), 2, 'one of three answered');
        story(impl, answers(x, null, 'timeout'), 3, 'two of three answered');
        story(impl, answers(x, x, 'timeout'), 2, 'two of three answered');
        story(impl, answers('timeout', x2, x2), 2, 'two of three answered');
        story(impl, answers('timeout', 'timeout', null), 1, 'one answered, with no copy');
      },
    },
    {
      name: 'siblings: concurrent versions all come back, with the merged context',
      hint: 'quorumRead threw (the error and its line are above): follow TODO 2 and 3.',
      run(impl) {
        story(impl, answers(x, y, 'timeout'), 2, 'two concurrent writes, x through n1 and y through n2');
        story(impl, answers(x2, y, x), 3, 'x2 replaced x; y is concurrent with both');
        story(impl, answers(both, x2, 'timeout'), 2, 'n1 holds the siblings x and y; n2 saw x replaced by x2');
      },
    },
    {
      name: 'tombstones: a delete that saw a value hides it, even where another replica still holds the value',
      hint: 'quorumRead threw (the error and its line are above): follow TODO 2 and 3.',
      run(impl) {
        story(impl, answers(x, gone, 'timeout'), 2, 'n2 deleted x after reading it; n1 still holds x');
        story(impl, answers(y, gone, x), 3, 'the delete saw x but not y');
      },
    },
    {
      name: 'read repair: exactly the replicas behind the merge get the reconciled version',
      hint: 'quorumRead threw (the error and its line are above): follow TODO 4.',
      run(impl) {
        story(impl, answers(x2, x, x2), 3, 'n2 is behind', true);
        story(impl, answers(both, null, 'timeout'), 2, 'n2 has no copy yet', true);
        story(impl, answers(x, x, 'timeout'), 2, 'the two that answered are equal; n3 did not answer', true);
        story(impl, answers(x2, 'timeout', x), 2, 'n3 is behind; n2 did not answer (it may be behind too: nobody knows)', true);
      },
    },
    {
      name: `${HISTORIES} seeded histories (N = 3, partitions and heals, late and lost copies, R from 1 to 3): every read equals the reconcile of the replicas that answered, and after its repairs they are equal`,
      hint: 'quorumRead threw during a history: replay it alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        const total: Stats = { reads: 0, refusedReads: 0, writes: 0, refusedWrites: 0, stale: 0, repairs: 0 };
        const list = seeds(HISTORIES, only);
        for (const seed of list) {
          const s = replay(impl, seed);
          total.reads += s.reads;
          total.refusedReads += s.refusedReads;
          total.repairs += s.repairs;
        }
        return `${list.length === 1 ? '1 history' : `${num(list.length)} histories`}: ${num(total.reads)} reads compared ` +
          `(${num(total.refusedReads)} refused for want of R answers), ${num(total.repairs)} repairs sent`;
      },
    },
    {
      name: 'R + W > N: with R = W = 2 of 3 no read misses an acknowledged write (R = W = 1 measured beside it)',
      hint: 'quorumRead threw while the checker measured with it: make the checks above pass first.',
      run(impl) {
        const measure = (r: number, w: number) => {
          const total: Stats = { reads: 0, refusedReads: 0, writes: 0, refusedWrites: 0, stale: 0, repairs: 0 };
          for (const seed of seeds(HISTORIES, undefined)) {
            const s = playHistory((list, rr) => call(impl, list, rr), { seed, steps: STEPS, w, r, firstR: true });
            for (const k of Object.keys(total) as (keyof Stats)[]) total[k] += s[k];
          }
          return total;
        };
        const one = measure(1, 1);
        if (one.refusedReads > 0) {
          throw new CheckFailure(`With R = 1 a read needs one answer, and the coordinator always has its own, yet your read refused ${num(one.refusedReads)} of ${num(one.reads)} reads.`, {
            hint: 'Count the answers that are not \'timeout\' and compare with r: a read fails only when fewer than r answered.',
          });
        }
        const two = measure(2, 2);
        const line = (label: string, s: Stats) => {
          const answered = s.reads - s.refusedReads;
          return `${label}: ${num(s.stale)} of ${num(answered)} reads stale (${percent(s.stale, answered)}); ` +
            `refused: ${num(s.refusedReads)} of ${num(s.reads)} reads, ${num(s.refusedWrites)} of ${num(s.writes)} writes`;
        };
        if (two.stale > 0) {
          throw new CheckFailure(`With R = W = 2 of N = 3 every read overlaps every acknowledged write on at least one replica, yet ${line('your read', two)}.`, {
            hint: 'A read that drops what one of its replicas holds misses writes even with R + W > N. Fold reconcile over ALL the copies that answered and return the merged context.',
          });
        }
        return `a stale read misses a write acknowledged before it began (${num(HISTORIES)} histories each, reads stop at the first R answers)\n` +
          `${line('R = 1, W = 1', one)}\n${line('R = 2, W = 2', two)}\n` +
          'R + W > N buys no stale reads while a majority is reachable, and costs refusals on the side of a cut that has no majority';
      },
    },
  ],
};
