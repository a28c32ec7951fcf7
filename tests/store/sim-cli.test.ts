// `npm run sim:store -- --seed N` runs the CLI as a real process: its timeline must equal formatEvent over the
// world for the same seed and script, its summary must carry the checks' verdicts, and bad arguments, a
// closed pipe and Ctrl-C must end it the way the brief says (2, quietly 0, 130).
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chaosEnd, chaosScript } from '../../examples/store/sim/chaos.ts';
import { createWorld, encodeScript, formatEvent, parseScript, runUntil, timeline } from '../../examples/store/sim/world.ts';

const root = resolve(import.meta.dirname, '../..');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/store/sim/cli.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npm run sim:store', () => {
  it('prints a header with the replay command, every formatEvent line of the run, and a summary with the verdicts', () => {
    const { code, out, err } = cli('--seed', '4');
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    const script = chaosScript(4, 'strong');
    expect(lines[0]).toBe(`store simulation: seed 4, scenario chaos-strong; replay it with: npm run sim:store -- --seed 4 --script "${encodeScript(script)}"`);
    const world = createWorld({ seed: 4, script });
    runUntil(world, chaosEnd('strong'));
    const events = timeline(world).map(formatEvent);
    expect(lines.slice(1, 1 + events.length)).toEqual(events);
    const summary = lines.slice(1 + events.length).join('\n');
    expect(summary).toMatch(/^summary at 36\.000 s:\n {2}leaders: n1\+n2\+n3 n\d \(term \d+\)/);
    expect(summary).toMatch(/keys per node: n1 \d, n2 \d, n3 \d, n4 \d, n5 \d|keys per node: .*down/);
    expect(summary).toContain('one leader acknowledging writes per group and term: ok');
    expect(summary).toContain('no acknowledged strong write lost (final reads): ok');
    expect(summary).toMatch(/strong operations linearizable: yes \(\d+ operations\)/);
  });

  it('replays a --script given as text, and the eventual chaos scenario checks convergence', () => {
    const text = '2500:put:n1:strong:k1:blue,4000:partition:n1.n2/n3.n4.n5,7000:put:n1:strong:k1:red,9000:heal';
    const { code, out } = cli('--seed', '9', '--script', text);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toContain(`--seed 9 --script "${text}"`);
    const world = createWorld({ seed: 9, script: parseScript(text) });
    runUntil(world, 19_000);
    expect(lines.slice(1, 1 + world.events.length)).toEqual(timeline(world).map(formatEvent));
    expect(out).toMatch(/put k1=red \(strong\) at n1: refused, not applied: n1: no-leader/);
    const eventual = cli('--seed', '2', '--scenario', 'chaos-eventual');
    expect(eventual.code).toBe(0);
    expect(eventual.out).toContain('replicas converged after heal: ok');
  });

  it.each([
    [['--seed', 'seven'], '--seed must be a whole number'],
    [['--scenario', 'chaos'], 'unknown scenario "chaos"'],
    [['--script', '100:explode'], 'unknown action "explode"'],
    [['--script', '100:crash:n9'], 'there is no node n9'],
    [['--script', '1:heal', '--scenario', 'partition-tour'], 'give either --scenario or --script'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
  ])('bad arguments %j: one sentence, the usage, exit code 2', (args, message) => {
    const { code, out, err } = cli(...args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')[0]).toMatch(new RegExp(`^error: .*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\.$`));
    expect(err).toContain('usage: npm run sim:store');
  });

  it('stops quietly when the reader of its output goes away (| head -3)', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" --import tsx examples/store/sim/cli.ts --seed 3 | head -3`], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(r.stderr).toBe('');
  });

  it('Ctrl-C (SIGINT) ends it with exit code 130', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/store/sim/cli.ts', '--seed', '1', '--scenario', 'chaos-eventual', '--until', '100000000'], { cwd: root });
    await new Promise<void>((done) => child.stdout.once('data', () => done()));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code).toBe(130);
  });

  it('--help prints the usage and exits 0', () => {
    const { code, out } = cli('--help');
    expect(code).toBe(0);
    expect(out).toContain('usage: npm run sim:store');
    expect(out).toContain('chaos-strong (default)');
  });
});
