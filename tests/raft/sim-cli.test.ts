// `npm run sim:raft` as a real process: it prints a timeline, the final status per node, the invariants' and
// linearizability's verdicts and a replay line; running the printed replay line gives the same output; bad
// arguments exit 2 with a sentence and the usage.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../examples/raft/sim/chaos.ts';
import { formatEvent } from '../../examples/raft/sim/world.ts';

const root = resolve(import.meta.dirname, '../..');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/raft/sim/cli.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The arguments of the printed `replay: npm run sim:raft -- …` line. */
function replayArgs(out: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith('replay: npm run sim:raft -- '));
  expect(line, 'a replay line').toBeDefined();
  return line!.slice('replay: npm run sim:raft -- '.length).split(' ');
}

describe('npm run sim:raft', () => {
  it('prints the timeline, status per node and verdicts; the replay line gives the same output', () => {
    const first = cli(['--ticks', '1500', '--seed', '4', '--loss', '0.1', '--dup', '0.05', '--nodes', '3', '--clients', '4']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^raft simulation: seed 4, 1500 ticks\n/);
    expect(first.out).toMatch(/ms {2}n\d is leader of term \d+/);
    expect(first.out).toMatch(/status at 1500 ms:\n {2}n1 .*\n {2}n2 .*\n {2}n3 .*\n/);
    expect(first.out).toContain('held after every step');
    expect(first.out).toMatch(/linearizable: yes \(\d+ operations\)/);
    const args = replayArgs(first.out);
    expect(args).toEqual(['--seed', '4', '--nodes', '3', '--loss', '0.1', '--dup', '0.05', '--clients', '4', '--ticks', '1500']);
    const again = cli(args);
    expect(again.out).toBe(first.out);
    expect(again.code).toBe(first.code);
  });

  it('--faults runs the seed\'s fault schedule (the same as runChaos) and checks liveness; its replay line gives the same output', () => {
    const first = cli(['--seed', '6', '--faults', '--ticks', '1500']);
    expect(first.code).toBe(0);
    const run = runChaos({ seed: 6, ticks: 1500 });
    const lines = first.out.split('\n');
    expect(lines.slice(1, 1 + run.world.events.length)).toEqual(run.world.events.map(formatEvent));
    expect(first.out).toMatch(/liveness: live again \d+ ticks after healing/);
    expect(first.out).toMatch(/ms {2}(n\d crashes|partition|link)/);
    const again = cli(replayArgs(first.out));
    expect(again.out).toBe(first.out);
  });

  it('--scenario figure8 prints each step with its caption; index 2 ends with term 3', () => {
    const { code, out } = cli(['--scenario', 'figure8']);
    expect(code).toBe(0);
    for (const label of ['start', '(a)', '(b)', '(c)', '(d)']) expect(out).toContain(`\n${label} at `);
    expect(out).toContain('index 2 was committed with term 3');
    expect(cli(replayArgs(out)).out).toBe(out);
  });

  it('a safety violation: the timeline up to it, SAFETY VIOLATED with the invariant, exit 1; the replay line gives the same', () => {
    // A one-node cluster applies its no-op before its disk has it (tests/raft/sim.core-findings.test.ts).
    const first = cli(['--nodes', '1', '--seed', '2']);
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/ms {2}n1 is leader of term 1\nSAFETY VIOLATED: nothing applied that was not committed violated at tick \d+ \(seed 2\)/);
    const again = cli(replayArgs(first.out));
    expect(again.out).toBe(first.out);
    expect(again.code).toBe(1);
  });

  it('bad arguments: exit 2, one sentence and the usage', () => {
    const r = cli(['--loss', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --loss must be a probability from 0 to 1 \(like 0\.05\), not "2"\.\n\nusage: npm run sim:raft/);
    expect(cli(['--nodes', '0']).err).toMatch(/--nodes must be a whole number from 1 to 9/);
    expect(cli(['--bogus']).code).toBe(2);
  });
});
