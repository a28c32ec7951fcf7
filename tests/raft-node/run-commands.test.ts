// The prompt of `npm run example:raft` (examples/raft/node/run-commands.ts) and its live view (run-view.ts),
// without processes: what each typed line becomes, the hint a typo gets, what the table says, and how a node
// is told the cut (against a fake admin API).

import { describe, expect, it } from 'vitest';
import { parseCommand, splitWords, tellCut } from '../../examples/raft/node/run-commands.ts';
import { NoAnswer, type HttpAnswer } from '../../examples/store/node/run-http.ts';
import { currentLeader, renderView, summaryLine, type NodeSnapshot } from '../../examples/raft/node/run-view.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const parse = (line: string) => parseCommand(splitWords(line), NODES);

describe('the prompt', () => {
  it('reads the key commands, with quoted values and - for "absent" in cas', () => {
    expect(parse('put motto "hello world"')).toEqual({ kind: 'put', key: 'motto', value: 'hello world' });
    expect(parse('get motto')).toEqual({ kind: 'get', key: 'motto' });
    expect(parse('delete motto')).toEqual({ kind: 'delete', key: 'motto' });
    expect(parse('cas k old new')).toEqual({ kind: 'cas', key: 'k', expected: 'old', value: 'new' });
    expect(parse('cas k - new')).toEqual({ kind: 'cas', key: 'k', expected: null, value: 'new' });
  });

  it('reads the process and network commands', () => {
    expect(parse('kill n3')).toEqual({ kind: 'kill', node: 'n3' });
    expect(parse('restart N3')).toEqual({ kind: 'restart', node: 'n3' });
    expect(parse('heal')).toEqual({ kind: 'heal' });
    expect(parse('status')).toEqual({ kind: 'status' });
    expect(parse('quit')).toEqual({ kind: 'quit' });
    expect(parse('exit')).toEqual({ kind: 'quit' });
  });

  it('reads a partition with bars, commas or both; the nodes left out form one more side', () => {
    const sides = [['n1', 'n2'], ['n3', 'n4', 'n5']];
    expect(parse('partition n1 n2 | n3 n4 n5')).toEqual({ kind: 'partition', sides });
    expect(parse('partition n1,n2 | n3,n4,n5')).toEqual({ kind: 'partition', sides });
    expect(parse('partition n1,n2|n3,n4,n5')).toEqual({ kind: 'partition', sides });
    expect(parse('partition n1,n2 n3,n4,n5')).toEqual({ kind: 'partition', sides });
    expect(parse('partition n1 |')).toMatchObject({ error: expect.stringContaining('a side between two bars is empty') });
    expect(parse('partition n3')).toEqual({ kind: 'partition', sides: [['n3'], ['n1', 'n2', 'n4', 'n5']] });
    expect(parse('partition n1 n2 | n3 | n4')).toEqual({ kind: 'partition', sides: [['n1', 'n2'], ['n3'], ['n4'], ['n5']] });
  });

  it('answers mistakes with what is wrong and what would be right', () => {
    expect(parse('puut k v')).toEqual({ error: 'unknown command "puut" — did you mean put? (put <key> <value>); type help for the list' });
    expect(parse('partion n1 | n2')).toEqual({ error: 'unknown command "partion" — did you mean partition? (partition <nodes…> | <nodes…>); type help for the list' });
    expect(parse('frobnicate')).toEqual({ error: 'unknown command "frobnicate"; type help for the list' });
    expect(parse('kill n9')).toEqual({ error: 'unknown node "n9" — did you mean n1? (the nodes are n1, n2, n3, n4, n5)' });
    expect(parse('kill')).toEqual({ error: 'usage: kill <node>   (a node: n1, n2, n3, n4, n5)' });
    expect(parse('put k')).toEqual({ error: 'usage: put <key> <value>' });
    expect(parse('cas k v')).toEqual({ error: 'usage: cas <key> <expected|-> <value>   (- for "the key is absent")' });
    expect(parse('partition n1 n2 | n2 n3')).toEqual({ error: 'a node can be on one side only' });
    expect(parse('partition n1 n2 n3 n4 n5')).toEqual({ kind: 'partition', sides: [['n1'], ['n2'], ['n3'], ['n4'], ['n5']] });
    expect(parse('partition n1,n2,n3,n4,n5')).toMatchObject({ error: expect.stringContaining('at least two sides') });
    expect(parse('partition n1 | n7')).toMatchObject({ error: expect.stringContaining('unknown node "n7"') });
    expect(parse('heal now')).toEqual({ error: 'heal takes no arguments' });
  });
});

