// The headless simulation prints the same lines as the live example: `npm run sim:queue -- --seed N` runs the
// CLI as a real process here, and its timeline must equal formatEvent over runToEnd for the same seed+script.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeScript, faultTour, formatEvent, parseScript, runToEnd } from '../../examples/queue/sim/world.ts';

const root = resolve(import.meta.dirname, '../..');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/queue/sim/cli.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npm run sim:queue', () => {
  it('prints a header with the replay link, every formatEvent line of runToEnd, and a summary', () => {
    const { code, out, err } = cli('--seed', '5');
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    const script = encodeScript(faultTour);
    expect(lines[0]).toBe(
      `queue simulation: seed 5, scenario fault-tour (${script}); replay it on the page (with \`npm run docs\` running): ` +
        `http://localhost:5173/fundamentals/02-queue-system?example=queue&seed=5&script=${script}`,
    );
    const run = runToEnd({ seed: 5, script: faultTour });
    expect(lines.slice(1, -1)).toEqual(run.timeline.map(formatEvent));
    const s = run.view.broker.stats!;
    expect(lines.at(-1)).toBe(
      `summary: ${s.done} jobs done, ${s.dead} dead (of 12); log ${run.view.broker.logLength} commands; 1 broker restart; ` +
        `${run.timeline.filter((e) => e.kind === 'redelivered').length} redeliveries; finished at ${(run.view.now / 1000).toFixed(3)} s`,
    );
  });

  it('replays a --script given as text, the same text a page link carries', () => {
    const text = '800:kill-worker:1,3000:restart-worker:1';
    const { code, out } = cli('--seed', '9', '--script', text, '--jobs', '4');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toContain(`?example=queue&seed=9&script=${text}&jobs=4`);
    expect(lines.slice(1, -1)).toEqual(runToEnd({ seed: 9, jobs: 4, script: parseScript(text) }).timeline.map(formatEvent));
  });

  it.each([
    [['--seed', 'seven'], '--seed must be a whole number'],
    [['--scenario', 'chaos'], 'unknown scenario "chaos"'],
    [['--script', '100:explode'], 'unknown action "explode"'],
    [['--script', '100:kill-worker:5'], 'there is no worker 5'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
    [['--seed', '-1'], '--seed must be a whole number of at least 0, not "-1"'],
    [['--jobs', '1000'], '--jobs must be a whole number from 1 to 200, not "1000"'],
  ])('bad arguments %j: one sentence, the usage, exit code 2', (args, message) => {
    const { code, out, err } = cli(...args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')[0]).toMatch(new RegExp(`^error: .*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\.$`));
    expect(err).toContain('usage: npm run sim:queue');
  });

  it('stops quietly when the reader of its output goes away (npm run sim:queue -- --jobs 200 | head -3: more output than a pipe holds)', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" --import tsx examples/queue/sim/cli.ts --seed 3 --jobs 200 | head -3`], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(r.stderr).toBe('');
  });

  it('--help prints the usage, with the defaults, and exits 0', () => {
    const { code, out } = cli('--help');
    expect(code).toBe(0);
    expect(out).toContain('usage: npm run sim:queue');
    expect(out).toContain('fault-tour (default)');
    expect(out).toContain('(default 1)');
  });
});
