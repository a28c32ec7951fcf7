// The store simulation's world API (examples/store/sim/world.ts): deterministic from (seed, script), live
// actions replayable, the script's text form, the CAP behaviour the pages describe (minority refuses strong
// writes, both sides take eventual writes, siblings after heal), crashes and restarts that forget nothing
// persisted, clients that follow forwards and record a well-formed history, and the checks' own verdicts.
import { describe, expect, it } from 'vitest';
import { chaosScript } from '../../examples/store/sim/chaos.ts';
import { divergence, lostWrites, splitBrain } from '../../examples/store/sim/checks.ts';
import { partitionTour } from '../../examples/store/sim/tours.ts';
import {
  act,
  advance,
  clientRequest,
  crash,
  createWorld,
  encodeScript,
  formatEvent,
  heal,
  historyOf,
  linkToRun,
  parseScript,
  partition,
  restart,
  runUntil,
  scriptOf,
  stepOnce,
  timeline,
  view,
  type Action,
  type HistoryOp,
} from '../../examples/store/sim/world.ts';
import { validateOperation } from '../helpers/kv-history.ts';
import { groupOf } from '../../examples/store/core/node.ts';
import { createRing } from '../../examples/store/core/ring.ts';

const ring = createRing(['n1', 'n2', 'n3', 'n4', 'n5'], 128);
const replicasOf = (key: string) => groupOf(ring, key, 3);

function leaderOf(world: ReturnType<typeof createWorld>, group: string): { node: string; term: number } | undefined {
  for (const n of view(world).nodes) {
    const g = n.status?.groups.find((x) => x.id === group && x.role === 'leader' && x.ready);
    if (g) return { node: n.name, term: g.term };
  }
  return undefined;
}

describe('store simulation: determinism and replay', () => {
  it('the same seed and script give the same timeline, history and messages; another seed differs', () => {
    const script = chaosScript(3, 'strong');
    const a = createWorld({ seed: 3, script });
    const b = createWorld({ seed: 3, script });
    runUntil(a, 20_000);
    runUntil(b, 20_000);
    expect(timeline(a).map(formatEvent)).toEqual(timeline(b).map(formatEvent));
    expect(historyOf(a)).toEqual(historyOf(b));
    expect(view(a)).toEqual(view(b));
    const c = createWorld({ seed: 4, script });
    runUntil(c, 20_000);
    expect(timeline(c).map(formatEvent)).not.toEqual(timeline(a).map(formatEvent));
  });

  it('live actions join the script: replaying scriptOf(world) with the seed reproduces the run', () => {
    const live = createWorld({ seed: 11 });
    advance(live, 3_000);
    clientRequest(live, { node: 'n2', op: 'put', key: 'k1', value: 'blue', consistency: 'strong' });
    advance(live, 1_250);
    partition(live, ['n1', 'n2']);
    stepOnce(live);
    crash(live, 'n4');
    advance(live, 3_000);
    clientRequest(live, { node: 'n1', op: 'put', key: 'k2', value: 'x', consistency: 'eventual' });
    restart(live, 'n4');
    advance(live, 500);
    heal(live);
    advance(live, 4_000);
    const script = scriptOf(live);
    expect(script.map((a) => a.do)).toEqual(['request', 'partition', 'crash', 'request', 'restart', 'heal']);
    const replay = createWorld({ seed: 11, script: parseScript(encodeScript(script)) });
    runUntil(replay, live.now);
    expect(timeline(replay).map(formatEvent)).toEqual(timeline(live).map(formatEvent));
    expect(historyOf(replay)).toEqual(historyOf(live));
  });

  it('stepOnce runs until the timeline grows; advance moves the clock exactly', () => {
    const world = createWorld({ seed: 1 });
    const events = stepOnce(world);
    expect(events.length).toBeGreaterThan(0);
    expect(world.now).toBe(events[0]!.at);
    advance(world, 1_234);
    expect(world.now).toBe(events[0]!.at + 1_234);
  });
});

