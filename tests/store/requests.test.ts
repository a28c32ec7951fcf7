// requests.ts: what a client or a peer may send a store node, and the exact words it gets back when the
// input is wrong. Messages are pinned: they are the interface a person reads.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_CONTEXT_NODES,
  MAX_KEY_LENGTH,
  MAX_PEER_MESSAGES,
  MAX_VALUE_BYTES,
  NODE_NAME,
  parseBody,
  parseClientRequest,
  parseConsistency,
  parseContext,
  parseKey,
  parsePeerBatch,
  parseValue,
  type ClientInput,
} from '../../examples/store/core/requests.ts';
import type { PeerMessage } from '../../examples/store/core/types.ts';
import type { Stored } from '../../examples/store/core/versions.ts';

const input = (over: Partial<ClientInput>): ClientInput => ({ op: 'get', key: 'k', query: [], body: '', ...over });
const error = (result: { ok: boolean; error?: string }) => (result.ok ? 'ok' : result.error);

describe('limits', () => {
  it('are the documented ones', () => {
    expect(MAX_KEY_LENGTH).toBe(200);
    expect(MAX_VALUE_BYTES).toBe(65536);
    expect(MAX_CONTEXT_NODES).toBe(64);
    expect(MAX_PEER_MESSAGES).toBe(10000);
    expect(NODE_NAME.test('n1')).toBe(true);
    expect(NODE_NAME.test('a'.repeat(32))).toBe(true);
    expect(NODE_NAME.test('a'.repeat(33))).toBe(false);
    expect(NODE_NAME.test('')).toBe(false);
    expect(NODE_NAME.test('N1')).toBe(false);
    expect(NODE_NAME.test('x n1')).toBe(false);
    expect(NODE_NAME.test('n1 x')).toBe(false);
  });
});

describe('parseKey', () => {
  it('decodes the path segment', () => {
    expect(parseKey('a%2Fb%20c')).toEqual({ ok: true, value: 'a/b c' });
    expect(parseKey('caf%C3%A9')).toEqual({ ok: true, value: 'café' });
  });
  it('refuses bad percent-encoding, naming what it got', () => {
    expect(error(parseKey('%E0%A4%A'))).toBe('the key in the path is not valid percent-encoding: "%E0%A4%A"');
    expect(error(parseKey('%' + 'x'.repeat(60)))).toBe(`the key in the path is not valid percent-encoding: "%${'x'.repeat(39)}"`);
  });
  it('counts characters, not UTF-16 units: 1 to 200', () => {
    expect(error(parseKey(''))).toBe('the key is empty; use /kv/<key> with 1 to 200 characters');
    expect(parseKey('a')).toEqual({ ok: true, value: 'a' });
    expect(parseKey('a'.repeat(200)).ok).toBe(true);
    expect(error(parseKey('a'.repeat(201)))).toBe('the key is 201 characters long; the limit is 200');
    const emoji = encodeURIComponent('😀'.repeat(200)); // 400 UTF-16 units, 200 characters
    expect(parseKey(emoji).ok).toBe(true);
    expect(error(parseKey(emoji + 'a'))).toBe('the key is 201 characters long; the limit is 200');
  });
  it('refuses control characters, naming the first one and where it is', () => {
    expect(error(parseKey('ab%0Ac'))).toBe('the key has a control character (U+000A) at position 3; keys must be printable');
    expect(error(parseKey('%00'))).toBe('the key has a control character (U+0000) at position 1; keys must be printable');
    expect(error(parseKey('a%1F%07'))).toBe('the key has a control character (U+001F) at position 2; keys must be printable');
    expect(error(parseKey('%7F'))).toBe('the key has a control character (U+007F) at position 1; keys must be printable');
    expect(error(parseKey('%C2%80'))).toBe('the key has a control character (U+0080) at position 1; keys must be printable');
    expect(error(parseKey('%C2%9F'))).toBe('the key has a control character (U+009F) at position 1; keys must be printable');
    expect(error(parseKey('😀%0B'))).toBe('the key has a control character (U+000B) at position 2; keys must be printable');
  });
  it('accepts the printable neighbours of the control ranges', () => {
    for (const c of [' ', '~', '\u00a0', '\u00ff', '!']) expect(parseKey(encodeURIComponent(`x${c}y`))).toEqual({ ok: true, value: `x${c}y` });
  });
});

