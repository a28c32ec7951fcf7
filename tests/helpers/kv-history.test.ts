// Tests for the history file format: what a valid line is, the exact error for each kind of bad line (so a
// chaos run with a broken writer says what to fix), and that writing then reading gives the same history.
import { describe, expect, it } from 'vitest';
import { formatHistory, parseHistory, validateOperation, type KvOperation } from './kv-history.ts';

const good: KvOperation[] = [
  { client: 1, op: 'put', key: 'k', value: 'a', output: 'ok', call: 0, return: 10 },
  { client: 'c2', op: 'get', key: 'k', output: 'a', call: 12, return: 15 },
  { client: 3, op: 'get', key: 'k', output: null, call: 1, return: 1 },
  { client: 3, op: 'delete', key: 'k', call: 20, return: null },
  { client: 4, op: 'cas', key: 'k', expected: null, value: 'b', output: false, call: 30, return: 35 },
  { client: 4, op: 'cas', key: 'k', expected: 'a', value: 'b', call: 40, return: null },
  { client: 5, op: 'put', key: 'k', value: 'z', call: 50, return: 51, error: 'minority side: no quorum' },
];

describe('parseHistory', () => {
  it('reads one operation per line, skipping blank lines, and round-trips formatHistory', () => {
    const text = formatHistory(good);
    expect(text.split('\n')).toHaveLength(good.length + 1);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseHistory(text)).toEqual(good);
    expect(parseHistory('\n' + text.replace(/\n/g, '\n  \n') + '\n')).toEqual(good);
    expect(parseHistory('')).toEqual([]);
  });

  it('accepts the fields a writer fills with null, and extra fields', () => {
    const line = '{"client":1,"op":"get","key":"k","value":null,"expected":null,"output":"a","call":1,"return":2,"node":"n3"}';
    expect(parseHistory(line)).toEqual([{ client: 1, op: 'get', key: 'k', value: null, expected: null, output: 'a', call: 1, return: 2, node: 'n3' }]);
    expect(parseHistory('{"client":1,"op":"put","key":"k","value":"v","output":{"ok":true},"call":1,"return":2}')).toHaveLength(1);
    expect(parseHistory('{"client":1,"op":"delete","key":"k","call":1,"return":null,"output":null}')).toHaveLength(1);
  });

  it('names the file and line of a line that is not JSON', () => {
    expect(() => parseHistory('{"client":1}\n\n{oops', 'run.jsonl')).toThrow(/^run\.jsonl line 1: "op" must be one of put, get, delete, cas, got nothing$/);
    expect(() => parseHistory(formatHistory(good.slice(0, 2)) + '\n{oops', 'run.jsonl')).toThrow(/^run\.jsonl line 4: not valid JSON \(.+\)$/);
    expect(() => parseHistory('[1]')).toThrow(/^history line 1: an operation must be a JSON object$/);
  });
});

describe('validateOperation: one exact message per mistake', () => {
  const base = { client: 1, op: 'get', key: 'k', output: 'a', call: 5, return: 9 };
  const cases: [string, unknown, string][] = [
    ['not an object', 'put', 'an operation must be a JSON object'],
    ['null', null, 'an operation must be a JSON object'],
    ['client', { ...base, client: true }, '"client" must be a string or a number, got true'],
    ['client null', { ...base, client: null }, '"client" must be a string or a number, got null'],
    ['op', { ...base, op: 'append' }, '"op" must be one of put, get, delete, cas, got "append"'],
    ['op not a string', { ...base, op: 3 }, '"op" must be one of put, get, delete, cas, got 3'],
    ['key', { ...base, key: 7 }, '"key" must be a string, got 7'],
    ['call', { ...base, call: '5' }, '"call" must be a number (milliseconds), got "5"'],
    ['call missing', { ...base, call: undefined }, '"call" must be a number (milliseconds), got nothing'],
    ['return missing', { ...base, return: undefined }, '"return" must be a number (milliseconds) or null (outcome unknown), got nothing'],
    ['return before call', { ...base, return: 4 }, '"return" (4) is before "call" (5)'],
    ['error', { ...base, error: 500 }, '"error" must be a string when present, got 500'],
    ['put value', { ...base, op: 'put', value: null }, 'a put needs "value", a string, got null'],
    ['cas value', { ...base, op: 'cas', expected: 'a', output: true }, 'a cas needs "value", a string, got nothing'],
    ['get value', { ...base, value: 'v' }, 'a get takes no "value", got "v"'],
    ['delete value', { ...base, op: 'delete', value: 'v' }, 'a delete takes no "value", got "v"'],
    ['cas expected', { ...base, op: 'cas', value: 'b', output: true }, 'a cas needs "expected", a string or null (key absent), got nothing'],
    ['put expected', { ...base, op: 'put', value: 'b', expected: 'a' }, 'a put takes no "expected", got "a"'],
    ['unknown with output', { ...base, return: null }, 'an operation with unknown outcome ("return": null) cannot have an "output", got "a"'],
    ['get output', { ...base, output: undefined }, 'a get that returned needs "output": the value read, or null when the key was absent; got nothing'],
    ['get output number', { ...base, output: 1 }, 'a get that returned needs "output": the value read, or null when the key was absent; got 1'],
    ['cas output', { ...base, op: 'cas', expected: 'a', value: 'b', output: 'true' }, 'a cas that returned needs "output": true (swapped) or false (not swapped), got "true"'],
  ];
  it.each(cases)('%s', (_name, raw, message) => {
    expect(() => validateOperation(raw, 'line 9')).toThrow(new Error(`line 9: ${message}`));
  });

  it('accepts infinity nowhere', () => {
    expect(() => validateOperation({ ...base, call: Infinity }, 'x')).toThrow('x: "call" must be a number (milliseconds), got Infinity');
    expect(() => validateOperation({ ...base, return: NaN }, 'x')).toThrow('x: "return" must be a number (milliseconds) or null (outcome unknown), got NaN');
    expect(() => validateOperation({ ...base, client: NaN }, 'x')).toThrow('x: "client" must be a string or a number, got NaN');
  });

  it('returns the operation itself, and ignores the output of a refused operation or a put', () => {
    const refused = { ...base, output: 17, error: 'refused' };
    expect(validateOperation(refused, 'x')).toBe(refused);
    const equalTimes = { ...base, call: 5, return: 5 };
    expect(validateOperation(equalTimes, 'x')).toBe(equalTimes);
    expect(validateOperation({ ...base, op: 'put', value: 'v', output: 17 }, 'x')).toMatchObject({ output: 17 });
    expect(validateOperation({ ...base, op: 'cas', expected: null, value: 'v', output: false }, 'x')).toMatchObject({ output: false });
  });
});