describe('store simulation: the script text', () => {
  const every: Action[] = [
    { at: 0, do: 'network', loss: 10, dup: 2, delay: [5, 80] },
    { at: 0, do: 'clients', count: 3, mode: 'strong', keys: ['k1', 'k2'], until: 9_000 },
    { at: 1_500, do: 'crash', node: 'n2' },
    { at: 3_000, do: 'partition', a: ['n1', 'n2'], b: ['n3', 'n4', 'n5'] },
    { at: 3_100, do: 'partition', a: ['n5'], b: [] },
    { at: 4_000, do: 'restart', node: 'n2' },
    { at: 5_000, do: 'request', node: 'n1', op: 'put', key: 'k1', value: 'blue', consistency: 'strong' },
    { at: 5_000, do: 'request', node: 'n4', op: 'get', key: 'k1', consistency: 'eventual' },
    { at: 5_000, do: 'request', node: 'n3', op: 'delete', key: 'k1', consistency: 'strong' },
    { at: 5_000, do: 'request', node: 'n2', op: 'cas', key: 'k1', expected: null, value: 'red', consistency: 'strong' },
    { at: 5_000, do: 'request', node: 'n2', op: 'cas', key: 'k1', expected: 'red', value: 'green', consistency: 'strong' },
    { at: 9_000, do: 'heal' },
  ];

  it('encodes every action in a short text and parses it back', () => {
    const text = encodeScript(every);
    expect(text).toBe(
      '0:network:10:2:5-80,0:clients:3:strong:k1.k2:9000,1500:crash:n2,3000:partition:n1.n2/n3.n4.n5,3100:partition:n5,4000:restart:n2,' +
        '5000:put:n1:strong:k1:blue,5000:get:n4:eventual:k1,5000:delete:n3:strong:k1,5000:cas:n2:k1:-:red,5000:cas:n2:k1:red:green,9000:heal',
    );
    expect(parseScript(text)).toEqual(every);
    expect(parseScript('')).toEqual([]);
  });

  it.each([
    ['100:explode', 'unknown action "explode"'],
    ['x:crash:n1', 'must start with a time'],
    ['100:crash', 'needs the form "100:crash:NODE"'],
    ['100:put:n1:strong:k1', 'needs the form'],
    ['100:put:n1:quorum:k1:v', 'needs a consistency, strong or eventual'],
    ['100:put:n1:strong:k1:a b', 'bad value "a b"'],
    ['100:partition:n1/n1', 'puts a node on both sides'],
    ['100:network:101:0:5-10', 'a loss in percent, a whole number from 0 to 100'],
    ['100:network:1:0:50-10', 'delay range'],
    ['100:clients:0:strong:k1:100', 'at least one client'],
  ])('parseScript(%j) names the bad item: %s', (text, message) => {
    expect(() => parseScript(text)).toThrow(message);
  });

  it('createWorld refuses a script that names a node the cluster does not have', () => {
    expect(() => createWorld({ seed: 1, script: parseScript('100:crash:n9') })).toThrow('there is no node n9');
    expect(() => createWorld({ seed: 1, script: parseScript('100:partition:n1.n2.n3.n4.n5') })).toThrow('both sides');
    expect(() => createWorld({ seed: 1.5 })).toThrow('whole number');
  });

  it('links to the run on the page with a readable script', () => {
    expect(linkToRun('/data-store/04-replication', { seed: 7, script: parseScript('4000:partition:n1.n2/n3.n4.n5,9000:heal') })).toBe(
      '/data-store/04-replication?example=cluster&seed=7&script=4000:partition:n1.n2/n3.n4.n5,9000:heal',
    );
  });
});

