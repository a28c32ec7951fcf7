// The KV state machine on top of Raft (examples/raft/core/kv.ts): what each operation does and answers, and
// exactly-once by client id + sequence number (§8: "the state machine tracks the latest serial number
// processed for each client, along with the associated response").
import { describe, expect, it } from 'vitest';
import { applyCommand, emptyKv, snapshotKv, type KvCommand, type KvState } from '../../examples/raft/core/kv.ts';

function run(commands: KvCommand[], state: KvState = emptyKv()) {
  return { state, results: commands.map((c) => applyCommand(state, c)) };
}

describe('operations', () => {
  it('put writes the value and answers it; get reads it; a key never written reads null', () => {
    const { state, results } = run([
      { op: 'get', key: 'x' },
      { op: 'put', key: 'x', value: '1' },
      { op: 'get', key: 'x' },
      { op: 'put', key: 'x', value: '2' },
      { op: 'get', key: 'x' },
      { op: 'get', key: 'y' },
    ]);
    expect(results).toEqual([
      { ok: true, value: null },
      { ok: true, value: '1' },
      { ok: true, value: '1' },
      { ok: true, value: '2' },
      { ok: true, value: '2' },
      { ok: true, value: null },
    ]);
    expect(state.data).toEqual({ x: '2' });
  });

  it('delete removes the key and answers its previous value (null when there was none)', () => {
    const { state, results } = run([
      { op: 'put', key: 'x', value: '1' },
      { op: 'delete', key: 'x' },
      { op: 'get', key: 'x' },
      { op: 'delete', key: 'x' },
    ]);
    expect(results.slice(1)).toEqual([
      { ok: true, value: '1' },
      { ok: true, value: null },
      { ok: true, value: null },
    ]);
    expect(state.data).toEqual({});
  });

  it('cas swaps only when the current value is the expected one (null = absent) and answers the previous value', () => {
    const { state, results } = run([
      { op: 'cas', key: 'x', expected: null, value: 'a' }, // absent → swapped
      { op: 'cas', key: 'x', expected: null, value: 'b' }, // present now → refused
      { op: 'cas', key: 'x', expected: 'z', value: 'b' }, // wrong value → refused
      { op: 'cas', key: 'x', expected: 'a', value: 'b' }, // right value → swapped
      { op: 'cas', key: 'y', expected: '', value: 'c' }, // '' is a value, not "absent"
    ]);
    expect(results).toEqual([
      { ok: true, value: null },
      { ok: false, value: 'a' },
      { ok: false, value: 'a' },
      { ok: true, value: 'a' },
      { ok: false, value: null },
    ]);
    expect(state.data).toEqual({ x: 'b' });
  });

  it('keys that are names of Object.prototype\'s properties are ordinary keys (__proto__, constructor, toString)', () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const { state, results } = run([
        { op: 'get', key },
        { op: 'put', key, value: 'v' },
        { op: 'get', key },
        { op: 'cas', key, expected: 'v', value: 'w' },
        { op: 'delete', key },
        { op: 'get', key },
      ]);
      expect(results, key).toEqual([
        { ok: true, value: null },
        { ok: true, value: 'v' },
        { ok: true, value: 'v' },
        { ok: true, value: 'v' },
        { ok: true, value: 'w' },
        { ok: true, value: null },
      ]);
      expect(JSON.stringify(state.data), key).toBe('{}');
    }
  });

  it('a value written under __proto__ survives a snapshot and its JSON copy (what a node persists)', () => {
    const { state } = run([{ op: 'put', key: '__proto__', value: 'v' }, { op: 'put', key: 'k', value: 'w' }]);
    for (const copy of [snapshotKv(state), JSON.parse(JSON.stringify(snapshotKv(state))) as KvState]) {
      expect(applyCommand(copy, { op: 'get', key: '__proto__' })).toEqual({ ok: true, value: 'v' });
      expect(applyCommand(copy, { op: 'get', key: 'k' })).toEqual({ ok: true, value: 'w' });
    }
  });
});

