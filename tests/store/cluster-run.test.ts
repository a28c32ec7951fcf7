// The live cluster's plain parts (examples/store/browser/cluster-run.ts): the link it reads, the driver that
// keeps the core's answers without changing the run, how each answer reads (200 / 503 with the core's reason /
// 504 unknown), what each replica holds after a partition heals, and the drawing's geometry.
import { describe, expect, test } from 'vitest';
import {
  answerLines, cutFor, describeEventual, describeStrong, harvest, linkToRun, messageAt, NODES, pentagon,
  replicaRows, runTo, settingsFromQuery, sidesOf, type Answers,
} from '../../examples/store/browser/cluster-run.ts';
import { act, createWorld, encodeScript, formatEvent, parseScript, runUntil, scriptOf, timeline, view, type World } from '../../examples/store/sim/world.ts';
import { partitionTour } from '../../examples/store/sim/tours.ts';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

/** The CAP story driven the way the page drives it: live actions at the times a learner would click. */
function capRun(seed = 7): { world: World; answers: Answers } {
  const world = createWorld({ seed });
  const answers: Answers = new Map();
  runTo(world, 3000, answers);
  act(world, { do: 'partition', a: ['n3', 'n4', 'n5'], b: ['n1', 'n2'] });
  runTo(world, 6000, answers);
  act(world, { do: 'request', node: 'n1', op: 'put', key: 'k1', consistency: 'strong', value: 'red' });
  act(world, { do: 'request', node: 'n4', op: 'put', key: 'k1', consistency: 'strong', value: 'green' });
  act(world, { do: 'request', node: 'n1', op: 'put', key: 'k1', consistency: 'eventual', value: 'left' });
  act(world, { do: 'request', node: 'n4', op: 'put', key: 'k1', consistency: 'eventual', value: 'right' });
  runTo(world, 8000, answers);
  act(world, { do: 'heal' });
  runTo(world, 11_000, answers);
  act(world, { do: 'request', node: 'n2', op: 'get', key: 'k1', consistency: 'strong' });
  act(world, { do: 'request', node: 'n2', op: 'get', key: 'k1', consistency: 'eventual' });
  runTo(world, 12_000, answers);
  return { world, answers };
}

