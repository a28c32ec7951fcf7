// Exercise 10 (Session 10, docs/consensus/10-consensus-system.md): the KV apply loop, with duplicate detection.
//
// Raft hands every node the same committed entries, in log order. The node applies them to its key-value
// state, one by one, and the answer of each goes back to the client that waits for that entry. You write that
// loop. The hard part is a RETRY: a client that hears nothing within its timeout sends the same request again,
// maybe to a new leader, so the same command can sit in the log twice (or a network copy can be proposed
// twice). The second copy must not act again; it gets the answer the first copy got (Raft paper §8).
//
// Clients number their requests 1, 2, 3, ... and send one at a time, so a command carries `client` (its id)
// and `seq` (its number). For each client the STATE remembers the last seq applied and its answer:
//   state.data       the keys and their values
//   state.sessions   { [client]: { seq, result } }   (part of the state: it goes into snapshots with the data)
// A command without a client id (or without a seq) cannot be recognised as a retry: apply it every time.
//
// Run the checker (from the repository root):
//   npm run check -- 10-apply-loop              grades this file
//   npm run check -- 10-apply-loop --solution   shows what passing looks like
// It holds your answers against the Raft core's own state machine (examples/raft/core/kv.ts), then runs your
// loop inside every node of seeded three-node Raft clusters (the real core) whose leaders crash, whose
// messages are lost, late and doubled, and whose clients retry; it checks that every node answers as the
// core does, and runs Part II's linearizability checker over what the clients saw.
import type { Entry } from '../../raft/core/types.ts';
import type { KvCommand, KvOp, KvResult, KvState } from '../../raft/core/kv.ts';

export type { Entry, KvCommand, KvResult, KvState };

/**
 * Apply committed entries, in order, to `state` (change it in place, as the core does). Return one answer per
 * entry: the command's KvResult, or null for a leader's no-op (an entry whose command is null).
 */
export function applyEntries(state: KvState, entries: readonly Entry[]): (KvResult | null)[] {
  // TODO 1: For each entry, in order: a no-op (entry.command === null) answers null and changes nothing;
  //         any other entry's command is a KvCommand: its answer is applyCommand(state, command).
  //         Return the answers in the same order as the entries.
  throw new Error(`applyEntries is not written yet (entries to apply: ${entries.length}; keys in the state: ${Object.keys(state.data).length}): follow TODO 1 to 4`);
}

/** One command: a retry gets its first answer again; anything else is executed and remembered. */
export function applyCommand(state: KvState, command: KvCommand): KvResult {
  // TODO 2: No client id or no seq: nothing to recognise it by. Execute it (execute(state.data, command)).

  // TODO 3: A retry: the client's session says it already applied this seq or a later one
  //         (seq <= state.sessions[client].seq). Do NOT execute it again: answer with the result the
  //         session keeps (the first copy's answer).

  // TODO 4: A new request: execute it, then remember { seq, result } as the client's session, and answer.
  throw new Error(`applyCommand is not written yet (${command.op} ${command.key}, client ${String(command.client)}, seq ${String(command.seq)}): follow TODO 2 to 4`);
}

/** The four operations on the data (written for you). The answer's `value`: the value after a put, the value
 *  read by a get, the value before a delete or a cas; `ok` is false only for a cas that did not swap. */
export function execute(data: Record<string, string>, c: KvOp): KvResult {
  const current = Object.hasOwn(data, c.key) ? data[c.key]! : null;
  switch (c.op) {
    case 'get':
      return { ok: true, value: current };
    case 'put':
      setOwn(data, c.key, c.value);
      return { ok: true, value: c.value };
    case 'delete':
      delete data[c.key];
      return { ok: true, value: current };
    case 'cas':
      if (current !== c.expected) return { ok: false, value: current };
      setOwn(data, c.key, c.value);
      return { ok: true, value: current };
  }
}

// A key may be any string, "__proto__" included: `data[key] = value` would change the object's prototype and
// store nothing, so write an own property (as the core's kv.ts does).
function setOwn(data: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(data, key, { value, writable: true, enumerable: true, configurable: true });
}