describe('parseConsistency', () => {
  it('is strong unless told otherwise', () => {
    expect(parseConsistency([])).toEqual({ ok: true, value: 'strong' });
    expect(parseConsistency([['consistency', 'strong']])).toEqual({ ok: true, value: 'strong' });
    expect(parseConsistency([['consistency', 'eventual']])).toEqual({ ok: true, value: 'eventual' });
  });
  it('refuses other values, other parameters and repeats', () => {
    expect(error(parseConsistency([['consistency', 'quorum']]))).toBe('consistency must be "strong" or "eventual", got "quorum"');
    expect(error(parseConsistency([['consistency', '']]))).toBe('consistency must be "strong" or "eventual", got ""');
    expect(error(parseConsistency([['consistency', 'x'.repeat(50)]]))).toBe(`consistency must be "strong" or "eventual", got "${'x'.repeat(40)}"`);
    expect(error(parseConsistency([['mode', 'strong']]))).toBe('unknown query parameter "mode"; the only one is "consistency"');
    expect(error(parseConsistency([['consistency', 'strong'], ['y'.repeat(50), '']]))).toBe(`unknown query parameter "${'y'.repeat(40)}"; the only one is "consistency"`);
    expect(error(parseConsistency([['consistency', 'strong'], ['consistency', 'strong']]))).toBe('query parameter "consistency" is given 2 times; give it once');
  });
});

describe('parseBody', () => {
  it('reads an empty or blank body as no fields', () => {
    expect(parseBody('put', '')).toEqual({ ok: true, value: {} });
    expect(parseBody('get', ' \n')).toEqual({ ok: true, value: {} });
  });
  it('refuses a body on a GET', () => {
    expect(error(parseBody('get', '{}'))).toBe('a GET takes no body: the key goes in the path, consistency in the query');
  });
  it('refuses what is not JSON, and JSON that is not an object', () => {
    expect(error(parseBody('put', '{"value":'))).toMatch(/^the body is not valid JSON \(.+\)$/);
    expect(error(parseBody('put', 'null'))).toBe('the body must be a JSON object, got null');
    expect(error(parseBody('put', '[1]'))).toBe('the body must be a JSON object, got an array');
    expect(error(parseBody('put', '"hi"'))).toBe('the body must be a JSON object, got the string "hi"');
    expect(error(parseBody('put', JSON.stringify('z'.repeat(50))))).toBe(`the body must be a JSON object, got the string "${'z'.repeat(40)}"`);
    expect(error(parseBody('put', '12'))).toBe('the body must be a JSON object, got number 12');
    expect(error(parseBody('put', 'true'))).toBe('the body must be a JSON object, got boolean true');
  });
  it('allows exactly the fields of each operation', () => {
    expect(parseBody('put', '{"value":"v","context":{}}')).toEqual({ ok: true, value: { value: 'v', context: {} } });
    expect(parseBody('delete', '{"context":{}}')).toEqual({ ok: true, value: { context: {} } });
    expect(parseBody('cas', '{"expected":null,"value":"v"}')).toEqual({ ok: true, value: { expected: null, value: 'v' } });
    expect(error(parseBody('put', '{"value":"v","ttl":3}'))).toBe('unknown field "ttl" in the body; PUT takes "value" and "context"');
    expect(error(parseBody('delete', '{"value":"v"}'))).toBe('unknown field "value" in the body; DELETE takes "context"');
    expect(error(parseBody('cas', '{"context":{}}'))).toBe('unknown field "context" in the body; CAS takes "expected" and "value"');
    expect(error(parseBody('put', `{"${'f'.repeat(50)}":1}`))).toBe(`unknown field "${'f'.repeat(40)}" in the body; PUT takes "value" and "context"`);
    // Object.prototype's names are fields like any other
    expect(error(parseBody('put', '{"constructor":1}'))).toBe('unknown field "constructor" in the body; PUT takes "value" and "context"');
  });
});