describe('the link', () => {
  test('reads the seed and the script; nothing to say about a good link', () => {
    const s = settingsFromQuery(q('example=cluster&seed=42&script=3000:partition:n1.n2/n3.n4.n5,6000:put:n1:strong:k1:red'), () => 5);
    expect(s.seed).toBe(42);
    expect(s.problem).toBeUndefined();
    expect(s.script).toEqual(parseScript('3000:partition:n1.n2/n3.n4.n5,6000:put:n1:strong:k1:red'));
  });

  test('no seed: the picked one; a bad seed: the picked one, and says so', () => {
    expect(settingsFromQuery(q('example=cluster'), () => 5)).toEqual({ seed: 5, script: [] });
    const bad = settingsFromQuery(q('seed=abc'), () => 5);
    expect(bad.seed).toBe(5);
    expect(bad.problem).toBe('The link\'s seed "abc" is not a whole number, so seed 5 was picked.');
    expect(settingsFromQuery(q('seed=-3'), () => 5).problem).toMatch(/seed "-3"/);
    expect(settingsFromQuery(q('seed='), () => 5).problem).toMatch(/seed ""/);
  });

  test('a script that does not parse, or names a node this cluster lacks, is dropped with the reason', () => {
    const garbled = settingsFromQuery(q('seed=7&script=3000:partition:n1.n2/n3.n4.n5,oops'), () => 5);
    expect(garbled.seed).toBe(7);
    expect(garbled.script).toEqual([]);
    expect(garbled.problem).toMatch(/^The link's script was ignored: script item 2 "oops"/);
    const stranger = settingsFromQuery(q('seed=7&script=1000:crash:n9'), () => 5);
    expect(stranger.script).toEqual([]);
    expect(stranger.problem).toMatch(/there is no node n9/);
  });

  test('linkToRun and settingsFromQuery round-trip a run', () => {
    const { world } = capRun();
    const href = linkToRun('/data-store/05-consistency', { seed: 7, script: scriptOf(world) });
    const url = new URL(href, 'https://example.org');
    expect(url.pathname).toBe('/data-store/05-consistency');
    expect(url.searchParams.get('example')).toBe('cluster');
    const back = settingsFromQuery(url.searchParams, () => 1);
    expect(back.problem).toBeUndefined();
    expect(back.seed).toBe(7);
    expect(encodeScript(back.script)).toBe(encodeScript(scriptOf(world)));
  });
});

describe('runTo keeps the core answers and changes nothing', () => {
  test('the same timeline as runUntil, for the CAP tour', () => {
    const plain = createWorld({ seed: 11, script: partitionTour });
    runUntil(plain, 14_000);
    const driven = createWorld({ seed: 11, script: partitionTour });
    runTo(driven, 14_000, new Map());
    expect(timeline(driven).map(formatEvent)).toEqual(timeline(plain).map(formatEvent));
    expect(view(driven).now).toBe(14_000);
  });

  test('a replay of the script gives the same answer lines', () => {
    const { world, answers } = capRun();
    const again = createWorld({ seed: 7, script: scriptOf(world) });
    const answers2: Answers = new Map();
    runTo(again, 12_000, answers2);
    expect(answerLines(again, answers2)).toEqual(answerLines(world, answers));
  });

  test('only answers to the learner are kept, not the workload clients\'', () => {
    const world = createWorld({ seed: 3, script: parseScript('0:clients:3:strong:k1.k2:5000,2000:put:n2:strong:k1:mine') });
    const answers: Answers = new Map();
    runTo(world, 6000, answers);
    expect(answers.size).toBe(1);
    const [id] = [...answers.keys()];
    expect(world.history[id! - 1]!.client).toBe('you');
    // harvest on a quiet world adds nothing
    harvest(world, answers);
    expect(answers.size).toBe(1);
  });
});

describe('answer lines', () => {
  test('a partition: 503 with the core\'s reason on the minority side, 200 on the majority; eventual 200 on both; siblings after the heal', () => {
    const { world, answers } = capRun();
    const lines = answerLines(world, answers);
    expect(lines.map((l) => [l.request, l.status])).toEqual([
      ['put k1=red (strong) via n1', 503],
      ['put k1=green (strong) via n4', 200],
      ['put k1=left (eventual) via n1', 200],
      ['put k1=right (eventual) via n4', 200],
      ['get k1 (strong) via n2', 200],
      ['get k1 (eventual) via n2', 200],
    ]);
    // The core's own message, not just the reason code.
    expect(lines[0]!.text).toMatch(/^refused, not applied \(no-leader\): group n1\+n3\+n4 has no leader that n1 can reach/);
    expect(lines[1]!.version).toBeDefined();
    expect(lines[1]!.text).toMatch(/^written \(version term \d+, seq \d+; leader n\d\)$/);
    expect(lines[2]!.context).toEqual({ n1: 1 });
    expect(lines[3]!.context).toEqual({ n4: 1 });
    expect(lines[4]!.values).toEqual(['green']);
    expect(lines[4]!.version).toEqual(lines[1]!.version);
    expect([...lines[5]!.values!].sort()).toEqual(['left', 'right']);
    expect(lines[5]!.text).toMatch(/^2 siblings: /);
    expect(lines[5]!.context).toEqual({ n1: 1, n4: 1 });
  });

  test('while no answer has come the line says waiting', () => {
    const world = createWorld({ seed: 7 });
    const answers: Answers = new Map();
    runTo(world, 3000, answers);
    act(world, { do: 'request', node: 'n1', op: 'get', key: 'k1', consistency: 'eventual' });
    expect(answerLines(world, answers).map((l) => l.status)).toEqual(['waiting']);
    runTo(world, 4000, answers);
    expect(answerLines(world, answers).map((l) => [l.status, l.text])).toEqual([[404, 'not found (from n1; context {})']]);
  });

  test('the leader crashes holding a strong write: 504, outcome unknown', () => {
    const world = createWorld({ seed: 7 });
    const answers: Answers = new Map();
    runTo(world, 3000, answers);
    const leader = view(world).nodes.find((n) => n.status?.groups.some((g) => g.id === 'n1+n3+n4' && g.role === 'leader'))!.name;
    act(world, { do: 'request', node: leader, op: 'put', key: 'k1', consistency: 'strong', value: 'lost' });
    act(world, { do: 'crash', node: leader });
    runTo(world, 8000, answers);
    const [line] = answerLines(world, answers);
    expect(line!.status).toBe(504);
    expect(line!.text).toMatch(/^outcome unknown/);
  });

  test('a request to a node that is down: refused (connection refused), not a 503 from the core', () => {
    const world = createWorld({ seed: 7 });
    const answers: Answers = new Map();
    runTo(world, 3000, answers);
    act(world, { do: 'crash', node: 'n2' });
    act(world, { do: 'request', node: 'n2', op: 'put', key: 'k1', consistency: 'eventual', value: 'x' });
    runTo(world, 6000, answers);
    const [line] = answerLines(world, answers);
    expect(line!.status).toBe('refused');
    expect(line!.text).toMatch(/n2 is down/);
  });
});

describe('what each replica holds', () => {
  test('after the heal: one strong value and version everywhere, both eventual writes as siblings', () => {
    const { world } = capRun();
    const rows = replicaRows(world, ['n1', 'n3', 'n4'], 'k1');
    for (const r of rows) {
      expect(r.up).toBe(true);
      expect(r.strong?.value).toBe('green');
      expect([...r.eventual!.values].sort()).toEqual(['left', 'right']);
    }
    expect(new Set(rows.map((r) => `${r.strong!.term}/${r.strong!.seq}`)).size).toBe(1);
    expect(describeStrong(rows[0]!.strong)).toMatch(/^green \(term \d+, seq 1\)$/);
    expect(describeEventual(rows[0]!.eventual)).toMatch(/— 2 siblings; context \{n1:1, n4:1\}$/);
  });

  test('a crashed replica shows as down; a key nobody wrote shows nothing', () => {
    const { world } = capRun();
    act(world, { do: 'crash', node: 'n3' });
    const rows = replicaRows(world, ['n1', 'n3', 'n4'], 'k1');
    expect(rows.map((r) => r.up)).toEqual([true, false, true]);
    expect(rows[1]!.strong).toBeNull();
    expect(describeStrong(null)).toBe('nothing');
    expect(describeEventual(replicaRows(world, ['n1'], 'never')[0]!.eventual)).toBe('nothing');
  });
});

describe('sides and drawing', () => {
  test('cutFor puts the chosen nodes on side B; one empty side is no cut', () => {
    expect(cutFor(['n2', 'n1'])).toEqual({ a: ['n3', 'n4', 'n5'], b: ['n1', 'n2'] });
    expect(cutFor([])).toBeUndefined();
    expect(cutFor([...NODES])).toBeUndefined();
    expect(sidesOf([])).toEqual({ n1: 'A', n2: 'A', n3: 'A', n4: 'A', n5: 'A' });
    expect(sidesOf([{ a: ['n3', 'n4', 'n5'], b: ['n1', 'n2'] }])).toEqual({ n1: 'B', n2: 'B', n3: 'A', n4: 'A', n5: 'A' });
  });

  test('the pentagon: n1 at the top, five points on the circle, clockwise', () => {
    const p = pentagon(NODES, 370, 124);
    expect(p.n1).toEqual({ x: 185, y: 61 });
    for (const n of NODES) expect(Math.hypot(p[n]!.x - 185, p[n]!.y - 185)).toBeCloseTo(124, 0);
    expect(p.n2!.x).toBeGreaterThan(185); // clockwise: n2 to the right of n1
    expect(p.n5!.x).toBeLessThan(185);
  });

  test('a message glides from sender to receiver; under reduced motion it waits at the middle', () => {
    const a = { x: 0, y: 0 };
    const b = { x: 100, y: 0 };
    expect(messageAt(a, b, 0, 100, 0, false).x).toBeCloseTo(0);
    expect(messageAt(a, b, 0, 100, 50, false).x).toBeCloseTo(50);
    expect(messageAt(a, b, 0, 100, 100, false).x).toBeCloseTo(100);
    expect(messageAt(a, b, 0, 100, 10, true).x).toBeCloseTo(50);
    expect(messageAt(a, b, 0, 100, 90, true).x).toBeCloseTo(50);
  });
});