describe('exactly-once (§8)', () => {
  it('the same client and seq applied twice acts once and gets the same answer again', () => {
    const put: KvCommand = { op: 'put', key: 'x', value: 'a', client: 'c1', seq: 1 };
    const cas: KvCommand = { op: 'cas', key: 'x', expected: 'a', value: 'b', client: 'c1', seq: 2 };
    const { state, results } = run([put, put, cas, { op: 'put', key: 'x', value: 'a' }, cas]);
    expect(results).toEqual([
      { ok: true, value: 'a' },
      { ok: true, value: 'a' },
      { ok: true, value: 'a' }, // swapped a → b
      { ok: true, value: 'a' }, // someone else puts a back
      { ok: true, value: 'a' }, // the retried cas does NOT swap again: x stays a
    ]);
    expect(state.data).toEqual({ x: 'a' });
  });

  it('an older seq than the client\'s last gets the cached answer and has no effect', () => {
    const { state, results } = run([
      { op: 'put', key: 'x', value: '1', client: 'c1', seq: 1 },
      { op: 'put', key: 'x', value: '2', client: 'c1', seq: 2 },
      { op: 'put', key: 'x', value: 'late', client: 'c1', seq: 1 },
      { op: 'delete', key: 'x', client: 'c1', seq: 2 },
    ]);
    expect(results[2]).toEqual({ ok: true, value: '2' });
    expect(results[3]).toEqual({ ok: true, value: '2' });
    expect(state.data).toEqual({ x: '2' });
    expect(state.sessions).toEqual({ c1: { seq: 2, result: { ok: true, value: '2' } } });
  });

  it('clients are deduplicated separately: the same seq from another client is a new request', () => {
    const { state, results } = run([
      { op: 'put', key: 'x', value: 'a', client: 'c1', seq: 1 },
      { op: 'put', key: 'x', value: 'b', client: 'c2', seq: 1 },
    ]);
    expect(results).toEqual([
      { ok: true, value: 'a' },
      { ok: true, value: 'b' },
    ]);
    expect(state.data).toEqual({ x: 'b' });
  });

  it('a higher seq is a new request, even with a gap', () => {
    const { results } = run([
      { op: 'put', key: 'x', value: 'a', client: 'c1', seq: 1 },
      { op: 'put', key: 'x', value: 'b', client: 'c1', seq: 5 },
      { op: 'get', key: 'x', client: 'c1', seq: 6 },
    ]);
    expect(results.map((r) => r.value)).toEqual(['a', 'b', 'b']);
  });

  it('no client (or no seq): no deduplication, every copy acts and no session is kept', () => {
    const cas = (value: string): KvCommand => ({ op: 'cas', key: 'n', expected: null, value });
    const { state, results } = run([
      { op: 'put', key: 'x', value: 'a' },
      { op: 'delete', key: 'x' },
      { op: 'put', key: 'x', value: 'a' },
      { op: 'delete', key: 'x' },
      { ...cas('1'), client: 'c1' }, // a client id without a seq
      { op: 'delete', key: 'n', client: 'c1' },
      { ...cas('2'), client: 'c1' },
      { ...cas('3'), seq: 1 }, // a seq without a client
      { op: 'delete', key: 'n', seq: 1 },
      { ...cas('4'), seq: 1 },
    ]);
    expect(results.map((r) => r.value)).toEqual(['a', 'a', 'a', 'a', null, '1', null, '2', '2', null]);
    expect(state.data).toEqual({ n: '4' });
    expect(state.sessions).toEqual({});
  });

  it('a client named "undefined" is a client like any other; a command without a client is not taken for it', () => {
    const { state, results } = run([
      { op: 'put', key: 'x', value: 'a', client: 'undefined', seq: 1 },
      { op: 'put', key: 'x', value: 'b', seq: 1 },
    ]);
    expect(results.map((r) => r.value)).toEqual(['a', 'b']);
    expect(state.data).toEqual({ x: 'b' });
    expect(Object.keys(state.sessions)).toEqual(['undefined']);
  });

  it('the state stays plain data: a caller may edit it directly (a browser what-if, a restore field by field)', () => {
    const state = emptyKv();
    applyCommand(state, { op: 'put', key: 'x', value: 'a', client: 'c', seq: 1 });
    state.data.x = 'edited';
    state.sessions.c!.seq = 0;
    expect(applyCommand(state, { op: 'get', key: 'x', client: 'c', seq: 1 })).toEqual({ ok: true, value: 'edited' });
  });

  it('a retry after a snapshot restore is still caught: the snapshot carries the sessions', () => {
    const state = emptyKv();
    const put: KvCommand = { op: 'put', key: 'x', value: 'a', client: 'c1', seq: 1 };
    applyCommand(state, put);
    const copy = snapshotKv(state);
    applyCommand(state, { op: 'put', key: 'x', value: 'changed' }); // the copy is independent of the original
    expect(copy.data).toEqual({ x: 'a' });
    applyCommand(copy, { op: 'put', key: 'x', value: 'b' });
    expect(applyCommand(copy, put)).toEqual({ ok: true, value: 'a' });
    expect(copy.data).toEqual({ x: 'b' });
  });

  it('a client named like an Object.prototype property is deduplicated like any other, also after a snapshot', () => {
    for (const client of ['__proto__', 'constructor', 'toString']) {
      const state = emptyKv();
      const cas: KvCommand = { op: 'cas', key: 'x', expected: null, value: 'a', client, seq: 1 };
      expect(applyCommand(state, cas), client).toEqual({ ok: true, value: null });
      applyCommand(state, { op: 'delete', key: 'x' });
      expect(applyCommand(state, cas), client).toEqual({ ok: true, value: null }); // cached: x stays absent
      expect(state.data, client).toEqual({});
      for (const copy of [snapshotKv(state), JSON.parse(JSON.stringify(state)) as KvState]) {
        expect(applyCommand(copy, cas), client).toEqual({ ok: true, value: null });
        expect(copy.data, client).toEqual({});
      }
      // another client is not mistaken for this one
      expect(applyCommand(state, { ...cas, client: 'other' })).toEqual({ ok: true, value: null });
      expect(state.data).toEqual({ x: 'a' });
    }
  });
});