describe('the live view', () => {
  const node = (name: string, s: Partial<NodeSnapshot['status']> | null, pid = 100): NodeSnapshot => ({
    name,
    port: 7400 + Number(name.slice(1)),
    process: s === null ? { stopped: 'killed -9' } : { pid },
    status: s === null ? { error: 'killed -9' } : ({ id: name, role: 'follower', term: 3, leaderId: 'n2', commitIndex: 7, lastApplied: 7, lastIndex: 8, snapshotIndex: 0, blocked: [], ...s } as NodeSnapshot['status']),
  });

  it('names the leader of the highest term; a leader cut off in an old term is marked stale', () => {
    const nodes = [node('n1', { role: 'leader', term: 2, leaderId: 'n1', blocked: ['n2', 'n3', 'n4', 'n5'] }), node('n2', { role: 'leader', leaderId: 'n2' }), node('n3', {}), node('n4', null), node('n5', { role: 'candidate', term: 4, leaderId: null })];
    expect(currentLeader(nodes)).toEqual({ name: 'n2', term: 3 });
    const lines = renderView(nodes);
    expect(lines[0]).toMatch(/^node\s+port\s+process\s+state\s+role\s+term\s+leader\s+commit\s+applied\s+last\s+snap\s+blocks$/);
    expect(lines[1]).toMatch(/^n1\s+7401\s+pid 100\s+partitioned\s+leader\(stale\)\s+2\s+n1\s+7\s+7\s+8\s+0\s+n2,n3,n4,n5$/);
    expect(lines[2]).toMatch(/^n2\s+7402\s+pid 100\s+up\s+leader\s+3\s+n2\s+7\s+7\s+8\s+0\s+-$/);
    expect(lines[4]).toMatch(/^n4\s+7404\s+killed -9\s+down\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+-$/);
    expect(lines[5]).toMatch(/^n5\s+7405\s+pid 100\s+up\s+candidate\s+4\s+-\s+7/);
    expect(lines.at(-1)).toBe('leader: n2 in term 3');
    expect(summaryLine(nodes)).toBe('leader n2 (term 3) | n1 L2 c7 a7 partitioned, n2 L3 c7 a7, n3 F3 c7 a7, n4 down, n5 C4 c7 a7');
  });

  it('at 80 columns (a terminal cuts each line at 79) every field stays visible: role, term, leader, commit, applied, last, snap, blocks', () => {
    const nodes = [
      node('n1', { role: 'leader', term: 2, leaderId: 'n1', blocked: ['n2', 'n3', 'n4', 'n5'], commitIndex: 12345, lastApplied: 12344, lastIndex: 12399, snapshotIndex: 12000 }, 4194304),
      node('n2', { role: 'leader', term: 13, leaderId: 'n2' }, 4194305),
      node('n3', { role: 'candidate', term: 14, leaderId: null, blocked: ['n1'] }),
      node('n4', null),
      { ...node('n5', null), process: { stopped: 'killed SIGTERM' } },
    ];
    const lines = renderView(nodes, 80);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(79);
    expect(lines[0]).toMatch(/^node\s+process\s+role\s+term\s+leader\s+commit\s+applied\s+last\s+snap\s+blocks$/);
    expect(lines[1]).toMatch(/^n1\s+4194304\s+old leader\s+2\s+n1\s+12345\s+12344\s+12399\s+12000\s+n2,n3,n4,n5$/);
    expect(lines[2]).toMatch(/^n2\s+4194305\s+leader\s+13\s+n2\s+7\s+7\s+8\s+0\s+-$/);
    expect(lines[3]).toMatch(/^n3\s+100\s+candidate\s+14\s+-\s+7\s+7\s+8\s+0\s+n1$/);
    expect(lines[4]).toMatch(/^n4\s+killed -9\s+down(\s+-){7}$/);
    expect(lines[5]).toMatch(/^n5\s+killed TERM\s+down/);
    expect(lines.at(-1)).toBe('leader: n2 in term 13');
    // Each value sits under its own heading (a cut line would lose the right-hand columns first).
    const at = (heading: string) => lines[0]!.indexOf(heading) + heading.length;
    for (const [heading, value] of [['commit', '12345'], ['applied', '12344'], ['last', '12399'], ['snap', '12000']] as const) expect(lines[1]!.indexOf(value) + value.length).toBe(at(heading));
    // Wide enough: the full table, as the scrolling status command prints it.
    expect(renderView(nodes, 120)).toEqual(renderView(nodes));
    expect(renderView(nodes)[0]).toMatch(/^node\s+port\s+process\s+state/);
    // Narrower than 80: one short line per node, still every field.
    const tiny = renderView(nodes, 60);
    expect(tiny[1]).toBe('n1 old L2 ->n1 c12345 a12344 l12399 s12000 xn2,n3,n4,n5');
    expect(tiny[4]).toBe('n4 down');
    for (const line of tiny.slice(1)) expect(line.length, line).toBeLessThanOrEqual(59);
  });

  it('says so when no node leads', () => {
    const nodes = [node('n1', { role: 'candidate', leaderId: null }), node('n2', null)];
    expect(currentLeader(nodes)).toBeNull();
    expect(renderView(nodes).at(-1)).toBe('no leader right now (an election is under way, or no majority can talk)');
    expect(summaryLine(nodes)).toBe('no leader | n1 C3 c7 a7, n2 down');
  });
});