describe('parseValue', () => {
  it('takes strings up to 64 KiB of UTF-8', () => {
    expect(parseValue('value', '')).toEqual({ ok: true, value: '' });
    expect(parseValue('value', 'x'.repeat(65536)).ok).toBe(true);
    expect(error(parseValue('value', 'x'.repeat(65537)))).toBe('field "value" is 65537 bytes in UTF-8; the limit is 65536 (64 KiB)');
    // é is two bytes: 32,768 of them fit, one more does not
    expect(parseValue('value', 'é'.repeat(32768)).ok).toBe(true);
    expect(error(parseValue('expected', 'é'.repeat(32769)))).toBe('field "expected" is 65538 bytes in UTF-8; the limit is 65536 (64 KiB)');
  });
  it('refuses what is missing or not a string', () => {
    expect(error(parseValue('value', undefined))).toBe('field "value" is required (a string)');
    expect(error(parseValue('value', 5))).toBe('field "value" must be a string, got number 5');
    expect(error(parseValue('value', null))).toBe('field "value" must be a string, got null');
    expect(error(parseValue('value', ['a']))).toBe('field "value" must be a string, got an array');
    expect(error(parseValue('value', { a: 1 }))).toBe('field "value" must be a string, got an object');
  });
});

describe('parseContext', () => {
  it('is optional, and sorted like every version vector', () => {
    expect(parseContext(undefined)).toEqual({ ok: true, value: undefined });
    expect(parseContext({ n2: 1, n1: 0 })).toEqual({ ok: true, value: { n1: 0, n2: 1 } });
    expect(JSON.stringify((parseContext({ n2: 1, n1: 3 }) as { value: unknown }).value)).toBe('{"n1":3,"n2":1}');
  });
  it('refuses what is not a version vector, with the vector check\'s own words', () => {
    expect(error(parseContext(null))).toBe('field "context": a version vector must be an object of node id -> counter; send back the context a read returned');
    expect(error(parseContext({ n1: -1 }))).toBe('field "context": the counter for node "n1" must be a whole number >= 0; send back the context a read returned');
  });
  it('refuses node ids that are not node names, and too many of them', () => {
    expect(error(parseContext({ N1: 1 }))).toBe('field "context" names "N1", which is not a node name ([a-z0-9-], 1 to 32 characters)');
    expect(error(parseContext({ n1: 1, ['Z'.repeat(50)]: 1 }))).toBe(`field "context" names "${'Z'.repeat(40)}", which is not a node name ([a-z0-9-], 1 to 32 characters)`);
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`n${i}`, 1]));
    expect(parseContext(many(64)).ok).toBe(true);
    expect(error(parseContext(many(65)))).toBe('field "context" names 65 nodes; the limit is 64');
  });
});

