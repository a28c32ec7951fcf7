// Reference solution for exercise 10: the KV apply loop with duplicate detection (the Raft core's kv.ts and
// service.ts do the same).
import type { Entry } from '../../raft/core/types.ts';
import type { KvCommand, KvOp, KvResult, KvState } from '../../raft/core/kv.ts';

export type { Entry, KvCommand, KvResult, KvState };

export function applyEntries(state: KvState, entries: readonly Entry[]): (KvResult | null)[] {
  return entries.map((entry) => (entry.command === null ? null : applyCommand(state, entry.command as KvCommand)));
}

export function applyCommand(state: KvState, command: KvCommand): KvResult {
  const { client, seq } = command;
  if (client === undefined || seq === undefined) return execute(state.data, command);
  const session = state.sessions[client];
  if (session !== undefined && seq <= session.seq) return session.result;
  const result = execute(state.data, command);
  state.sessions[client] = { seq, result };
  return result;
}

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