describe('store simulation: what the pages promise', () => {
  it.each([1, 2, 3])('seed %i, partition tour: the minority side refuses strong writes with a reason, both sides take eventual writes, siblings after heal', (seed) => {
    // k1's replicas are n1, n3, n4: cut n1 n2 off, and n1 is alone with k1, n4 is with the majority of them.
    expect(replicasOf('k1').replicas).toEqual(['n1', 'n3', 'n4']);
    // k2's replicas are on both sides: n2 on one, n5 on the other.
    expect(replicasOf('k2').replicas).toEqual(expect.arrayContaining(['n2', 'n5']));
    const world = createWorld({ seed, script: partitionTour });
    runUntil(world, 16_000);
    const h = historyOf(world);
    const find = (node: string, op: string, key: string, value?: string) => h.find((x) => x.node === node && x.op === op && x.key === key && (value === undefined || x.value === value) && x.call > 4_000)!;
    expect(find('n1', 'put', 'k1', 'red').error).toMatch(/no-leader/);
    expect(find('n4', 'put', 'k1', 'green')).toMatchObject({ output: 'ok' });
    expect(find('n2', 'put', 'k2', 'left')).toMatchObject({ output: 'ok' });
    expect(find('n5', 'put', 'k2', 'right')).toMatchObject({ output: 'ok' });
    expect(find('n1', 'get', 'k1').error).toMatch(/no-leader/);
    expect(h.find((x) => x.op === 'get' && x.key === 'k1' && x.call === 13_000)).toMatchObject({ output: 'green' });
    expect(h.find((x) => x.op === 'get' && x.key === 'k2' && x.call === 13_000)?.values?.sort()).toEqual(['left', 'right']);
    const kinds = timeline(world).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['partition', 'heal', 'committed', 'siblings', 'fenced', 'step-down', 'leader', 'ready', 'election']));
    expect(splitBrain(world)).toEqual([]);
    expect(divergence(world)).toEqual([]);
  });

  it('a crashed leader is replaced in a newer term, and its restart replays its disk and forgets nothing', () => {
    const world = createWorld({ seed: 5 });
    advance(world, 3_000);
    clientRequest(world, { node: 'n1', op: 'put', key: 'k1', value: 'blue', consistency: 'strong' });
    advance(world, 1_000);
    const group = replicasOf('k1').id;
    const before = leaderOf(world, group)!;
    expect(before).toBeDefined();
    const node = world.nodes[before.node]!;
    // What a node keeps on disk (data, strong data if the core keeps it apart, terms and votes), as JSON.
    const persisted = (state: object) => {
      const { store, strong, terms } = state as { store: unknown; strong?: unknown; terms: unknown };
      return JSON.stringify({ store, strong, terms });
    };
    const before_ = persisted(node.state!);
    expect(before_).toContain('blue');
    crash(world, before.node);
    expect(view(world).nodes.find((n) => n.name === before.node)).toMatchObject({ up: false, status: null });
    advance(world, 4_000);
    const after = leaderOf(world, group)!;
    expect(after.node).not.toBe(before.node);
    expect(after.term).toBeGreaterThan(before.term);
    const events = restart(world, before.node);
    expect(events.at(-1)!.text).toMatch(new RegExp(`^${before.node} restarts and replayed \\d+ persisted changes: `));
    expect(persisted(world.nodes[before.node]!.state!)).toBe(before_);
    clientRequest(world, { node: before.node, op: 'get', key: 'k1', consistency: 'strong' });
    advance(world, 2_000);
    expect(historyOf(world).at(-1)).toMatchObject({ op: 'get', output: 'blue' });
  });

  it('a client follows forwards to the leader; a crash of the node holding its request makes the outcome unknown', () => {
    const world = createWorld({ seed: 2 });
    advance(world, 3_000);
    const group = replicasOf('k1').id;
    const leader = leaderOf(world, group)!.node;
    const elsewhere = ['n1', 'n2', 'n3', 'n4', 'n5'].find((n) => n !== leader)!;
    clientRequest(world, { node: elsewhere, op: 'put', key: 'k1', value: 'v1', consistency: 'strong' });
    advance(world, 1_000);
    expect(historyOf(world)[0]).toMatchObject({ node: elsewhere, output: 'ok' });
    expect(timeline(world).some((e) => e.kind === 'committed' && e.node === leader)).toBe(true);
    clientRequest(world, { node: leader, op: 'put', key: 'k1', value: 'v2', consistency: 'strong' });
    crash(world, leader); // at the same moment: the request is on its way to, or at, the leader
    advance(world, 5_000);
    expect(historyOf(world)[1]).toMatchObject({ value: 'v2', return: null });
    expect(historyOf(world)[1]!.error).toBeUndefined();
  });

  it('every recorded operation is a valid kv-history record, with refusals carrying an error', () => {
    const world = createWorld({ seed: 8, script: chaosScript(8, 'strong') });
    runUntil(world, 36_000);
    const h = historyOf(world);
    h.forEach((op, i) => validateOperation(op, `history[${i}]`));
    expect(h.some((x) => x.error !== undefined)).toBe(true);
    expect(h.some((x) => x.return === null)).toBe(true);
    expect(h.some((x) => x.op === 'cas' && x.output === false)).toBe(true);
    expect(view(world).stats.lost).toBeGreaterThan(0);
  });

  it('view shows every node, the cuts, messages in flight and open requests', () => {
    const world = createWorld({ seed: 1 });
    advance(world, 2_000);
    partition(world, ['n5']);
    clientRequest(world, { node: 'n3', op: 'get', key: 'k1', consistency: 'strong' });
    const v = view(world);
    expect(v.nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(v.nodes[0]!.status!.groups.length).toBe(6);
    expect(v.partitions).toEqual([{ a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] }]);
    expect(v.messages.length).toBeGreaterThan(0);
    expect(v.open).toMatchObject([{ op: 'get', key: 'k1', node: 'n3' }]);
    act(world, { do: 'heal' });
    expect(view(world).partitions).toEqual([]);
  });
});

