// The simulations run in the browser as well as in Node, and a replay is only exact if nothing but the seed
// decides their chances and nothing but the agenda decides their time. So examples/<system>/sim/ obeys the pure
// core's rules (tests/architecture/pure-core.test.ts), except cli.ts, the one file that talks to the process.
// One parametrised file for every simulator (the queue's of Session 2, the store's of Part II, the chat's of Part III,
// the Raft KV's of Part IV).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOnly } from '../helpers/source.ts';

const root = resolve(import.meta.dirname, '../..');

const forbidden: [RegExp, string][] = [
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b|\brequestAnimationFrame\b/, 'a timer (time is the agenda)'],
  [/\bDate\b|\bperformance\b/, 'the clock (time is the agenda)'],
  [/\bMath\.random\b|\bcrypto\b/, 'randomness (use the seeded mulberry32)'],
  [/\bprocess\b|\brequire\s*\(|\bimport\s*\(|\bfetch\s*\(|\bconsole\b|\bwindow\b|\bdocument\b/, 'the process, the network, the console or the page'],
];

interface Simulator {
  system: 'queue' | 'store' | 'chat' | 'raft';
  /** world.ts is split into one file per part; every one of them runs in the browser, so every one is checked. */
  parts: string[];
  /** How many imports the pattern must find in a file (so a pattern that finds nothing cannot pass). */
  minImports: (name: string) => number;
  /** How many it must find in world.ts, which wires the parts together. */
  minWorldImports: number;
  /** Rules beyond the shared ones. */
  extraForbidden: [RegExp, string][];
}

const simulators: Simulator[] = [
  {
    system: 'queue',
    parts: ['actions.ts', 'broker.ts', 'network.ts', 'producer.ts', 'script.ts', 'types.ts', 'view.ts', 'workers.ts', 'world.ts'],
    minImports: (name) => (name === 'script.ts' ? 0 : 2),
    minWorldImports: 10,
    extraForbidden: [],
  },
  {
    system: 'store',
    parts: ['chaos.ts', 'checks.ts', 'clients.ts', 'network.ts', 'nodes.ts', 'script.ts', 'tours.ts', 'types.ts', 'world.ts'],
    minImports: () => 1,
    minWorldImports: 8,
    extraForbidden: [[/\.sort\(\s*\(\)\s*=>/, 'a random comparator (engines sort differently; shuffle with Fisher-Yates)']],
  },
  {
    system: 'chat',
    parts: ['chaos.ts', 'checks.ts', 'clients.ts', 'network.ts', 'script.ts', 'servers.ts', 'tours.ts', 'types.ts', 'world.ts'],
    minImports: (name) => (['checks.ts', 'script.ts', 'tours.ts'].includes(name) ? 1 : 2),
    minWorldImports: 8,
    extraForbidden: [[/\.sort\(\s*\(\)\s*=>/, 'a random comparator (engines sort differently; shuffle with Fisher-Yates)']],
  },
  {
    system: 'raft',
    parts: ['chaos.ts', 'checks.ts', 'clients.ts', 'disk.ts', 'figure8.ts', 'network.ts', 'nodes.ts', 'types.ts', 'world.ts'],
    minImports: () => 1,
    minWorldImports: 8,
    extraForbidden: [[/\.sort\(\s*\(\)\s*=>/, 'a random comparator (engines sort differently; shuffle with Fisher-Yates)']],
  },
];

for (const sim of simulators) {
  const simDir = join(root, `examples/${sim.system}/sim`);
  const allowedDirs = [simDir, join(root, `examples/${sim.system}/core`), join(root, 'examples/shared')];
  const pureFiles = readdirSync(simDir).filter((f) => f.endsWith('.ts') && f !== 'cli.ts' && !f.endsWith('.test.ts'));
  const rules = [...forbidden, ...sim.extraForbidden];

  describe(`the ${sim.system} simulation is pure`, () => {
    it('has every part of the simulation to check', () => {
      expect(pureFiles).toEqual(expect.arrayContaining(sim.parts));
    });

    for (const name of pureFiles) {
      const file = join(simDir, name);
      it(`sim/${name} imports only the sim, the ${sim.system} core and examples/shared`, () => {
        const source = readFileSync(file, 'utf8');
        const specifiers = [...source.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
        const least = sim.minImports(name);
        if (least > 0) expect(specifiers.length, `the import pattern finds sim/${name}'s imports`).toBeGreaterThanOrEqual(least);
        if (name === 'world.ts') expect(specifiers.length, 'the import pattern finds world.ts imports').toBeGreaterThanOrEqual(sim.minWorldImports);
        for (const spec of specifiers) {
          expect(spec.startsWith('.'), `sim/${name} imports '${spec}': no packages, no node: modules`).toBe(true);
          const target = resolve(dirname(file), spec);
          expect(allowedDirs.some((d) => target.startsWith(d + '/')), `sim/${name} imports '${spec}'`).toBe(true);
        }
      });
      it(`sim/${name} uses no timers, clock, randomness, process or page`, () => {
        const body = codeOnly(readFileSync(file, 'utf8'));
        for (const [pattern, what] of rules) {
          const hit = body.match(pattern);
          expect(hit, `sim/${name} uses ${hit?.[0]}: ${what}`).toBeNull();
        }
      });
    }
  });
}
