// A linearizability checker for key-value histories (Part II's store, Part IV's Raft KV).
//
// ## What it decides
// A history (tests/helpers/kv-history.ts describes the format) is LINEARIZABLE if there is one order of all
// its operations such that
//   1. running them one at a time in that order on a single copy of the data gives every client exactly the
//      answer it got, and
//   2. the order respects real time: if A returned before B was called, A comes before B.
// Equivalently: each operation seems to take effect at one instant between its call and its return
// (Herlihy & Wing 1990; Kleppmann, DDIA ch. 9). That is what "strong" consistency promises.
//
// ## How to use it
//   const result = checkHistory(history);              // { ok: true, verdict: 'linearizable' } or a report
//   assertLinearizable(history);                       // throws an Error whose message is the report
//   checkHistory(history, { maxSteps: 1e6, timeoutMs: 5000 });   // the search budget (defaults below)
//
// A failing result names the key, the longest order that worked (with the value after each step), the
// operations that could come next and why each contradicts that value, and every operation left unplaced.
// If the budget runs out the verdict is 'unknown' (ok: false): a test never passes on a search it gave up.
// Cost: 5 clients x 200 operations on 3 keys take about 10 ms. What makes it slow is many concurrent
// operations on ONE key, above all many with unknown outcome: each stays a candidate forever, and the memo
// cannot merge "placed it" with "not yet" (measured: 10 clients x 200 on one key, 10% unknown, ~0.8 s, and
// a corrupted one ran into the 10 s budget). Spread a test's operations over a few keys.
//
// ## Rules for special operations
// - `return: null` (outcome unknown): the operation may have taken effect at ANY instant after its call, or
//   never. The checker treats its return as +infinity and may leave it out. A get with unknown outcome tells
//   nothing, so it is dropped.
// - `error` (definitely refused): never took effect, so it is dropped.
// - Equal timestamps: an operation called at the very millisecond another returned counts as concurrent with
//   it (either order is allowed). Clocks in milliseconds are coarse; this avoids false alarms (porcupine
//   orders calls before returns at equal times for the same reason).
//
// ## How it decides (Wing & Gong 1993, with porcupine's improvements — github.com/anishathalye/porcupine)
// 1. Split by key. Linearizability is compositional (Herlihy & Wing 1990, §3.3): a history is linearizable
//    iff the sub-history of each object (here: each key) is. Checking small histories one at a time is
//    exponentially cheaper than checking one large one.
// 2. For one key, list the events in time order: each operation has a CALL entry and (if it returned) a
//    RETURN entry. Walk the list from the front. Any call met before the first return is a candidate to be
//    the next operation in the order: it was in flight then, so it may take effect first.
// 3. Try a candidate on the single-copy model (a register: "absent" or a string). If its answer matches,
//    LINEARIZE it: remember (candidate, old value) on a stack, remove its call and return from the list
//    ("lift"), and start again from the front.
// 4. Reaching a RETURN entry means that operation had to take effect by now, but no candidate before it
//    worked. BACKTRACK: pop the last choice, put its entries back, and try the next candidate after it.
//    Nothing left to pop: no order exists — not linearizable.
// 5. The list holds no return entry any more: every operation that returned has a place. Done — what is left
//    is calls with unknown outcomes, which may simply never have taken effect.
// porcupine's main improvement is memoisation: two paths that linearized the same SET of operations and
// reached the same VALUE have the same future, so the second is cut short. The cache key is (bitset of
// linearized operations, value). Without it the search is exponential even on easy histories.
import type { KvOperation } from './kv-history.ts';
import { validateOperation } from './kv-history.ts';

// #region model
/**
 * A sequential specification: what a single copy does. `step` returns the state after `op`, or undefined
 * when the answer the client saw is impossible in `state`. The engine below is generic over it; the
 * key-value register is one instance (Part IV may add, say, an `append` model without touching the engine).
 */
export interface Model<State, Op> {
  init: State;
  step(state: State, op: Op): State | undefined;
  /** A string that is equal for equal states (the memo key). */
  stateKey(state: State): string;
}

/** One key of the store: absent (null) or a string. */
export type Register = string | null;

