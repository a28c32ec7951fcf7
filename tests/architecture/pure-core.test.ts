// Every system's core must stay pure: plain data in, plain data out. These checks read the source of every
// file under examples/*/core/ and fail on anything that would make the core depend on the outside world —
// so the broker's log replay, the seeded simulator and the browser adapter can all trust it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOnly } from '../helpers/source.ts';

const root = resolve(import.meta.dirname, '../..');
const examples = join(root, 'examples');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const coreDirs = readdirSync(examples)
  .map((name) => join(examples, name, 'core'))
  .filter((p) => statSync(p, { throwIfNoEntry: false })?.isDirectory());


const forbidden: [RegExp, string][] = [
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b/, 'a timer (time must arrive as `now`)'],
  [/\bDate\b|\bperformance\b/, 'the clock (time must arrive as `now`)'],
  [/\bMath\.random\b|\bcrypto\b/, 'randomness (pass random numbers in)'],
  [/\bprocess\b|\brequire\s*\(|\bfetch\s*\(|\bconsole\b/, 'the process, the network or the console'],
];

describe('pure cores', () => {
  it('there is at least one core to check', () => {
    expect(coreDirs.length).toBeGreaterThanOrEqual(2);
  });

  for (const dir of coreDirs) {
    for (const file of filesUnder(dir)) {
      const name = relative(root, file);
      it(`${name} imports only other core files`, () => {
        const source = readFileSync(file, 'utf8');
        const specifiers = [...source.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
        for (const spec of specifiers) {
          expect(spec.startsWith('.'), `${name} imports '${spec}': a core imports no packages and no node: modules`).toBe(true);
          const target = resolve(dirname(file), spec);
          expect(target.startsWith(dir), `${name} imports '${spec}', which is outside its core folder`).toBe(true);
        }
      });
      it(`${name} uses no timers, clock, randomness or process`, () => {
        const body = codeOnly(readFileSync(file, 'utf8'));
        for (const [pattern, what] of forbidden) {
          const hit = body.match(pattern);
          expect(hit, `${name} uses ${hit?.[0]}: ${what}`).toBeNull();
        }
      });
    }
  }
});
