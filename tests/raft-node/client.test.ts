// The Raft client (examples/raft/node/client.ts) against scripted fake nodes: it follows a 421 to the leader
// it names, tries the next member on 503 or a refused connection, retries a 504 or a lost answer with the SAME
// client id and seq, numbers requests one at a time, and tells 'failed' (definitely not applied) from
// 'unknown' (maybe applied).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftClient } from '../../examples/raft/node/client.ts';
import { freePort } from '../helpers/processes.ts';

interface Seen {
  node: string;
  method: string;
  url: string;
  body: string;
}
type Script = (seen: Seen) => { status: number; body?: unknown; delayMs?: number } | 'hang' | 'reset';

const servers: http.Server[] = [];
let open = 0; // requests being answered right now, over all fake nodes
let most = 0;
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Fake nodes n1..nk; every request is recorded and answered by `script`. */
async function fakeNodes(count: number, script: Script): Promise<{ members: Record<string, string>; seen: Seen[] }> {
  const seen: Seen[] = [];
  const members: Record<string, string> = {};
  for (let i = 1; i <= count; i++) {
    const node = `n${i}`;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const s: Seen = { node, method: req.method!, url: req.url!, body };
        seen.push(s);
        const answer = script(s);
        if (answer === 'hang') return;
        if (answer === 'reset') return void req.socket.destroy();
        setTimeout(() => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
          open -= 1;
        }, answer.delayMs ?? 0);
        open += 1;
        most = Math.max(most, open);
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    members[node] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return { members, seen };
}

