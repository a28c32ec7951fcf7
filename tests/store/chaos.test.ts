// `npm run chaos:store` (examples/store/node/chaos.ts) against real processes: a short seeded run writes a
// history in the documented JSONL format, and its strong operations are linearizable. The same command's
// --check mode must say NOT linearizable (exit 1) when one answer in that history is changed, so the verdict
// above can fail; bad arguments exit 2.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseHistory } from '../helpers/kv-history.ts';
import { checkHistory } from '../helpers/linearizability.ts';
import { makeTempDir, startCommand, stopAll } from '../helpers/processes.ts';
import { clip, parseArgs } from '../../examples/store/node/chaos.ts';

const CHAOS = 'examples/store/node/chaos.ts';
const chaos = (args: string[], name = 'chaos') => startCommand(process.execPath, ['--import', 'tsx', CHAOS, ...args], {}, name);

afterEach(() => stopAll());

it('a 20 s seeded run against five real nodes writes a valid history that is linearizable', async () => {
  const out = path.join(makeTempDir('store-chaos-test-'), 'history.jsonl');
  const run = chaos(['--seed', '7', '--out', out, '--duration', '20']);
  const exit = await run.exited;
  const text = run.lines.join('\n');
  // 'unknown' (the checker's budget ran out) is not a pass: it exits 3 and this test fails, saying so.
  expect(text, 'the checker gave up: see the output').not.toMatch(/verdict: UNKNOWN/);
  expect(exit, text.slice(-3000)).toEqual({ code: 0, signal: null });
  expect(text).toMatch(/verdict: LINEARIZABLE/);
  expect(text).toContain(`re-run this experiment: npm run chaos:store -- --seed 7 --out ${out} --duration 20`);
  expect(text).toContain('this takes about 35 s: starting the nodes, 20 s of clients and faults, then checking the history');
  expect(text).toContain(`in ${out}, "call" and "return" are milliseconds since the clients started`);
  // The seeded schedule really did things to the cluster.
  expect(text).toMatch(/kill -9 n\d \(pid \d+\)/);
  expect(text).toMatch(/partition n[\d,]+ \| n[\d,]+|restart n\d on its disk/);

  const history = parseHistory(fs.readFileSync(out, 'utf8'), out); // throws naming the line if malformed
  const answered = history.filter((h) => h.return !== null && h.error === undefined);
  expect(answered.filter((h) => h.op === 'put').length).toBeGreaterThan(0);
  expect(answered.filter((h) => h.op === 'get' && typeof h.output === 'string').length).toBeGreaterThan(0);
  expect(history.some((h) => h.error !== undefined)).toBe(true); // refusals while nodes were down or cut off
  expect(new Set(history.map((h) => h.op))).toEqual(new Set(['put', 'get', 'delete', 'cas']));
  expect(checkHistory(history, { timeoutMs: 60_000 }).verdict).toBe('linearizable');

  // Change one read's answer to a value nobody wrote: --check must now find the history not linearizable.
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
  const i = lines.findIndex((l) => {
    const o = JSON.parse(l) as { op: string; output?: unknown; return: unknown; error?: string };
    return o.op === 'get' && typeof o.output === 'string' && o.return !== null && o.error === undefined;
  });
  const broken = path.join(path.dirname(out), 'broken.jsonl');
  lines[i] = JSON.stringify({ ...JSON.parse(lines[i]!), output: 'never-written' });
  fs.writeFileSync(broken, lines.join('\n') + '\n');
  const check = chaos(['--check', broken], 'chaos --check');
  expect(await check.exited).toEqual({ code: 1, signal: null });
  expect(check.lines.join('\n')).toMatch(/verdict: NOT LINEARIZABLE/);
  expect(check.lines.join('\n')).toContain('never-written');
}, 120_000);

it('messages in the history are shortened at a word, never inside one, and marked', () => {
  const error = '503 unreachable n1 cannot reach n3, n4, n5, the leader of group n3+n4+n5: n3 did not answer (ECONNREFUSED); n4 did not answer (ECONNREFUSED); nothing was changed';
  const short = clip(error, 100);
  expect(short.length).toBeLessThanOrEqual(106);
  expect(short.endsWith(' [...]')).toBe(true);
  expect(error.startsWith(short.slice(0, -' [...]'.length))).toBe(true);
  expect(error[short.length - ' [...]'.length]).toMatch(/[ ,;:(]/); // the cut falls between words
  expect(clip(' 400  bad\n input ', 100)).toBe('400 bad input'); // short: only whitespace folded
  expect(parseArgs(['--help'])).toEqual({ help: true });
  expect(parseArgs(['--seed', '1', '-h'])).toEqual({ help: true });
});

it('--help prints the usage and exits 0; Ctrl-C stops the nodes and removes the run\'s data folder', async () => {
  for (const flag of ['--help', '-h']) {
    const help = chaos([flag], `chaos ${flag}`);
    expect(await help.exited).toEqual({ code: 0, signal: null });
    expect(help.lines[0]).toMatch(/^usage: npm run chaos:store -- --seed N --out history.jsonl/);
    expect(help.lines.join('\n')).not.toContain('unknown argument');
  }
  const out = path.join(makeTempDir('store-chaos-test-'), 'history.jsonl');
  const run = chaos(['--seed', '3', '--out', out]);
  expect((await run.waitForLine(/this takes about (\d+) s/, 60_000))[1]).toBe('45'); // the default 30 s, plus start and check
  const dir = (await run.waitForLine(/data and logs in (\S+)$/, 60_000))[1]!;
  await run.waitForLine(/all five nodes answer; clients start/, 60_000);
  expect(fs.existsSync(dir)).toBe(true);
  expect(await run.kill('SIGINT')).toEqual({ code: 130, signal: null });
  expect(run.lines.join('\n')).toContain(`removed the nodes' data and logs (${dir}); no history was written (--keep keeps them)`);
  expect(fs.existsSync(dir)).toBe(false);
}, 120_000);

it('bad arguments exit 2 with the usage', async () => {
  for (const args of [[], ['--seed', 'x', '--out', 'h.jsonl'], ['--seed', '1'], ['--seed', '1', '--out', 'h', '--duration', '5'], ['--bogus']]) {
    const p = chaos(args, `chaos ${args.join(' ')}`);
    expect(await p.exited, args.join(' ')).toEqual({ code: 2, signal: null });
    expect(p.lines.join('\n')).toContain('usage: npm run chaos:store -- --seed N --out history.jsonl');
  }
}, 60_000);
