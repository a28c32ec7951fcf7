// The live queue's link: what a page URL's query becomes, and the link that reproduces a run.
// Also the drawing's geometry: where a message in flight is drawn.
import { describe, expect, test } from 'vitest';
import { encodeScript, faultTour, type Message, type NodeName } from '../sim/world.ts';
import { layoutFor, messagePosition } from './layout.ts';
import { linkToRun, settingsFromQuery } from './run-link.ts';

const fixedSeed = (): number => 4242;
const q = (text: string): URLSearchParams => new URLSearchParams(text);

describe('settingsFromQuery', () => {
  test('reads the seed, the script and the job count from the link', () => {
    expect(settingsFromQuery(q(`example=queue&seed=7&script=${encodeScript(faultTour)}&jobs=20`), fixedSeed)).toEqual({
      seed: 7,
      script: faultTour,
      jobs: 20,
    });
  });

  test('without a seed it picks one (and says nothing is wrong)', () => {
    expect(settingsFromQuery(q('example=queue'), fixedSeed)).toEqual({ seed: 4242, script: [] });
  });

  test('a bad seed, script or job count is ignored with a sentence saying so', () => {
    const s = settingsFromQuery(q('seed=abc&script=1500:explode&jobs=0'), fixedSeed);
    expect(s.seed).toBe(4242);
    expect(s.script).toEqual([]);
    expect(s.jobs).toBeUndefined();
    expect(s.problem).toMatch(/"abc" is not a seed/);
    expect(s.problem).toMatch(/script in the link was ignored: .*unknown action "explode"/);
    expect(s.problem).toMatch(/"0" jobs was ignored/);
  });
});

describe('settingsFromQuery, a script the world refuses', () => {
  test('a well-formed script naming a worker that does not exist is dropped with the simulator\'s reason', () => {
    const s = settingsFromQuery(q('seed=5&script=2000:kill-worker:9'), fixedSeed);
    expect(s.seed).toBe(5);
    expect(s.script).toEqual([]);
    expect(s.problem).toMatch(/script in the link was ignored: .*no worker 9/);
  });
});

describe('linkToRun', () => {
  test('is the form the CLI prints, and reads back as the same run', () => {
    const href = linkToRun('/fundamentals/02-queue-system', { seed: 7, script: faultTour });
    expect(href).toBe(`/fundamentals/02-queue-system?example=queue&seed=7&script=${encodeScript(faultTour)}`);
    const back = settingsFromQuery(new URL(href, 'http://x').searchParams, fixedSeed);
    expect(back).toEqual({ seed: 7, script: faultTour });
  });

  test('leaves out an empty script, and carries a job count', () => {
    expect(linkToRun('/p', { seed: 3, script: [], jobs: 5 })).toBe('/p?example=queue&seed=3&jobs=5');
  });
});

describe('messagePosition', () => {
  const workers: NodeName[] = ['worker-1', 'worker-2', 'worker-3'];
  const m: Message = { id: 1, from: 'broker', to: 'worker-2', sentAt: 1000, deliverAt: 1100, label: 'job-1' };

  test.each([false, true])('moves from sender to receiver as time passes (narrow layout: %s)', (narrow) => {
    const layout = layoutFor(workers, narrow);
    const start = messagePosition(layout, m, 1000, false)!;
    const mid = messagePosition(layout, m, 1050, false)!;
    const end = messagePosition(layout, m, 1100, false)!;
    const broker = layout.boxes.get('broker')!;
    const worker = layout.boxes.get('worker-2')!;
    const dist = (p: { x: number; y: number }, b: { cx: number; cy: number }) => Math.hypot(p.x - b.cx, p.y - b.cy);
    expect(dist(start, broker)).toBeLessThan(dist(mid, broker));
    expect(dist(mid, broker)).toBeLessThan(dist(end, broker));
    expect(dist(end, worker)).toBeLessThan(dist(start, worker));
  });

  test('under reduced motion it stays in the middle of its link the whole trip', () => {
    const layout = layoutFor(workers, false);
    const places = [1000, 1030, 1099].map((t) => messagePosition(layout, m, t, true));
    expect(places[1]).toEqual(places[0]);
    expect(places[2]).toEqual(places[0]);
    expect(places[0]).toEqual(messagePosition(layout, m, 1050, false));
  });

  test('a message to a node the drawing does not have is not drawn', () => {
    expect(messagePosition(layoutFor(workers, false), { ...m, to: 'worker-9' }, 1050, false)).toBeNull();
  });
});
