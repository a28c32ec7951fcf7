// The state machine on top of Raft: a key-value store. Raft hands it committed commands in log order, on
// every node the same; it applies them one by one, so every replica computes the same answers (§2, replicated
// state machines). Reads go through the log too: a get is a command like any other, so it sees every write
// committed before it (linearizable; §8 describes the cheaper ReadIndex this course explains but does not use).

export type KvOp =
  | { op: 'put'; key: string; value: string }
  | { op: 'get'; key: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expected: string | null; value: string };

/** A command as it sits in the log: the operation and, for exactly-once, who sent it and its number. */
export type KvCommand = KvOp & { client?: string; seq?: number };

/** What the client is told. `value`: the key's value before a delete/cas, after a put, or read by a get. */
export interface KvResult {
  ok: boolean; // false only for a cas that did not swap
  value: string | null;
}

export interface KvState {
  data: Record<string, string>;
  /** Per client: its last applied sequence number and the answer it got (§8: a retried command is answered without being executed again). */
  sessions: Record<string, { seq: number; result: KvResult }>;
}

export function emptyKv(): KvState {
  return { data: {}, sessions: {} };
}

// #region apply
/**
 * Apply one committed command. A client retries a request when it hears no answer, so the same command can be
 * in the log twice; the second copy must not act again (§8). Clients number their requests 1, 2, 3 … and
 * send one at a time: a number we have already applied is a retry, and gets the answer the first copy got.
 */
export function applyCommand(state: KvState, command: KvCommand): KvResult {
  const { client, seq } = command;
  if (client === undefined || seq === undefined) return execute(state.data, command); // no way to tell a retry
  const session = getOwn(state.sessions, client);
  if (session !== undefined && seq <= session.seq) return session.result; // a duplicate: answered, not applied again
  const result = execute(state.data, command);
  setOwn(state.sessions, client, { seq, result });
  return result;
}
// #endregion apply

// #region execute
function execute(data: Record<string, string>, c: KvOp): KvResult {
  const current = getOwn(data, c.key) ?? null;
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
// #endregion execute

// Keys and client ids are any strings, "__proto__" and "constructor" included: read only a record's own
// properties, and write with defineProperty (`data["__proto__"] = v` would change the object's prototype and
// store nothing).
function getOwn<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The snapshot's data is the whole state, sessions included: a retry after a restore is still caught.
 *  Copying the two records is enough for an independent image: values are strings, and a session is only
 *  ever replaced whole (applyCommand), never changed in place. (Spreading defines own properties, so a key
 *  named "__proto__" is copied like any other.) */
export function snapshotKv(state: KvState): KvState {
  return { data: { ...state.data }, sessions: { ...state.sessions } };
}