describe('telling a node the cut (tellCut)', () => {
  /** A fake node's admin API: heal and block as server.ts does them, with hooks to misbehave. */
  function fakeAdmin(id: string, options: { ignoreBlock?: boolean; refuseFirst?: number } = {}) {
    const blocked = new Set<string>();
    const calls: string[] = [];
    let refusals = options.refuseFirst ?? 0;
    const post = async (url: string, body: unknown): Promise<HttpAnswer> => {
      if (refusals > 0) {
        refusals -= 1;
        throw new NoAnswer('refused', url, 'ECONNREFUSED');
      }
      const route = new URL(url).pathname;
      calls.push(route);
      const peers = (body as { peers?: string[] }).peers;
      if (route === '/admin/heal') for (const p of peers ?? [...blocked]) blocked.delete(p);
      else if (!options.ignoreBlock) for (const p of peers ?? []) blocked.add(p);
      return { status: 200, body: { id, blocked: [...blocked].sort() } };
    };
    return { post, calls, blocked };
  }

  it("confirms what the node answered, and calls a 200 that did not block (or another node's answer) a failure", async () => {
    const good = fakeAdmin('n5');
    expect(await tellCut('n5', 'http://127.0.0.1:7405', ['n1', 'n2', 'n3', 'n4'], good.post)).toEqual({ ok: true, line: 'n5: drops traffic to and from n1, n2, n3, n4' });
    expect(good.calls).toEqual(['/admin/heal', '/admin/block']);
    expect(await tellCut('n5', 'http://127.0.0.1:7405', [], good.post)).toEqual({ ok: true, line: 'n5: talks to everyone' });
    expect(good.blocked.size).toBe(0);
    // Session 9's run: every confirmation printed, no node blocked. A node (or runner) that answers 200 without blocking is caught.
    const deaf = fakeAdmin('n1', { ignoreBlock: true });
    expect(await tellCut('n1', 'http://127.0.0.1:7401', ['n5'], deaf.post)).toEqual({ ok: false, line: 'n1: failed: it answered 200 but says it blocks nobody, not n5' });
    const other = fakeAdmin('n3');
    expect(await tellCut('n1', 'http://127.0.0.1:7401', ['n5'], other.post)).toMatchObject({ ok: false, line: expect.stringContaining('answered as "n3", not n1') });
  });

  it('a node restarted a moment ago (refusing connections while it starts) is asked again until it listens; a node that is not starting fails at once', async () => {
    const fresh = fakeAdmin('n5', { refuseFirst: 3 });
    expect(await tellCut('n5', 'http://127.0.0.1:7405', ['n1', 'n2'], fresh.post, () => true)).toEqual({ ok: true, line: 'n5: drops traffic to and from n1, n2' });
    expect([...fresh.blocked]).toEqual(['n1', 'n2']);
    const dead = fakeAdmin('n5', { refuseFirst: 1 });
    expect(await tellCut('n5', 'http://127.0.0.1:7405', ['n1'], dead.post, () => false)).toMatchObject({ ok: false, line: expect.stringMatching(/^n5: POST \/admin\/heal failed: connection refused/) });
    const never = fakeAdmin('n5', { refuseFirst: 1_000 });
    expect(await tellCut('n5', 'http://127.0.0.1:7405', ['n1'], never.post, () => true, 300)).toMatchObject({ ok: false, line: expect.stringContaining('did not listen within 0.3 s of its restart') });
  });
});