describe('store simulation: the checks find what they look for', () => {
  const op = (o: Partial<HistoryOp>): HistoryOp => ({ client: 1, op: 'put', key: 'k', call: 0, return: 1, consistency: 'strong', node: 'n1', ...o }) as HistoryOp;

  it('splitBrain: two nodes acknowledging writes in one group and term', () => {
    const ack = (node: string, term: number, o: 'put' | 'get' = 'put') => ({ at: 1, node, group: 'n1+n2+n3', term, op: o, key: 'k' });
    expect(splitBrain({ acks: [ack('n1', 1), ack('n1', 1), ack('n2', 2), ack('n3', 2, 'get')] })).toEqual([]);
    expect(splitBrain({ acks: [ack('n1', 1), ack('n2', 1)] })).toEqual([expect.stringContaining('n1+n2+n3 term 1: both n1 and n2 acknowledged writes')]);
  });

  it('lostWrites: the final read must show the last acknowledged write or one that may follow it', () => {
    const base = [op({ value: 'a', call: 0, return: 10 }), op({ value: 'b', call: 20, return: 30 }), op({ value: 'c', call: 25, return: null })];
    const read = (output: string | null) => op({ op: 'get', output, call: 100, return: 110, client: 'you' });
    expect(lostWrites([...base, read('b')])).toEqual([]);
    expect(lostWrites([...base, read('c')])).toEqual([]); // unknown outcome: may have taken effect after b
    expect(lostWrites([...base, read('a')])).toEqual([expect.stringContaining('k: the final strong read at 100 ms (n1) saw "a"')]);
    expect(lostWrites([...base, read(null)])).toHaveLength(1);
    expect(lostWrites([op({ op: 'delete', call: 40, return: 50 }), ...base, read(null)])).toEqual([]);
    expect(lostWrites([...base, op({ value: 'd', call: 40, return: 50, error: 'no-leader' }), read('d')])).toHaveLength(1); // refused: never written
    expect(lostWrites([...base, op({ op: 'cas', expected: 'x', value: 'e', output: false, call: 40, return: 50 }), read('e')])).toHaveLength(1);
    expect(lostWrites([op({ op: 'get', output: null, call: 0, return: 1 })])).toEqual([]);
  });

  it('divergence: replicas of a key that hold different versions', () => {
    const world = createWorld({ seed: 1, script: parseScript('2000:put:n1:eventual:k2:v') });
    runUntil(world, 5_000);
    expect(divergence(world)).toEqual([]);
    const [first] = replicasOf('k2').replicas;
    delete world.nodes[first!]!.state!.store.k2;
    expect(divergence(world)).toEqual([expect.stringContaining(`k2: its replicas ${replicasOf('k2').replicas.join(', ')} differ`)]);
  });
});
