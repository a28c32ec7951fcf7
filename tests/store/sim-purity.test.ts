// The store simulation runs in the browser as well as in Node, and a replay is only exact if nothing but the
// seed decides its chances and nothing but the agenda decides its time. So examples/store/sim/ obeys the pure
// core's rules (tests/architecture/pure-core.test.ts), except cli.ts, the one file that talks to the process.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOnly } from '../helpers/source.ts';

const root = resolve(import.meta.dirname, '../..');
const simDir = join(root, 'examples/store/sim');
const allowedDirs = [simDir, join(root, 'examples/store/core'), join(root, 'examples/shared')];
const pureFiles = readdirSync(simDir).filter((f) => f.endsWith('.ts') && f !== 'cli.ts' && !f.endsWith('.test.ts'));

const forbidden: [RegExp, string][] = [
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b|\brequestAnimationFrame\b/, 'a timer (time is the agenda)'],
  [/\bDate\b|\bperformance\b/, 'the clock (time is the agenda)'],
  [/\bMath\.random\b|\bcrypto\b/, 'randomness (use the seeded mulberry32)'],
  [/\bprocess\b|\brequire\s*\(|\bimport\s*\(|\bfetch\s*\(|\bconsole\b|\bwindow\b|\bdocument\b/, 'the process, the network, the console or the page'],
  [/\.sort\(\s*\(\)\s*=>/, 'a random comparator (engines sort differently; shuffle with Fisher-Yates)'],
];

describe('the store simulation is pure', () => {
  it('has every part of the simulation to check', () => {
    const parts = ['chaos.ts', 'checks.ts', 'clients.ts', 'network.ts', 'nodes.ts', 'script.ts', 'tours.ts', 'types.ts', 'world.ts'];
    expect(pureFiles).toEqual(expect.arrayContaining(parts));
  });

  for (const name of pureFiles) {
    const file = join(simDir, name);
    it(`sim/${name} imports only the sim, the store core and examples/shared`, () => {
      const source = readFileSync(file, 'utf8');
      const specifiers = [...source.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
      expect(specifiers.length, `the import pattern finds sim/${name}'s imports`).toBeGreaterThanOrEqual(1);
      if (name === 'world.ts') expect(specifiers.length, 'the import pattern finds world.ts imports').toBeGreaterThanOrEqual(8);
      for (const spec of specifiers) {
        expect(spec.startsWith('.'), `sim/${name} imports '${spec}': no packages, no node: modules`).toBe(true);
        const target = resolve(dirname(file), spec);
        expect(allowedDirs.some((d) => target.startsWith(d + '/')), `sim/${name} imports '${spec}'`).toBe(true);
      }
    });
    it(`sim/${name} uses no timers, clock, randomness, process or page`, () => {
      const body = codeOnly(readFileSync(file, 'utf8'));
      for (const [pattern, what] of forbidden) {
        const hit = body.match(pattern);
        expect(hit, `sim/${name} uses ${hit?.[0]}: ${what}`).toBeNull();
      }
    });
  }
});