export const registerModel: Model<Register, KvOperation> = {
  init: null,
  step(state, o) {
    switch (o.op) {
      case 'get':
        return o.output === state ? state : undefined;
      case 'put':
        return o.value as string;
      case 'delete':
        return null;
      case 'cas': {
        const matches = state === o.expected;
        // Unknown outcome: if it took effect here, it swapped exactly when the value matched.
        if (o.return === null) return matches ? (o.value as string) : state;
        if (o.output === true) return matches ? (o.value as string) : undefined;
        return matches ? undefined : state;
      }
    }
  },
  stateKey: (state) => JSON.stringify(state),
};
// #endregion model

// #region engine
export interface SearchOptions {
  /** Give up after this many search steps (default 5,000,000 per key). */
  maxSteps?: number;
  /** Give up after this many milliseconds for the whole history (default 10,000). */
  timeoutMs?: number;
  /** The clock for timeoutMs (default performance.now); tests pass a fake one. */
  now?: () => number;
}

export interface Timed {
  call: number;
  return: number | null;
}

export type SearchResult<State, Op> =
  | { verdict: 'linearizable'; steps: number }
  | {
      verdict: 'not linearizable';
      steps: number;
      /** The longest order found that matches every answer, with the state after each operation. */
      prefix: { op: Op; after: State }[];
      /** The state after the prefix. */
      state: State;
      /** Operations that could have come next (called before the earliest outstanding return): all fail. */
      blocked: Op[];
      /** Every operation that returned but is not in the prefix. */
      unplaced: Op[];
    }
  | { verdict: 'unknown'; steps: number };

interface Entry<Op> {
  kind: 'call' | 'return';
  id: number;
  time: number;
  op: Op;
  /** For a call: its return entry (null when the outcome is unknown). Unused for a return. */
  match: Entry<Op> | null;
  prev: Entry<Op> | null;
  next: Entry<Op> | null;
}

/**
 * Wing & Gong's search for ONE object (one key). `ops` are the operations on it that count (refused ones and
 * unknown-outcome reads already dropped). `deadline` is an absolute time on `now`.
 */
export function searchLinearization<State, Op extends Timed>(
  model: Model<State, Op>,
  ops: readonly Op[],
  options: { maxSteps: number; deadline: number; now: () => number },
): SearchResult<State, Op> {
  const head = buildEntries(ops);
  let completed = ops.filter((o) => o.return !== null).length; // return entries still in the list
  let linearized = 0n; // a set of operations as a BigInt: bit i is set when ops[i] is in the order
  const seen = new Set<string>(); // memo of (linearized set, state) already explored
  const stack: { entry: Entry<Op>; before: State }[] = [];
  let state = model.init;
  let longest: { op: Op; after: State }[] = [];
  let steps = 0;

  let entry = head.next!;
  while (completed > 0) {
    steps++;
    if (steps > options.maxSteps || (steps % 1024 === 0 && options.now() > options.deadline)) {
      return { verdict: 'unknown', steps };
    }
    if (entry.kind === 'return') {
      // Its operation had to take effect by now, but nothing before it fitted. Undo the last choice.
      const last = stack.pop();
      if (last === undefined) return failure(ops, longest, model.init, steps);
      state = last.before;
      linearized ^= bit(last.entry.id);
      unlift(last.entry);
      if (last.entry.match) completed++;
      entry = last.entry.next!;
    } else {
      const after = model.step(state, entry.op);
      if (after !== undefined) {
        const key = (linearized | bit(entry.id)).toString(36) + '|' + model.stateKey(after);
        if (!seen.has(key)) {
          seen.add(key);
          stack.push({ entry, before: state });
          linearized |= bit(entry.id);
          state = after;
          lift(entry);
          if (entry.match) completed--;
          if (stack.length > longest.length) longest = stack.map((s, i) => ({ op: s.entry.op, after: i + 1 < stack.length ? stack[i + 1]!.before : state }));
          entry = head.next!;
          continue;
        }
        // else: this set and state were reached before, by another path, and that path failed
      }
      entry = entry.next!; // try the next candidate (a return entry is always further on: completed > 0)
    }
  }
  return { verdict: 'linearizable', steps };
}

