// Three real store nodes, one cut off with POST /admin/block: CAP in both modes. In the consistent (strong)
// mode the cut-off node refuses writes with a reason that names the missing majority, and none of them is
// ever applied; in the available (eventual) mode both sides take writes, and after the heal anti-entropy
// brings them back as siblings that a write with their context replaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from '../../examples/store/node/client.ts';
import { stopAll } from '../helpers/processes.ts';
import { rawRequest, startCluster, until, type Cluster } from './cluster.ts';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster(3);
  await until('a first strong write', () => cluster.node('n1').client.put('warm-up', 'x'), (a) => a.kind === 'ok');
});
afterAll(stopAll);

const sorted = (a: Answer) => [...(a.values ?? [])].sort();

describe('a partition that cuts n3 off from n1 and n2', () => {
  const refusedKeys: string[] = [];

  it('cut off, n3 refuses strong writes (503, naming the majority) and never acknowledges one', async () => {
    const [n1, n2, n3] = [cluster.node('n1').client, cluster.node('n2').client, cluster.node('n3').client];
    await Promise.all([n1.block(['n3']), n2.block(['n3']), n3.block(['n1', 'n2'])]);
    let attempt = 0;
    const acknowledged: string[] = []; // must stay empty: collected here, because until() retries past a failed expect
    const refused = await until(
      'n3 to refuse a strong write because it has no majority',
      async () => {
        const key = `minority-${attempt++}`;
        const answer = await n3.put(key, 'from-the-minority', { timeoutMs: 15_000 });
        // While n3 still believes in an old leader (or still leads, alone) it may answer 503 or 504, never 200.
        if (answer.kind !== 'refused' && answer.kind !== 'unknown') acknowledged.push(`${key}: ${JSON.stringify(answer.body)}`);
        if (answer.kind === 'refused') refusedKeys.push(key);
        return answer;
      },
      (a) => a.kind === 'refused' && /majority/.test(a.error ?? ''),
    );
    expect(acknowledged).toEqual([]);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ retryable: true });
    expect(['no-leader', 'no-majority']).toContain(refused.reason);
    expect(refused.error).toMatch(/nothing was changed/);
  });

  it('the majority side keeps taking strong writes', async () => {
    const answer = await until('a strong write on the majority side', () => cluster.node('n1').client.put('majority-key', 'ok'), (a) => a.kind === 'ok');
    expect(answer.leader).not.toBe('n3');
  });

  it('in the available mode both sides take writes, and they come back as siblings after the heal', async () => {
    const [n1, n3] = [cluster.node('n1').client, cluster.node('n3').client];
    expect((await n1.put('cart', 'from-the-majority', { consistency: 'eventual' })).kind).toBe('ok');
    expect((await n3.put('cart', 'from-the-minority', { consistency: 'eventual' })).kind).toBe('ok');
    expect((await n3.get('cart', { consistency: 'eventual' })).values).toEqual(['from-the-minority']); // n3 alone
    await Promise.all(cluster.nodes.map((n) => n.client.heal()));
    for (const n of cluster.nodes) {
      const read = await until(`siblings at ${n.name}`, () => n.client.get('cart', { consistency: 'eventual' }), (a) => a.values?.length === 2);
      expect(sorted(read)).toEqual(['from-the-majority', 'from-the-minority']);
    }
    // A client that read both and writes with that context replaces them both, everywhere.
    const both = await n1.get('cart', { consistency: 'eventual' });
    expect((await n1.put('cart', 'merged', { consistency: 'eventual', context: both.context! })).kind).toBe('ok');
    for (const n of cluster.nodes) {
      await until(`the merged value at ${n.name}`, () => n.client.get('cart', { consistency: 'eventual' }), (a) => a.values?.length === 1 && a.values[0] === 'merged');
    }
  });

  it('no write that n3 refused was applied anywhere, and the majority\'s write is everywhere', async () => {
    expect(refusedKeys.length).toBeGreaterThan(0);
    for (const n of cluster.nodes) {
      await until(`strong read of majority-key at ${n.name}`, () => n.client.get('majority-key'), (a) => a.kind === 'ok' && a.values?.[0] === 'ok');
      for (const key of refusedKeys) {
        const read = await until(`strong read of ${key} at ${n.name}`, () => n.client.get(key), (a) => a.kind === 'ok' || a.kind === 'not-found');
        expect(read.kind, `${key} at ${n.name}`).toBe('not-found');
      }
    }
  });
});

describe('a leader cut off from its followers', () => {
  it('answers a strong write it sent but could not get confirmed with 504, outcome unknown', async () => {
    // The write reaches the leader's disk as pending; no follower stores it, so no majority: the client
    // cannot be told "written" nor "not applied". (Retried whole if the leader stepped down first: then 503.)
    let unknown: Answer | null = null;
    const keys: string[] = [];
    for (let attempt = 0; attempt < 5 && unknown === null; attempt++) {
      await Promise.all(cluster.nodes.map((n) => n.client.heal()));
      const key = `cut-leader-${attempt}`;
      const ok = await until('a leader for the key', () => cluster.node('n1').client.put(`${key}-probe`, 'x'), (a) => a.kind === 'ok');
      const leader = cluster.node(ok.leader!);
      await leader.client.block(cluster.nodes.map((n) => n.name).filter((n) => n !== leader.name));
      const answer = await leader.client.put(`${key}-probe`, 'never', { timeoutMs: 15_000 });
      expect(['unknown', 'refused'], JSON.stringify(answer.body)).toContain(answer.kind);
      keys.push(`${key}-probe`);
      if (answer.kind === 'unknown') unknown = answer;
    }
    expect(unknown?.status).toBe(504);
    expect(unknown?.body).toMatchObject({ outcome: 'unknown', error: expect.stringMatching(/may or may not have been applied/) });
    await Promise.all(cluster.nodes.map((n) => n.client.heal()));
    // Unknown means either: the old value, or the write (if a later leader found it on a voter's disk).
    for (const key of keys) {
      const read = await until(`strong read of ${key}`, () => cluster.node('n2').client.get(key), (a) => a.kind === 'ok');
      expect([['x'], ['never']]).toContainEqual(read.values);
    }
  });

  it('a request already forwarded twice is not forwarded again: 503 too-many-hops', async () => {
    const answer = await until('a leader', () => cluster.node('n1').client.put('hops', 'x'), (a) => a.kind === 'ok');
    const other = cluster.nodes.find((n) => n.name !== answer.leader)!;
    const raw = await rawRequest(other.port, 'GET', '/kv/hops', { 'x-store-hops': '2' }, '');
    expect(raw.status).toBe(503);
    expect(raw.json).toMatchObject({ reason: 'too-many-hops', retryable: true });
  });
});
