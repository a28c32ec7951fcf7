// The pure parts of `npm run example:store`: the live view (view.ts) and the command parser shared by the
// runner's prompt and `npm run store` (run-commands.ts).

import { describe, expect, it } from 'vitest';
import { createRing } from '../../examples/store/core/ring.ts';
import { blocksFor, parseCommand, splitWords } from '../../examples/store/node/run-commands.ts';
import { groupRows, nodeState, renderView, ringShare, summaryLine, type NodeSnapshot } from '../../examples/store/node/view.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const group = (id: string, role: 'leader' | 'follower' | 'candidate', term: number, leader: string | null) => ({ id, replicas: id.split('+'), role, term, leader, keys: 1 });

describe('view', () => {
  it('ring shares add up to the whole ring, and each node owns a fair part with 128 tokens', () => {
    const share = ringShare(createRing(NODES));
    expect(Object.values(share).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    for (const s of Object.values(share)) expect(s).toBeGreaterThan(0.1);
    expect(ringShare(createRing(['a']))).toEqual({ a: 1 });
  });

  it('a replica set\'s leader is the one leading in the highest term; a deposed leader in an older term is not it', () => {
    const nodes: NodeSnapshot[] = [
      { name: 'n1', port: 1, process: { pid: 1 }, status: { node: 'n1', members: NODES, keys: 0, groups: [group('n1+n2+n3', 'leader', 3, 'n1')], blocked: ['n2', 'n3'] } },
      { name: 'n2', port: 2, process: { pid: 2 }, status: { node: 'n2', members: NODES, keys: 0, groups: [group('n1+n2+n3', 'leader', 4, 'n2')] } },
      { name: 'n3', port: 3, process: { stopped: 'killed' }, status: { error: 'refused' } },
    ];
    const [row] = groupRows(nodes);
    expect(row).toMatchObject({ id: 'n1+n2+n3', leader: 'n2', term: 4 });
    expect(row!.views).toEqual([{ node: 'n1', view: 'L3' }, { node: 'n2', view: 'L4' }, { node: 'n3', view: 'x' }]);
    expect(nodes.map(nodeState)).toEqual(['partitioned', 'up', 'down']);
    const text = renderView(nodes, { members: NODES }).join('\n');
    expect(text).toMatch(/n3\s+3\s+killed\s+down/);
    expect(text).toMatch(/n1\+n2\+n3\s+n2\s+4\s+n1 L3\s+n2 L4\s+n3 x/);
    expect(summaryLine(nodes)).toBe('n1 partitioned (0 keys), n2 up (0 keys), n3 down | leaders n1+n2+n3:n2/t4');
  });

  it('two replicas leading in the same term (which must never happen) show no leader rather than one of them', () => {
    const nodes: NodeSnapshot[] = ['n1', 'n2'].map((n, i) => ({ name: n, port: i, process: { pid: i }, status: { node: n, members: NODES, keys: 0, groups: [group('n1+n2+n3', 'leader', 5, n)] } }));
    expect(groupRows(nodes)[0]!.leader).toBeNull();
  });
});

describe('commands', () => {
  it('reads the prompt and CLI forms alike', () => {
    expect(parseCommand(['put', 'k', 'v', 'eventual'], NODES)).toEqual({ kind: 'put', key: 'k', value: 'v', consistency: 'eventual', node: undefined, context: undefined });
    expect(parseCommand(['put', 'k', 'v', '--consistency', 'eventual', '--node', 'n2'], NODES)).toMatchObject({ consistency: 'eventual', node: 'n2' });
    expect(parseCommand(['put', 'k', 'strong'], NODES)).toMatchObject({ kind: 'put', key: 'k', value: 'strong', consistency: 'strong' }); // a value may be the word
    expect(parseCommand(['get', 'k'], NODES)).toMatchObject({ kind: 'get', consistency: 'strong' });
    expect(parseCommand(['cas', 'k', '--absent', 'v'], NODES)).toMatchObject({ kind: 'cas', expected: null, value: 'v' });
    expect(parseCommand(splitWords('partition n1,n2 | n3,n4,n5'), NODES)).toEqual({ kind: 'partition', sides: [['n1', 'n2'], ['n3', 'n4', 'n5']] });
    expect(parseCommand(['partition', 'n3'], NODES)).toEqual({ kind: 'partition', sides: [['n3'], ['n1', 'n2', 'n4', 'n5']] });
    expect(parseCommand(['kill', 'n3'], NODES)).toEqual({ kind: 'kill', node: 'n3' });
    expect(splitWords(`put k "two words" eventual`)).toEqual(['put', 'k', 'two words', 'eventual']);
  });

  it('says what is wrong', () => {
    expect(parseCommand(['kill', 'n9'], NODES)).toEqual({ error: 'unknown node "n9" (the nodes are n1, n2, n3, n4, n5)' });
    expect(parseCommand(['get', 'k', '--consistency', 'quorum'], NODES)).toEqual({ error: 'consistency must be strong or eventual, got "quorum"' });
    expect(parseCommand(['partition', 'n1,n2', 'n2,n3'], NODES)).toEqual({ error: 'a node can be on one side only' });
    expect(parseCommand(['partition', 'n1,n2,n3,n4,n5'], NODES)).toHaveProperty('error');
    expect(parseCommand(['frob'], NODES)).toEqual({ error: 'unknown command "frob"; try: help' });
  });

  it('a partition blocks exactly the other sides, on both ends', () => {
    expect(blocksFor([['n1', 'n2'], ['n3', 'n4', 'n5']])).toEqual({
      n1: ['n3', 'n4', 'n5'], n2: ['n3', 'n4', 'n5'], n3: ['n1', 'n2'], n4: ['n1', 'n2'], n5: ['n1', 'n2'],
    });
  });
});
