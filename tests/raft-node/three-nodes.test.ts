// Three real Raft node processes: they elect a leader and serve put/get/delete/cas, a follower sends clients
// to the leader (421), a retried client+seq is applied once, bad input of every kind gets a 4xx without
// crashing a node or touching stored data, and a history of concurrent clients across a kill -9 of the
// leader and its restart is linearizable (Part II's checker).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvResult } from '../../examples/raft/node/client.ts';
import type { KvOperation } from '../helpers/kv-history.ts';
import { checkHistory } from '../helpers/linearizability.ts';
import { mulberry32 } from '../../examples/shared/random.ts';
import { startCommand, stopAll } from '../helpers/processes.ts';
import { rawRequest, rawToLeader, startCluster, type Cluster } from './cluster.ts';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster(3);
});
afterAll(stopAll);

function answered(r: KvResult): Extract<KvResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected an answer, got ${r.outcome}: ${r.error}`);
  return r;
}

describe('a three-node Raft cluster of real processes', () => {
  it('elects one leader and serves put, get, delete and cas through it', async () => {
    const leader = await cluster.leader();
    const c = cluster.client();
    expect(answered(await c.put('colour', 'red')).body).toMatchObject({ key: 'colour', value: 'red', node: leader.name });
    const read = answered(await c.get('colour'));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ key: 'colour', value: 'red' });
    expect(read.body.index).toBeGreaterThan(1); // reads go through the log: after the no-op and the put
    const missed = answered(await c.cas('colour', 'blue', 'green'));
    expect(missed.status).toBe(409);
    expect(missed.body).toMatchObject({ key: 'colour', swapped: false, value: 'red' });
    expect(answered(await c.cas('colour', 'red', 'green')).body).toMatchObject({ key: 'colour', swapped: true, previous: 'red' });
    expect(answered(await c.cas('new-key', null, 'first')).body).toMatchObject({ swapped: true, previous: null });
    expect(answered(await c.delete('colour')).body).toMatchObject({ key: 'colour', previous: 'green' });
    const gone = answered(await c.get('colour'));
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ key: 'colour' });
    expect(gone.body.error).toMatch(/no value/);
    // Keys travel percent-encoded: spaces, slashes, unicode and names like __proto__ are ordinary keys.
    for (const key of ['a b/c', 'ключ', '__proto__', 'constructor']) {
      answered(await c.put(key, `value of ${key}`));
      expect(answered(await c.get(key)).body.value).toBe(`value of ${key}`);
    }
  });

  it('a follower answers 421 with the leader and its URL, and applies nothing', async () => {
    // Asked again if the leader changed in between (a busy machine can delay heartbeats into an election).
    let answer: Awaited<ReturnType<typeof rawRequest>> | null = null;
    let key = '';
    for (let attempt = 0; answer === null; attempt++) {
      const leader = await cluster.leader();
      const follower = cluster.nodes.find((n) => n.name !== leader.name)!;
      key = `redirected-${attempt}`;
      const r = await rawRequest(follower.port, 'PUT', `/kv/${key}`, { 'content-type': 'application/json' }, JSON.stringify({ value: 'x' }));
      if (r.status === 421 || attempt === 5) answer = r;
      else expect(r.status, r.text).toBe(200); // it had become the leader itself
    }
    expect(answer.status).toBe(421);
    const leaderName = String(answer.json?.leader);
    expect(answer.json).toMatchObject({ leader: leaderName, leaderUrl: cluster.members[leaderName] });
    expect(answer.json?.error).toMatch(/not the leader/);
    expect(answered(await cluster.client().get(key)).status).toBe(404);
    const s = await cluster.status(leaderName);
    expect(s).toMatchObject({ id: leaderName, blocked: [] });
    expect(s.leaderUrl).toBe(s.leaderId === null ? null : cluster.members[s.leaderId]);
  });

  it('the same client and seq sent again is applied once and answered with the first result', async () => {
    const cas = () => rawToLeader(cluster, 'POST', '/kv/once/cas?client=tester-1&seq=1', JSON.stringify({ expected: null, value: 'a' }));
    expect((await cas()).json).toMatchObject({ swapped: true, previous: null });
    // Applied again, this cas would fail (the key holds "a" now): the retry gets the first answer instead.
    const retry = await cas();
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ swapped: true, previous: null });
    // A late copy of an older request (seq 2 is answered, then seq 1's put arrives) is not applied either.
    const put = (value: string, seq: number) => rawToLeader(cluster, 'PUT', `/kv/once?client=tester-1&seq=${seq}`, JSON.stringify({ value }));
    expect((await put('b', 2)).json).toMatchObject({ value: 'b' });
    await put('stale', 1);
    expect(answered(await cluster.client().get('once')).body.value).toBe('b');
  });

  it('bad input of every kind gets a 4xx with a reason; no node crashes and stored data is intact', async () => {
    const leader = await cluster.leader();
    const c = cluster.client();
    answered(await c.put('precious', 'keep me'));
    const json = { 'content-type': 'application/json' };
    const cases: [string, string, string, string | Buffer, number, RegExp?][] = [
      ['PUT', '/kv/k', 'not json', 'not json', 400, /not valid JSON/],
      ['PUT', '/kv/k', 'empty', '', 400, /empty/],
      ['PUT', '/kv/k', 'a number value', '{"value": 5}', 400, /"value" must be a string/],
      ['PUT', '/kv/k', 'no value', '{}', 400, /"value" must be a string/],
      ['PUT', '/kv/k', 'an array', '["value"]', 400, /JSON object/],
      ['PUT', '/kv/k', 'an unknown field', '{"value": "v", "ttl": 3}', 400, /unknown field "ttl"/],
      ['PUT', '/kv/k', 'a 64 KiB + 1 value', JSON.stringify({ value: 'x'.repeat(64 * 1024 + 1) }), 400, /at most 65536/],
      ['PUT', `/kv/${'k'.repeat(201)}`, 'a 201-character key', '{"value": "v"}', 400, /at most 200/],
      ['PUT', '/kv/a%0Ab', 'a newline in the key', '{"value": "v"}', 400, /control character/],
      ['PUT', '/kv/%E0%A4%A', 'broken percent-encoding', '{"value": "v"}', 400, /percent-encoding/],
      ['PUT', '/kv/k?client=c1', 'client without seq', '{"value": "v"}', 400, /both client and seq/],
      ['PUT', '/kv/k?client=c1&seq=0', 'seq 0', '{"value": "v"}', 400, /positive whole number/],
      ['PUT', '/kv/k?client=c1&seq=1.5', 'a fractional seq', '{"value": "v"}', 400, /positive whole number/],
      ['PUT', '/kv/k?client=a%20b&seq=1', 'a client id with a space', '{"value": "v"}', 400, /client must be/],
      ['PUT', '/kv/k?consistency=eventual', 'an unknown query parameter', '{"value": "v"}', 400, /unknown query parameter/],
      ['POST', '/kv/k/cas', 'cas without expected', '{"value": "v"}', 400, /"expected" is missing/],
      ['POST', '/kv/k/cas', 'cas with a number expected', '{"expected": 1, "value": "v"}', 400, /"expected" must be a string/],
      ['GET', '/kv/k', 'a GET with a body', '{"value": "v"}', 400, /takes no body/],
      ['PUT', '/kv/k', 'a body over 512 KiB', Buffer.alloc(600 * 1024, 0x61), 413, /over the/],
      ['GET', '/nowhere', 'an unknown route', '', 404, /no route/],
      ['GET', '/kv/', 'no key', '', 404, /no key/],
      ['POST', '/raft/messages', 'peer: not json', '{', 400, /not valid JSON/],
      ['POST', '/raft/messages', 'peer: unknown sender', JSON.stringify({ from: 'n9', messages: [] }), 400, /"from" must name a member/],
      ['POST', '/raft/messages', 'peer: from itself', JSON.stringify({ from: leader.name, messages: [] }), 400, /this node itself/],
    ];
    const other = cluster.nodes.find((n) => n.name !== leader.name)!.name;
    const bad = (message: Record<string, unknown>) => JSON.stringify({ from: other, messages: [{ from: other, to: leader.name, term: 1, ...message }] });
    const peerCases: [string, string, RegExp][] = [
      ['an unknown type', bad({ type: 'Hello' }), /type must be one of/],
      ['a negative term', JSON.stringify({ from: other, messages: [{ type: 'RequestVote', from: other, to: leader.name, term: -1, lastLogIndex: 0, lastLogTerm: 0 }] }), /term must be/],
      ['a message to another node', JSON.stringify({ from: other, messages: [{ type: 'RequestVoteReply', from: other, to: 'n7', term: 1, granted: true }] }), /message to "n7"/],
      ['an entry with a bad command', bad({ type: 'AppendEntries', term: 999, prevLogIndex: 0, prevLogTerm: 0, leaderCommit: 0, entries: [{ index: 1, term: 999, command: { op: 'drop-table', key: 'k' } }] }), /op must be put, get, delete or cas/],
      ['entries with a gap', bad({ type: 'AppendEntries', term: 999, prevLogIndex: 0, prevLogTerm: 0, leaderCommit: 5, entries: [{ index: 2, term: 1, command: null }] }), /entries\[0\]\.index must be 1/],
      ['a snapshot with numbers for values', bad({ type: 'InstallSnapshot', term: 999, snapshot: { lastIndex: 50, lastTerm: 1, data: { data: { precious: 7 }, sessions: {} } } }), /snapshot\.data\.data/],
      ['a vote reply with a string', bad({ type: 'RequestVoteReply', granted: 'yes' }), /granted is missing or of the wrong type/],
    ];
    for (const [what, body, pattern] of peerCases) cases.push(['POST', '/raft/messages', `peer: ${what}`, body, 400, pattern]);
    for (const [method, target, what, body, status, pattern] of cases) {
      const r = await rawRequest(leader.port, method, target, json, body);
      expect(r.status, `${what}: ${r.text.slice(0, 200)}`).toBe(status);
      if (pattern) expect(r.json?.error, what).toMatch(pattern);
    }
    const wrongMethod = await rawRequest(leader.port, 'PATCH', '/kv/k', json, '');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, PUT, DELETE');
    expect((await rawRequest(leader.port, 'GET', '/raft/messages', json, '')).headers.allow).toBe('POST');
    // Random bodies and paths: only ever 4xx (or a real answer), never a 5xx or a dropped connection.
    const random = mulberry32(9);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    for (let i = 0; i < 120; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      const body = pick([bytes, JSON.stringify(pick([null, 1, 'x', [], {}, { value: null }, { value: ['a'] }, { expected: {}, value: 'v' }, { from: other, messages: [null] }, { from: other, messages: 'no' }]))]);
      const target = pick(['/kv/fuzz', '/kv/fuzz/cas', '/raft/messages', '/admin/block', '/status', `/kv/${encodeURIComponent(bytes.toString('latin1').slice(0, 20)) || 'x'}`]);
      const r = await rawRequest(leader.port, pick(['GET', 'PUT', 'POST', 'DELETE']), target, json, body);
      expect(r.status, `${target}: ${r.text.slice(0, 200)}`).toBeLessThan(500);
    }
    // A client that goes away in the middle of its body.
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(leader.port, '127.0.0.1', () => {
        socket.write('PUT /kv/cut HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"value":');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 200);
      });
      socket.on('error', reject);
    });
    // Bytes that are not HTTP at all: a JSON 400 from the server, not a dropped connection.
    const garbage = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = net.connect(leader.port, '127.0.0.1', () => socket.write('HELLO THERE\r\n\r\n'));
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\n\{"error":"the HTTP request could not be parsed \(HPE_/);
    // Every node still runs, the leader is the same, and the data is there.
    for (const n of cluster.nodes) expect(n.proc.running(), `${n.name} still running`).toBe(true);
    // The peer messages with term 999 were refused whole: no node ever stepped into that term.
    for (const n of cluster.nodes) expect((await cluster.status(n.name)).term, n.name).toBeLessThan(999);
    expect(answered(await c.get('precious')).body.value).toBe('keep me');
    expect(answered(await c.get('fuzz')).status).toBe(404);
    expect(cluster.nodes.flatMap((n) => n.proc.lines).filter((l) => /internal error/.test(l))).toEqual([]);
  });

  it('npm run raft -- put/get/status/cas talks to the cluster, with exit 0/1/2', async () => {
    const peers = Object.entries(cluster.members).map(([n, u]) => `${n}=${u}`).join(',');
    const cli = async (...args: string[]) => {
      const p = startCommand(process.execPath, ['--import', 'tsx', 'examples/raft/node/cli.ts', ...args], { RAFT_PEERS: peers }, `cli ${args[0]}`);
      const { code } = await p.exited;
      return { code, out: p.lines.join('\n') };
    };
    const [put, typo] = await Promise.all([cli('put', 'cli-key', 'hello world'), cli('put', 'cli-key')]);
    expect(put.code, put.out).toBe(0);
    expect(put.out).toMatch(/^"cli-key" = "hello world": written \(node n\d, log index \d+\)$/);
    expect(typo.code).toBe(2);
    expect(typo.out).toContain('raft: put takes 2 arguments, got 1');
    const [get, status, cas] = await Promise.all([cli('get', 'cli-key'), cli('status'), cli('cas', 'cli-key', 'nope', 'x')]);
    expect(get.code, get.out).toBe(0);
    expect(get.out).toMatch(/^"cli-key" = "hello world" \(node n\d, log index \d+\)$/);
    expect(status.code, status.out).toBe(0);
    expect(status.out.split('\n').filter((l) => /^n\d +(leader|follower|candidate) +term +\d+ +leader /.test(l))).toHaveLength(3);
    expect(cas.code).toBe(1);
    expect(cas.out).toMatch(/^not swapped: "cli-key" holds "hello world"/);
  });

  it('a follower that stops answering (SIGSTOP) does not hold up the others; it catches up after SIGCONT', async () => {
    const leader = await cluster.leader();
    const stuck = cluster.nodes.find((n) => n.name !== leader.name)!;
    const c = cluster.client();
    answered(await c.get('warm-up')); // the client knows the leader now (else it might try the stuck node first)
    process.kill(stuck.proc.pid, 'SIGSTOP'); // its socket accepts connections, but nothing answers
    try {
      for (let i = 0; i < 30; i++) answered(await c.put(`while-stuck-${i}`, `v${i}`));
    } finally {
      process.kill(stuck.proc.pid, 'SIGCONT');
    }
    const now = await cluster.leader();
    const target = (await cluster.status(now.name)).commitIndex;
    await waitUntil(async () => (await cluster.status(stuck.name)).lastApplied >= target);
  });

  it('POST /admin/block cuts a node off (a new leader is elected without it) and /admin/heal brings it back', async () => {
    const leader = await cluster.leader();
    const others = cluster.nodes.filter((n) => n.name !== leader.name).map((n) => n.name);
    const bad = await rawRequest(leader.port, 'POST', '/admin/block', { 'content-type': 'application/json' }, JSON.stringify({ peers: 'n2' }));
    expect(bad.status).toBe(400);
    expect(bad.json?.error).toMatch(/"peers" must be an array of node names/);
    const blocked = await rawRequest(leader.port, 'POST', '/admin/block', { 'content-type': 'application/json' }, JSON.stringify({ peers: others }));
    expect(blocked.json).toEqual({ id: leader.name, blocked: others });
    try {
      await cutOff(leader.name, others);
    } finally {
      const healed = await rawRequest(leader.port, 'POST', '/admin/heal', {}, '');
      expect(healed.json).toEqual({ id: leader.name, blocked: [] });
    }
    const now = await cluster.leader();
    const target = (await cluster.status(now.name)).commitIndex;
    await waitUntil(async () => (await cluster.status(leader.name)).lastApplied >= target);
    expect(answered(await cluster.client().get('during-partition')).body.value).toBe('yes');
  });

  async function cutOff(name: string, others: string[]): Promise<void> {
    const successor = await waitUntilValue(async () => {
      const s = await Promise.all(others.map((n) => cluster.status(n)));
      const l = s.find((x) => x.role === 'leader');
      return l !== undefined && s.every((x) => x.leaderId === l.id) ? l.id : null;
    });
    expect(others).toContain(successor);
    const c = cluster.client({ members: Object.fromEntries(others.map((n) => [n, cluster.members[n]!])) });
    answered(await c.put('during-partition', 'yes'));
    // Check-quorum: a leader that hears no majority for an election timeout steps down.
    await waitUntil(async () => (await cluster.status(name)).role !== 'leader');
    expect((await cluster.status(name)).blocked).toEqual(others);
  }

  it('a history of concurrent clients across a kill -9 of the leader and its restart is linearizable', async () => {
    const history: KvOperation[] = [];
    const keys = ['x', 'y'];
    const t0 = performance.now();
    const now = () => Math.round((performance.now() - t0) * 1000) / 1000;
    let running = true;
    const worker = async (id: number) => {
      const random = mulberry32(100 + id);
      const c = cluster.client({ clientId: `lin-${id}`, timeoutMs: 8_000, attemptTimeoutMs: 2_000 });
      for (let n = 0; running; n++) {
        const key = keys[Math.floor(random() * keys.length)]!;
        const roll = random();
        const value = `${id}.${n}`;
        const call = now();
        const op: KvOperation =
          roll < 0.4 ? { client: id, op: 'get', key, call, return: null }
          : roll < 0.75 ? { client: id, op: 'put', key, value, call, return: null }
          : roll < 0.9 ? { client: id, op: 'cas', key, expected: random() < 0.5 ? null : `${Math.floor(random() * 4)}.${Math.floor(random() * 10)}`, value, call, return: null }
          : { client: id, op: 'delete', key, call, return: null };
        const r = op.op === 'get' ? await c.get(key) : op.op === 'put' ? await c.put(key, value) : op.op === 'cas' ? await c.cas(key, op.expected!, value) : await c.delete(key);
        if (r.ok) {
          op.return = now();
          if (op.op === 'get') op.output = r.status === 404 ? null : r.body.value;
          if (op.op === 'cas') op.output = r.status === 200;
        } else if (r.outcome === 'failed') {
          op.return = now();
          op.error = r.error;
        }
        history.push(op);
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await new Promise((r) => setTimeout(r, 1_500));
    const victim = await cluster.leader();
    await cluster.kill(victim.name, 'SIGKILL');
    const successor = await cluster.leader();
    expect(successor.name).not.toBe(victim.name);
    await new Promise((r) => setTimeout(r, 1_000));
    await cluster.start(victim.name);
    await new Promise((r) => setTimeout(r, 1_000));
    running = false;
    await Promise.all(workers);
    const answeredOps = history.filter((o) => o.return !== null && o.error === undefined);
    expect(answeredOps.length).toBeGreaterThan(20); // the check below checked something
    const result = checkHistory(history);
    expect(result.ok, result.ok ? '' : result.reason).toBe(true);
    // The restarted node catches up with the cluster's commit index.
    const leader = await cluster.leader();
    const target = (await cluster.status(leader.name)).commitIndex;
    await waitUntil(async () => (await cluster.status(victim.name)).lastApplied >= target);
  });
});

async function waitUntilValue<T>(value: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await value().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for a value');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, 100));
  }
}