describe('the Raft client', () => {
  it('follows a 421 to the leader it names and sends every attempt with the same client and seq', async () => {
    let members: Record<string, string> = {};
    const fake = await fakeNodes(3, (s) =>
      s.node === 'n3' ? { status: 200, body: { key: 'k', value: 'v', index: 7, node: 'n3' } } : { status: 421, body: { error: 'not the leader', leader: 'n3', leaderUrl: members.n3 } },
    );
    members = fake.members;
    const c = new RaftClient({ members, clientId: 'alice' });
    const r = await c.put('a key/with space', 'v');
    expect(r).toMatchObject({ ok: true, status: 200, node: 'n3', body: { index: 7 } });
    expect(c.leader).toBe(members.n3);
    expect(new Set(fake.seen.map((s) => s.url))).toEqual(new Set(['/kv/a%20key%2Fwith%20space?client=alice&seq=1']));
    expect(fake.seen.at(-1)).toMatchObject({ node: 'n3', method: 'PUT', body: '{"value":"v"}' });
    // The next request goes straight to the leader, with the next seq.
    const before = fake.seen.length;
    expect(await c.cas('k', null, 'x')).toMatchObject({ ok: true, node: 'n3' });
    expect(fake.seen.slice(before)).toEqual([{ node: 'n3', method: 'POST', url: '/kv/k/cas?client=alice&seq=2', body: '{"expected":null,"value":"x"}' }]);
  });

  it("goes to its OWN address for the leader a 421 names (in Docker the node's leaderUrl is http://n3:7400); leaderUrl only for a name it does not know", async () => {
    // The follower's leaderUrl points at a fake that stands for the address the client cannot use: it records
    // every hit, so following it (the old behaviour) shows up as a hit there and extra attempts.
    const elsewhere = await fakeNodes(1, () => ({ status: 503, body: { error: 'not reachable from the client', leader: null, retryable: true } }));
    const peersUrl = elsewhere.members.n1!;
    const fake = await fakeNodes(5, (s) =>
      s.node === 'n3' ? { status: 200, body: { key: 'k', value: 'v', index: 7, node: 'n3' } } : { status: 421, body: { error: 'not the leader', leader: 'n3', leaderUrl: peersUrl } },
    );
    for (let i = 0; i < 5; i++) {
      // Whichever member it starts at: there (n3) or one redirect to n3 at the address it was given for n3.
      const c = new RaftClient({ members: fake.members, clientId: `d${i}`, timeoutMs: 2_000 });
      const r = await c.put('k', 'v');
      expect(r).toMatchObject({ ok: true, node: 'n3' });
      expect(r.attempts).toBeLessThanOrEqual(2);
      expect(c.leader).toBe(fake.members.n3);
    }
    expect(elsewhere.seen).toEqual([]);
    // A leader whose name is not among the members (or members given as a bare list): its leaderUrl is all there is.
    const leader = await fakeNodes(1, () => ({ status: 200, body: { key: 'k', value: 'v', index: 8, node: 'n9' } }));
    const follower = await fakeNodes(1, () => ({ status: 421, body: { error: 'not the leader', leader: 'n9', leaderUrl: leader.members.n1 } }));
    for (const members of [{ n1: follower.members.n1! }, [follower.members.n1!]]) {
      const r = await new RaftClient({ members, timeoutMs: 2_000 }).put('k', 'v');
      expect(r).toMatchObject({ ok: true, node: 'n9', attempts: 2 });
    }
  });

  it('a 404 and a 409 are answers; a 400 is a definite failure at once, not retried', async () => {
    const fake = await fakeNodes(1, (s) =>
      s.method === 'GET' ? { status: 404, body: { error: 'no value', key: 'k' } } : s.method === 'POST' ? { status: 409, body: { swapped: false, value: 'z' } } : { status: 400, body: { error: 'field "value" must be a string' } },
    );
    const c = new RaftClient({ members: fake.members });
    expect(await c.get('k')).toMatchObject({ ok: true, status: 404 });
    expect(await c.cas('k', 'a', 'b')).toMatchObject({ ok: true, status: 409, body: { value: 'z' } });
    expect(await c.put('k', 'v')).toEqual({ ok: false, outcome: 'failed', status: 400, error: 'field "value" must be a string', attempts: 1 });
  });

  it('503 everywhere until the deadline: failed (never applied); a 504 or a lost answer on the way: unknown', async () => {
    const refusing = await fakeNodes(2, () => ({ status: 503, body: { error: 'no leader', leader: null, retryable: true } }));
    const r1 = await new RaftClient({ members: refusing.members, timeoutMs: 400 }).put('k', 'v');
    expect(r1).toMatchObject({ ok: false, outcome: 'failed', status: 503 });
    expect(new Set(refusing.seen.map((s) => s.node))).toEqual(new Set(['n1', 'n2'])); // it tried both
    let first = true;
    const flaky = await fakeNodes(2, () => {
      if (first) {
        first = false;
        return { status: 504, body: { error: 'not committed within 5 s', outcome: 'unknown' } };
      }
      return { status: 503, body: { error: 'no leader', leader: null, retryable: true } };
    });
    const r2 = await new RaftClient({ members: flaky.members, timeoutMs: 400 }).put('k', 'v');
    expect(r2).toMatchObject({ ok: false, outcome: 'unknown' });
    const resetting = await fakeNodes(1, () => 'reset');
    const r3 = await new RaftClient({ members: resetting.members, timeoutMs: 300 }).put('k', 'v');
    expect(r3).toMatchObject({ ok: false, outcome: 'unknown', status: 0 });
  });

  it('a refused connection is skipped (the next member is tried) and counts as not applied', async () => {
    const fake = await fakeNodes(1, () => ({ status: 200, body: { key: 'k', value: 'v', index: 3, node: 'n2' } }));
    const closed = `http://127.0.0.1:${await freePort()}`;
    const c = new RaftClient({ members: { n1: closed, n2: fake.members.n1! } });
    for (let i = 0; i < 3; i++) expect(await c.put('k', 'v')).toMatchObject({ ok: true, node: 'n2' });
    const down = new RaftClient({ members: { n1: closed }, timeoutMs: 300 });
    expect(await down.put('k', 'v')).toMatchObject({ ok: false, outcome: 'failed', status: 0 });
  });

  it('an attempt that hangs is given up after attemptTimeoutMs and retried elsewhere with the same seq', async () => {
    const fake = await fakeNodes(2, (s) => (s.node === 'n1' ? 'hang' : { status: 200, body: { key: 'k', value: 'v', index: 1, node: 'n2' } }));
    const c = new RaftClient({ members: fake.members, clientId: 'bob', attemptTimeoutMs: 200 });
    // Whichever member it starts with, it ends at n2 with seq 1 every time.
    const r = await c.put('k', 'v');
    expect(r).toMatchObject({ ok: true, node: 'n2' });
    expect(new Set(fake.seen.map((s) => s.url))).toEqual(new Set(['/kv/k?client=bob&seq=1']));
  });

  it('calls made together go one at a time, numbered in order', async () => {
    most = 0;
    const fake = await fakeNodes(1, () => ({ status: 200, body: { key: 'k', value: 'v', index: 1, node: 'n1' }, delayMs: 30 }));
    const c = new RaftClient({ members: fake.members, clientId: 'carol', startSeq: 41 });
    await Promise.all([c.put('a', '1'), c.get('b'), c.delete('c')]);
    expect(fake.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['PUT /kv/a?client=carol&seq=42', 'GET /kv/b?client=carol&seq=43', 'DELETE /kv/c?client=carol&seq=44']);
    expect(most).toBe(1);
  });
});
