// `npm run chaos:raft` (examples/raft/node/chaos.ts) against real processes: a short seeded run (kill -9 of the
// leader, a partition with the leader on the small side, restarts) writes a history in Part II's JSONL format,
// and it is linearizable. The same command's --check mode must say NOT linearizable (exit 1) when one answer in
// that history is changed, so the verdict above can fail; bad arguments exit 2.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseHistory } from '../helpers/kv-history.ts';
import { checkHistory } from '../helpers/linearizability.ts';
import { makeTempDir, startCommand, stopAll } from '../helpers/processes.ts';
import { parseArgs, schedule } from '../../examples/raft/node/chaos.ts';

const CHAOS = 'examples/raft/node/chaos.ts';
const chaos = (args: string[], name = 'chaos:raft') => startCommand(process.execPath, ['--import', 'tsx', CHAOS, ...args], {}, name);

afterEach(() => stopAll());

it('an 18 s seeded run against five real nodes (leader killed, leader cut off) writes a valid history that is linearizable', async () => {
  const out = path.join(makeTempDir('raft-chaos-test-'), 'history.jsonl');
  // Seed 2's schedule kills the leader, cuts the leader and one other node off, restarts and heals (see the
  // schedule test below); the run itself decides which node leads when.
  const run = chaos(['--seed', '2', '--out', out, '--duration', '18']);
  const exit = await run.exited;
  const text = run.lines.join('\n');
  expect(text, 'the checker gave up: see the output').not.toMatch(/verdict: UNKNOWN/);
  expect(exit, text.slice(-3000)).toEqual({ code: 0, signal: null });
  expect(text).toMatch(/verdict: LINEARIZABLE/);
  expect(text).toContain(`re-run this experiment: npm run chaos:raft -- --seed 2 --out ${out} --duration 18`);
  expect(text).toMatch(/^\[\s*[\d.]+ s\] \d+ operations: \d+ answered/m); // progress while it runs
  // The schedule really did things to the cluster, to its leader too.
  expect(text).toMatch(/kill -9 n\d \(the leader\) \(pid \d+\)/);
  expect(text).toMatch(/partition n\d,n\d \| n\d,n\d,n\d/);
  expect(text).toMatch(/restart n\d on its disk/);

  const history = parseHistory(fs.readFileSync(out, 'utf8'), out); // throws naming the line if malformed
  const answered = history.filter((h) => h.return !== null && h.error === undefined);
  expect(new Set(answered.map((h) => h.op))).toEqual(new Set(['put', 'get', 'delete', 'cas']));
  expect(answered.filter((h) => h.op === 'get' && typeof h.output === 'string').length).toBeGreaterThan(0);
  expect(answered.filter((h) => h.op === 'cas' && h.output === true).length).toBeGreaterThan(0);
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
  const check = chaos(['--check', broken], 'chaos:raft --check');
  expect(await check.exited).toEqual({ code: 1, signal: null });
  expect(check.lines.join('\n')).toMatch(/verdict: NOT LINEARIZABLE/);
  expect(check.lines.join('\n')).toContain('never-written');
}, 120_000);

it('the fault schedule comes from the seed alone: the same seed gives the same faults, never more than two nodes down, calm at the end', () => {
  expect(schedule(2, 18_000)).toEqual(schedule(2, 18_000));
  expect(schedule(2, 18_000)).not.toEqual(schedule(3, 18_000));
  const kinds = schedule(2, 18_000).map((f) => (f.kind === 'kill' ? `kill ${f.node}` : f.kind === 'partition' ? `partition ${f.cut}${f.withLeader ? ' with the leader' : ''}` : f.kind));
  expect(kinds).toContain('kill leader');
  expect(kinds).toContain('partition 2 with the leader');
  for (let seed = 0; seed < 200; seed++) {
    const faults = schedule(seed, 30_000);
    let down = 0;
    for (const f of faults) {
      if (f.kind === 'kill') down++;
      if (f.kind === 'restart') down--;
      expect(down, `seed ${seed}`).toBeLessThanOrEqual(2);
      expect(down, `seed ${seed}`).toBeGreaterThanOrEqual(0);
    }
    expect(faults.slice(-2).map((f) => [f.kind, f.at])).toEqual([['heal', 22_500], ['restart-all', 22_500]]);
  }
});

it('bad arguments exit 2 with the usage; --help exits 0', async () => {
  expect(parseArgs(['--seed', '1', '--out', 'h.jsonl'])).toMatchObject({ options: { seed: 1, duration: 30, clients: 4, keys: 3 } });
  expect(parseArgs(['--seed', 'x', '--out', 'h.jsonl'])).toEqual({ error: '--seed must be a whole number from 0 to 4294967295, got "x"' });
  expect(parseArgs(['--seed', '1'])).toEqual({ error: '--out is required (where to write the history)' });
  expect(parseArgs(['--seed', '1', '--out', 'h', '--duration', '5'])).toEqual({ error: '--duration must be a whole number from 10 to 600, got "5"' });
  expect(parseArgs(['--bogus'])).toEqual({ error: 'unknown argument "--bogus"' });
  expect(parseArgs(['--check', 'h', '--seed', '1'])).toEqual({ error: '--check takes no other option' });
  const bad = chaos(['--seed', '1'], 'chaos:raft --seed 1');
  expect(await bad.exited).toEqual({ code: 2, signal: null });
  expect(bad.lines.join('\n')).toContain('usage: npm run chaos:raft -- --seed N --out history.jsonl');
  const help = chaos(['-h'], 'chaos:raft -h');
  expect(await help.exited).toEqual({ code: 0, signal: null });
  expect(help.lines[0]).toMatch(/^usage: npm run chaos:raft -- --seed N --out history.jsonl/);
}, 60_000);
