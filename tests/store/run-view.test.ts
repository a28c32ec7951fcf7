// The pure parts of `npm run example:store`: the live view (view.ts) and the command parser shared by the
// runner's prompt and `npm run store` (run-commands.ts).

import { describe, expect, it } from 'vitest';
import { createRing } from '../../examples/store/core/ring.ts';
import http from 'node:http';
import { blocksFor, HELP, parseCommand, runCommand, splitWords } from '../../examples/store/node/run-commands.ts';
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
    nodes[1]!.status = { ...(nodes[1]!.status as { node: string; members: string[]; keys: number; groups: [] }), keys: 1 };
    expect(summaryLine(nodes)).toContain('n2 up (1 key),');
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
    expect(parseCommand(['frob'], NODES)).toEqual({ error: 'unknown command "frob"' });
  });

  it('an unknown or misplaced --option is an error naming it and the valid ones, never silently ignored', () => {
    // The walkthrough's two typos: each used to run a different command (a STRONG write; a read on any node).
    expect(parseCommand(['put', 'k', 'v', '--consistancy', 'eventual', '--node', 'n3'], NODES)).toEqual({
      error: 'unknown option --consistancy; put takes --consistency strong|eventual, --node nX, --context JSON',
    });
    expect(parseCommand(['get', 'k', '--nod', 'n3'], NODES)).toEqual({ error: 'unknown option --nod; get takes --consistency strong|eventual, --node nX' });
    expect(parseCommand(['get', 'k', '--nod=n3'], NODES)).toEqual({ error: 'unknown option --nod; get takes --consistency strong|eventual, --node nX' });
    // A real option on a command that does not take it.
    expect(parseCommand(['cas', 'k', 'a', 'b', '--consistency', 'eventual'], NODES)).toEqual({ error: 'unknown option --consistency for cas; cas takes --node nX, --absent' });
    expect(parseCommand(['get', 'k', '--context', '{}'], NODES)).toEqual({ error: 'unknown option --context for get; get takes --consistency strong|eventual, --node nX' });
    expect(parseCommand(['kill', 'n3', '--force'], NODES)).toEqual({ error: 'unknown option --force; kill takes no options' });
    expect(parseCommand(['--nod', 'n3', 'get', 'k'], NODES)).toEqual({ error: 'unknown option --nod; the options are --consistency strong|eventual, --node nX, --context JSON, --absent' });
    // Given twice, or two different levels: which one did you mean?
    expect(parseCommand(['get', 'k', '--node', 'n1', '--node', 'n2'], NODES)).toEqual({ error: '--node is given twice' });
    expect(parseCommand(['put', 'k', 'v', 'eventual', '--consistency', 'strong'], NODES)).toHaveProperty('error');
    // The right spellings still work, in both forms.
    expect(parseCommand(['put', 'k', 'v', '--consistency=eventual', '--node=n3'], NODES)).toMatchObject({ kind: 'put', consistency: 'eventual', node: 'n3' });
    expect(parseCommand(['--help'], NODES)).toEqual({ kind: 'help' });
    expect(parseCommand(['-h'], NODES)).toEqual({ kind: 'help' });
  });

  it('the help names both ways to give the level, as the pages write it', () => {
    const help = HELP.join('\n');
    expect(help).toContain('--consistency strong|eventual');
    expect(help).toMatch(/put <key> <value> \[strong\|eventual\]/);
  });

  it('partition names the request that failed for a node that is down (block, not heal), and blocks exactly the other side', async () => {
    const calls: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        calls.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r)); // nothing listens there now: connection refused
    try {
      const urls = { n1: `http://127.0.0.1:${port}`, n2: `http://127.0.0.1:${port}`, n3: `http://127.0.0.1:${deadPort}` };
      const result = await runCommand({ kind: 'partition', sides: [['n1'], ['n2', 'n3']] }, { urls });
      expect(result.ok).toBe(false);
      const n3 = result.lines.find((l) => l.startsWith('n3:'))!;
      expect(n3).toContain('POST /admin/block failed: connection refused');
      expect(n3).toContain(`127.0.0.1:${deadPort}/admin/block`);
      expect(n3).not.toContain('/admin/heal');
      expect(result.lines).toContain('n1: drops traffic to and from n2, n3');
      // n2 blocks n1, and heals n3 in case an earlier cut blocked it; n1 blocks both and has nobody to heal.
      expect(calls.sort()).toEqual(['POST /admin/block {"peers":["n1"]}', 'POST /admin/block {"peers":["n2","n3"]}', 'POST /admin/heal {"peers":["n3"]}'].sort());
    } finally {
      server.close();
    }
  });

  it('a partition blocks exactly the other sides, on both ends', () => {
    expect(blocksFor([['n1', 'n2'], ['n3', 'n4', 'n5']])).toEqual({
      n1: ['n3', 'n4', 'n5'], n2: ['n3', 'n4', 'n5'], n3: ['n1', 'n2'], n4: ['n1', 'n2'], n5: ['n1', 'n2'],
    });
  });
});