describe('parseClientRequest', () => {
  it('builds each operation', () => {
    expect(parseClientRequest('r1', input({}))).toEqual({ ok: true, value: { id: 'r1', op: 'get', key: 'k', consistency: 'strong' } });
    expect(parseClientRequest('r2', input({ op: 'get', query: [['consistency', 'eventual']] }))).toEqual({
      ok: true,
      value: { id: 'r2', op: 'get', key: 'k', consistency: 'eventual' },
    });
    expect(parseClientRequest('r3', input({ op: 'put', body: '{"value":"v"}' }))).toEqual({
      ok: true,
      value: { id: 'r3', op: 'put', key: 'k', consistency: 'strong', value: 'v' },
    });
    expect(parseClientRequest('r4', input({ op: 'put', query: [['consistency', 'eventual']], body: '{"value":"v","context":{"n1":2}}' }))).toEqual({
      ok: true,
      value: { id: 'r4', op: 'put', key: 'k', consistency: 'eventual', value: 'v', context: { n1: 2 } },
    });
    expect(parseClientRequest('r5', input({ op: 'delete' }))).toEqual({ ok: true, value: { id: 'r5', op: 'delete', key: 'k', consistency: 'strong' } });
    expect(parseClientRequest('r6', input({ op: 'delete', body: '{"context":{"n3":1}}' }))).toEqual({
      ok: true,
      value: { id: 'r6', op: 'delete', key: 'k', consistency: 'strong', context: { n3: 1 } },
    });
    expect(parseClientRequest('r7', input({ op: 'cas', body: '{"expected":null,"value":"v"}' }))).toEqual({
      ok: true,
      value: { id: 'r7', op: 'cas', key: 'k', consistency: 'strong', expected: null, value: 'v' },
    });
    expect(parseClientRequest('r8', input({ op: 'cas', query: [['consistency', 'strong']], body: '{"expected":"a","value":"b"}' }))).toEqual({
      ok: true,
      value: { id: 'r8', op: 'cas', key: 'k', consistency: 'strong', expected: 'a', value: 'b' },
    });
  });
  it('a request without a context carries no context field at all', () => {
    const put = parseClientRequest('r', input({ op: 'put', body: '{"value":"v"}' }));
    expect(put.ok && 'context' in put.value).toBe(false);
  });
  it('checks the key, then the query, then the body, then the fields', () => {
    expect(error(parseClientRequest('r', input({ key: '', query: [['x', '1']], body: '[' })))).toBe('the key is empty; use /kv/<key> with 1 to 200 characters');
    expect(error(parseClientRequest('r', input({ query: [['x', '1']], body: '[' })))).toBe('unknown query parameter "x"; the only one is "consistency"');
    expect(error(parseClientRequest('r', input({ op: 'put', body: '[' })))).toMatch(/^the body is not valid JSON/);
    expect(error(parseClientRequest('r', input({ op: 'put', body: '{"value":1,"context":5}' })))).toBe(
      'field "context": a version vector must be an object of node id -> counter; send back the context a read returned',
    );
    expect(error(parseClientRequest('r', input({ op: 'delete', body: '{"context":[]}' })))).toBe(
      'field "context": a version vector must be an object of node id -> counter; send back the context a read returned',
    );
  });
  it('a put needs a string value', () => {
    expect(error(parseClientRequest('r', input({ op: 'put' })))).toBe('field "value" is required (a string)');
    expect(error(parseClientRequest('r', input({ op: 'put', body: '{"value":null}' })))).toBe('field "value" must be a string, got null');
  });
  it('compare-and-set is strong only, and needs both fields', () => {
    expect(error(parseClientRequest('r', input({ op: 'cas', query: [['consistency', 'eventual']], body: '{"expected":null,"value":"v"}' })))).toBe(
      'compare-and-set needs consistency=strong: only a leader can compare and set in one step',
    );
    expect(error(parseClientRequest('r', input({ op: 'cas', body: '{"value":"v"}' })))).toBe(
      'field "expected" is required: the value you expect, or null for "the key must not exist"',
    );
    expect(error(parseClientRequest('r', input({ op: 'cas', body: '{"expected":3,"value":"v"}' })))).toBe('field "expected" must be a string, got number 3');
    expect(error(parseClientRequest('r', input({ op: 'cas', body: '{"expected":"a"}' })))).toBe('field "value" is required (a string)');
    expect(error(parseClientRequest('r', input({ op: 'cas', body: '{"expected":null,"value":false}' })))).toBe('field "value" must be a string, got boolean false');
  });
  it('never throws, whatever arrives (property)', () => {
    const op = fc.constantFrom('get', 'put', 'delete', 'cas') as fc.Arbitrary<ClientInput['op']>;
    const query = fc.array(fc.tuple(fc.constantFrom('consistency', 'x', ''), fc.constantFrom('strong', 'eventual', 'all', '')), { maxLength: 3 });
    const body = fc.oneof(fc.string(), fc.json(), fc.record({ value: fc.anything(), context: fc.anything(), expected: fc.anything() }, { requiredKeys: [] }).map((o) => JSON.stringify(o) ?? ''));
    fc.assert(
      fc.property(op, fc.string(), query, body, (o, key, q, b) => {
        const result = parseClientRequest('id', { op: o, key, query: q, body: b });
        if (result.ok) expect(result.value.op).toBe(o);
        else expect(result.error.length).toBeGreaterThan(0);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------

const stored: Stored<string> = {
  siblings: [
    { dot: { node: 'n1', counter: 1 }, value: 'a', deleted: false, timestamp: 5 },
    { dot: { node: 'n2', counter: 1 }, value: null, deleted: true, timestamp: 6.5 },
  ],
  context: { n1: 1, n2: 1 },
};
const strong = { term: 2, seq: 1, value: 'a' };
const deleted = { term: 0, seq: 0, value: null };
const base = { from: 'n1', to: 'n2' };

/** One well-formed message of every type. */
const samples: PeerMessage[] = [
  { type: 'heartbeat', ...base, group: 'g', term: 0, round: 0 },
  { type: 'heartbeat-ok', ...base, group: 'g', term: 1, round: 3 },
  { type: 'vote-request', ...base, group: 'g', term: 1 },
  { type: 'vote', ...base, group: 'g', term: 1, granted: true, data: { k: strong } },
  { type: 'vote', ...base, group: 'g', term: 1, granted: false, data: null },
  { type: 'sync', ...base, group: 'g', term: 1, data: { k: strong, j: deleted } },
  { type: 'sync-ok', ...base, group: 'g', term: 1 },
  { type: 'replicate', ...base, group: 'g', term: 1, key: 'k', write: strong },
  { type: 'replicate-ok', ...base, group: 'g', term: 1, key: 'k', seq: 0 },
  { type: 'stale', ...base, group: 'g', term: 4 },
  { type: 'gossip', ...base, key: 'k', stored },
  { type: 'digest', ...base, group: 'g', digest: -1.5 },
  { type: 'exchange', ...base, group: 'g', data: {}, reply: false },
  { type: 'handoff', ...base, data: { k: stored }, strong: { k: strong, j: deleted } },
  { type: 'handoff-ok', ...base, contexts: { k: { n1: 1 }, j: {} }, versions: { k: { term: 1, seq: 0 } } },
];

const batch = (...messages: unknown[]) => ({ from: 'n1', messages });
const peerError = (message: unknown) => error(parsePeerBatch(batch(message)));
const withField = (i: number, field: string, value: unknown) => ({ ...samples[i]!, [field]: value });

describe('parsePeerBatch', () => {
  it('accepts every message type the core sends', () => {
    expect(parsePeerBatch(batch(...samples))).toEqual({ ok: true, value: { from: 'n1', messages: samples } });
    expect(parsePeerBatch(batch())).toEqual({ ok: true, value: { from: 'n1', messages: [] } });
  });
  it('refuses an envelope that is not {from, messages}', () => {
    expect(error(parsePeerBatch(null))).toBe('batch must be an object');
    expect(error(parsePeerBatch([]))).toBe('batch must be an object');
    expect(error(parsePeerBatch({ from: 'n1' }))).toBe('batch.messages must be an array');
    expect(error(parsePeerBatch({ from: 'n1', messages: {} }))).toBe('batch.messages must be an array');
    expect(error(parsePeerBatch({ messages: [] }))).toBe('batch.from must be a node name');
    expect(error(parsePeerBatch({ from: 'N 1', messages: [] }))).toBe('batch.from must be a node name');
    expect(error(parsePeerBatch({ from: 'n1', messages: [], extra: 1 }))).toBe('batch has an unknown field "extra"');
  });
  it('refuses too many messages in one batch', () => {
    const heartbeat = samples[0]!;
    expect(parsePeerBatch(batch(...Array.from({ length: MAX_PEER_MESSAGES }, () => heartbeat))).ok).toBe(true);
    expect(error(parsePeerBatch(batch(...Array.from({ length: MAX_PEER_MESSAGES + 1 }, () => heartbeat))))).toBe(
      'batch.messages holds 10001 messages; the limit is 10000',
    );
  });
  it('refuses messages of unknown type or shape, naming the place', () => {
    expect(peerError(5)).toBe('batch.messages[0] must be an object');
    expect(peerError(null)).toBe('batch.messages[0] must be an object');
    expect(peerError({})).toBe('batch.messages[0].type is not a message type');
    expect(peerError({ type: 7 })).toBe('batch.messages[0].type is not a message type');
    expect(peerError({ type: 'toString' })).toBe('batch.messages[0].type is not a message type');
    expect(peerError({ ...samples[0], type: ['heartbeat'] })).toBe('batch.messages[0].type is not a message type');
    expect(error(parsePeerBatch(batch(samples[0], { type: 'x' })))).toBe('batch.messages[1].type is not a message type');
    expect(peerError({ ...samples[0], extra: true })).toBe('batch.messages[0] has an unknown field "extra"');
    expect(peerError({ ...samples[0], ['e'.repeat(50)]: true })).toBe(`batch.messages[0] has an unknown field "${'e'.repeat(40)}"`);
    expect(peerError({ ...samples[0], from: 'n3' })).toBe('batch.messages[0].from is "n3", but the batch is from "n1"');
    expect(peerError({ ...samples[0], to: 'N2' })).toBe('batch.messages[0].to must be a node name');
    expect(peerError({ ...samples[0], from: undefined })).toBe('batch.messages[0].from must be a node name');
  });
  it('checks every field of every type', () => {
    const cases: [number, string, unknown, string][] = [
      [0, 'group', 1, 'batch.messages[0].group must be a string'],
      [0, 'term', -1, 'batch.messages[0].term must be a whole number >= 0'],
      [0, 'term', 1.5, 'batch.messages[0].term must be a whole number >= 0'],
      [0, 'term', '1', 'batch.messages[0].term must be a whole number >= 0'],
      [0, 'round', 2 ** 53, 'batch.messages[0].round must be a whole number >= 0'],
      [1, 'round', null, 'batch.messages[0].round must be a whole number >= 0'],
      [1, 'group', null, 'batch.messages[0].group must be a string'],
      [2, 'term', undefined, 'batch.messages[0].term must be a whole number >= 0'],
      [2, 'group', undefined, 'batch.messages[0].group must be a string'],
      [3, 'granted', 'yes', 'batch.messages[0].granted must be true or false'],
      [3, 'data', 5, 'batch.messages[0].data must be an object'],
      [3, 'data', { k: strong, j: 1 }, 'batch.messages[0].data["j"] must be an object'],
      [3, 'data', { k: { ...strong, term: -2 } }, 'batch.messages[0].data["k"].term must be a whole number >= 0'],
      [3, 'term', 'x', 'batch.messages[0].term must be a whole number >= 0'],
      [3, 'group', 2, 'batch.messages[0].group must be a string'],
      [5, 'data', [], 'batch.messages[0].data must be an object'],
      [5, 'data', { k: { ...strong, seq: 0.5 } }, 'batch.messages[0].data["k"].seq must be a whole number >= 0'],
      [5, 'data', { k: { ...strong, value: 3 } }, 'batch.messages[0].data["k"].value must be a string'],
      [5, 'data', { k: { term: 1, seq: 1 } }, 'batch.messages[0].data["k"].value must be a string'],
      [5, 'data', { k: { ...strong, x: 1 } }, 'batch.messages[0].data["k"] has an unknown field "x"'],
      [5, 'term', null, 'batch.messages[0].term must be a whole number >= 0'],
      [5, 'group', null, 'batch.messages[0].group must be a string'],
      [6, 'term', -3, 'batch.messages[0].term must be a whole number >= 0'],
      [6, 'group', [], 'batch.messages[0].group must be a string'],
      [7, 'key', 1, 'batch.messages[0].key must be a string'],
      [7, 'write', null, 'batch.messages[0].write must be an object'],
      [7, 'write', { term: 1, value: 'v' }, 'batch.messages[0].write.seq must be a whole number >= 0'],
      [7, 'term', 'x', 'batch.messages[0].term must be a whole number >= 0'],
      [7, 'group', 0, 'batch.messages[0].group must be a string'],
      [8, 'seq', -1, 'batch.messages[0].seq must be a whole number >= 0'],
      [8, 'key', null, 'batch.messages[0].key must be a string'],
      [8, 'term', null, 'batch.messages[0].term must be a whole number >= 0'],
      [8, 'group', null, 'batch.messages[0].group must be a string'],
      [9, 'term', null, 'batch.messages[0].term must be a whole number >= 0'],
      [9, 'group', null, 'batch.messages[0].group must be a string'],
      [10, 'key', null, 'batch.messages[0].key must be a string'],
      [10, 'stored', { siblings: {}, context: {} }, 'batch.messages[0].stored.siblings must be an array'],
      [10, 'stored', { siblings: [], context: [] }, 'batch.messages[0].stored.context: a version vector must be an object of node id -> counter'],
      [10, 'stored', { siblings: [] }, 'batch.messages[0].stored.context: a version vector must be an object of node id -> counter'],
      [10, 'stored', { siblings: [{ ...stored.siblings[0], value: 1 }], context: {} }, 'batch.messages[0].stored.siblings[0].value must be a string'],
      [10, 'stored', { siblings: [stored.siblings[0], { ...stored.siblings[0], deleted: 0 }], context: {} }, 'batch.messages[0].stored.siblings[1].deleted must be true or false'],
      [10, 'stored', { siblings: [{ ...stored.siblings[0], timestamp: Infinity }], context: {} }, 'batch.messages[0].stored.siblings[0].timestamp must be a number'],
      [10, 'stored', { siblings: [{ ...stored.siblings[0], timestamp: '5' }], context: {} }, 'batch.messages[0].stored.siblings[0].timestamp must be a number'],
      [10, 'stored', { siblings: [{ ...stored.siblings[0], dot: null }], context: {} }, 'batch.messages[0].stored.siblings[0].dot must be an object'],
      [10, 'stored', { siblings: [{ ...stored.siblings[0], dot: { node: 'n1' } }], context: {} }, 'batch.messages[0].stored.siblings[0].dot.counter must be a whole number >= 0'],
      [10, 'stored', { siblings: [{ ...stored.siblings[0], dot: { node: '', counter: 1 } }], context: {} }, 'batch.messages[0].stored.siblings[0].dot.node must be a node name'],
      [10, 'stored', { siblings: [7], context: {} }, 'batch.messages[0].stored.siblings[0] must be an object'],
      [11, 'digest', '5', 'batch.messages[0].digest must be a number'],
      [11, 'digest', NaN, 'batch.messages[0].digest must be a number'],
      [11, 'group', null, 'batch.messages[0].group must be a string'],
      [12, 'reply', null, 'batch.messages[0].reply must be true or false'],
      [12, 'data', null, 'batch.messages[0].data must be an object'],
      [12, 'data', { k: { siblings: [], context: {}, x: 1 } }, 'batch.messages[0].data["k"] has an unknown field "x"'],
      [12, 'group', null, 'batch.messages[0].group must be a string'],
      [13, 'data', { k: null }, 'batch.messages[0].data["k"] must be an object'],
      [13, 'data', { k: stored, j: null }, 'batch.messages[0].data["j"] must be an object'],
      [13, 'data', { ['q'.repeat(50)]: null }, `batch.messages[0].data["${'q'.repeat(40)}"] must be an object`],
      [13, 'strong', { k: { ...strong, value: false } }, 'batch.messages[0].strong["k"].value must be a string'],
      [13, 'strong', null, 'batch.messages[0].strong must be an object'],
      [14, 'contexts', { k: { n1: -1 } }, 'batch.messages[0].contexts["k"]: the counter for node "n1" must be a whole number >= 0'],
      [14, 'contexts', [], 'batch.messages[0].contexts must be an object'],
      [14, 'versions', { k: { term: 1 } }, 'batch.messages[0].versions["k"].seq must be a whole number >= 0'],
      [14, 'versions', { k: { term: 1, seq: 1, value: 'v' } }, 'batch.messages[0].versions["k"] has an unknown field "value"'],
      [14, 'versions', 'x', 'batch.messages[0].versions must be an object'],
    ];
    for (const [i, field, value, message] of cases) {
      expect(peerError(withField(i, field, value)), `${samples[i]!.type}.${field} = ${JSON.stringify(value)}`).toBe(message);
    }
  });
  it('refuses a missing field of every type', () => {
    for (const sample of samples) {
      for (const field of Object.keys(sample).filter((f) => f !== 'type' && f !== 'from' && f !== 'to')) {
        const { [field]: _gone, ...rest } = sample as unknown as Record<string, unknown>;
        expect(parsePeerBatch(batch(rest)).ok, `${sample.type} without ${field}`).toBe(false);
      }
    }
  });
  it('never throws, whatever arrives (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(typeof parsePeerBatch(value).ok).toBe('boolean');
        expect(typeof parsePeerBatch(batch(value)).ok).toBe('boolean');
        expect(typeof parsePeerBatch(batch({ ...samples[3], data: value })).ok).toBe('boolean');
        expect(typeof parsePeerBatch(batch({ ...samples[10], stored: value })).ok).toBe('boolean');
      }),
    );
  });
});