/** The doubly linked list of call/return entries, in time order, behind a sentinel head. */
function buildEntries<Op extends Timed>(ops: readonly Op[]): Entry<Op> {
  const entries: Entry<Op>[] = [];
  ops.forEach((op, id) => {
    const call: Entry<Op> = { kind: 'call', id, time: op.call, op, match: null, prev: null, next: null };
    entries.push(call);
    if (op.return !== null) {
      call.match = { kind: 'return', id, time: op.return, op, match: null, prev: null, next: null };
      entries.push(call.match);
    }
  });
  // By time; at equal times calls first (so touching operations count as concurrent). The sort is stable,
  // so otherwise the history's order stays: the search, and the report it gives, are the same on every run.
  entries.sort((a, b) => a.time - b.time || (a.kind === b.kind ? 0 : a.kind === 'call' ? -1 : 1));
  // The head is a sentinel: only its `next` is used, so removing the first entry needs no special case.
  const head = { next: entries[0] ?? null } as Entry<Op>;
  entries.forEach((e, i) => {
    e.prev = entries[i - 1] ?? head;
    e.next = entries[i + 1] ?? null;
  });
  return head;
}

/** Remove a call entry and its return from the list. They keep their own links, so unlift can undo it. */
function lift<Op>(call: Entry<Op>): void {
  remove(call);
  if (call.match) remove(call.match);
}

/** Put back what lift removed, in reverse order (the "dancing links" trick: Knuth 2000). */
function unlift<Op>(call: Entry<Op>): void {
  if (call.match) insert(call.match);
  insert(call);
}

function remove<Op>(e: Entry<Op>): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function insert<Op>(e: Entry<Op>): void {
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}

function bit(i: number): bigint {
  return 1n << BigInt(i);
}

/**
 * Build the report from the longest prefix: what could come next there, and what never found a place.
 * Every operation that could come next after the longest prefix fails on the model: had one fitted, the
 * search would have gone one step further (or, memo hit, had already been one step further) — longer.
 */
function failure<State, Op extends Timed>(ops: readonly Op[], prefix: { op: Op; after: State }[], init: State, steps: number): SearchResult<State, Op> {
  const placed = new Set(prefix.map((p) => p.op));
  const state = prefix.length > 0 ? prefix[prefix.length - 1]!.after : init;
  const rest = ops.filter((o) => !placed.has(o));
  // The earliest return among the rest: anything called by then (ties count, see buildEntries) could go next.
  const earliestReturn = Math.min(...rest.map((o) => o.return ?? Infinity));
  const blocked = rest.filter((o) => o.call <= earliestReturn);
  const unplaced = rest.filter((o) => o.return !== null).sort((a, b) => a.call - b.call);
  return { verdict: 'not linearizable', steps, prefix, state, blocked, unplaced };
}
// #endregion engine

// #region check
export type CheckResult =
  | { ok: true; verdict: 'linearizable' }
  | {
      ok: false;
      verdict: 'not linearizable';
      key: string;
      /** A report for a person: the prefix, what blocked it, what is left. */
      reason: string;
      prefix: { op: KvOperation; after: Register }[];
      blocked: { op: KvOperation; why: string }[];
      unplaced: KvOperation[];
    }
  | { ok: false; verdict: 'unknown'; key: string; reason: string; steps: number };

/**
 * Is this key-value history linearizable? Validates every operation first (throws `history[i]: ...` on a
 * malformed one), drops refused operations and reads with unknown outcome, splits by key (in order of first
 * appearance), and searches each key. A violation on any key wins over an 'unknown' on another.
 */
export function checkHistory(history: readonly KvOperation[], options: SearchOptions = {}): CheckResult {
  history.forEach((op, i) => validateOperation(op, `history[${i}]`));
  const now = options.now ?? (() => performance.now());
  const timeoutMs = options.timeoutMs ?? 10_000;
  const budget = { maxSteps: options.maxSteps ?? 5_000_000, deadline: now() + timeoutMs, now };

  const byKey = new Map<string, KvOperation[]>();
  for (const op of history) {
    if (op.error !== undefined) continue; // refused: never took effect
    if (op.op === 'get' && op.return === null) continue; // a read nobody saw the answer to constrains nothing
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }

  let gaveUp: CheckResult | undefined;
  for (const [key, ops] of byKey) {
    const result = searchLinearization(registerModel, ops, budget);
    if (result.verdict === 'not linearizable') {
      const blocked = result.blocked.map((op) => ({ op, why: mismatch(result.state, op) }));
      return {
        ok: false,
        verdict: 'not linearizable',
        key,
        reason: report(key, ops, result.prefix, result.state, blocked, result.unplaced),
        prefix: result.prefix,
        blocked,
        unplaced: result.unplaced,
      };
    }
    if (result.verdict === 'unknown' && gaveUp === undefined) {
      gaveUp = {
        ok: false,
        verdict: 'unknown',
        key,
        steps: result.steps,
        reason:
          `key ${JSON.stringify(key)}: gave up after ${result.steps} search steps (budget: maxSteps ${budget.maxSteps}, ` +
          `timeoutMs ${timeoutMs}) on ${ops.length} operations; linearizability is unknown. ` +
          'Raise the budget, or record fewer operations with unknown outcome / fewer concurrent clients per key.',
      };
    }
  }
  return gaveUp ?? { ok: true, verdict: 'linearizable' };
}

/** checkHistory, throwing an Error with the report unless the history is linearizable. For tests. */
export function assertLinearizable(history: readonly KvOperation[], options?: SearchOptions): void {
  const result = checkHistory(history, options);
  if (!result.ok) throw new Error(result.reason);
}
// #endregion check

// ---- Words for people -------------------------------------------------------------------------------------

/** One operation in one line, e.g. `client 2: cas "a" -> "b" = true  [15, 20]`. */
export function describeOperation(o: KvOperation): string {
  const when = `[${o.call}, ${o.return ?? '? (outcome unknown)'}]`;
  let what: string;
  switch (o.op) {
    case 'get':
      what = `get = ${showValue(o.output as Register)}`;
      break;
    case 'put':
      what = `put ${JSON.stringify(o.value)}`;
      break;
    case 'delete':
      what = 'delete';
      break;
    case 'cas':
      what = `cas ${showValue(o.expected ?? null)} -> ${JSON.stringify(o.value)}` + (o.return === null ? '' : ` = ${o.output}`);
      break;
  }
  return `client ${o.client}: ${what}  ${when}`;
}

/** Why `o`'s answer cannot be right if the key held `state` when it took effect. */
function mismatch(state: Register, o: KvOperation): string {
  if (o.op === 'get') return `it read ${showValue(o.output as Register)}, but the key held ${showValue(state)}`;
  if (o.output === true) return `it swapped, but the key held ${showValue(state)}, not the expected ${showValue(o.expected ?? null)}`;
  return `it did not swap, but the key held the expected ${showValue(state)}, so it would have`;
}

function report(
  key: string,
  ops: readonly KvOperation[],
  prefix: { op: KvOperation; after: Register }[],
  state: Register,
  blocked: { op: KvOperation; why: string }[],
  unplaced: KvOperation[],
): string {
  const lines = [
    `key ${JSON.stringify(key)} is not linearizable: no single-copy order of its ${ops.length} operations gives every client the answer it got.`,
    `Longest order that works (${prefix.length} operations; value after each):`,
    ...(prefix.length === 0 ? ['  (none: not even the first operation fits)'] : prefix.map((p, i) => `  ${i + 1}. ${describeOperation(p.op)}  -> ${showValue(p.after)}`)),
    `Then the key holds ${showValue(state)}, and every operation that could come next contradicts that:`,
    ...blocked.map((b) => `  ${describeOperation(b.op)}: ${b.why}`),
    `Operations that returned but found no place (${unplaced.length}):`,
    ...unplaced.map((o) => `  ${describeOperation(o)}`),
  ];
  return lines.join('\n');
}

function showValue(v: Register): string {
  return v === null ? 'absent' : JSON.stringify(v);
}
