// Membership with real processes: a fourth node joins a three-node store with POST /admin/members, and leaves
// again. Only the keys whose replica set changed move (ring.ts), every acknowledged write stays readable
// through every node, and a node that restarts keeps the new membership (it was written to its data directory).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRing, keyMovement, preferenceList } from '../../examples/store/core/ring.ts';
import { defaultConfig } from '../../examples/store/core/types.ts';
import { stopAll, waitFor } from '../helpers/processes.ts';
import { startCluster, until, type Cluster } from './cluster.ts';

let cluster: Cluster;
const keys = Array.from({ length: 12 }, (_, i) => `member-key-${i}`);

beforeAll(async () => {
  cluster = await startCluster(4, {}, 3);
  for (const key of keys) {
    await until(`strong put of ${key}`, () => cluster.node('n1').client.put(key, `strong-${key}`), (a) => a.kind === 'ok');
    expect((await cluster.node('n2').client.put(key, `eventual-${key}`, { consistency: 'eventual' })).kind).toBe('ok');
  }
});
afterAll(stopAll);

describe('a node joins', () => {
  it('moves the keys whose replica set changed, and keeps every write readable through every node', async () => {
    const before = createRing(['n1', 'n2', 'n3'], defaultConfig.vnodes);
    const after = createRing(['n1', 'n2', 'n3', 'n4'], defaultConfig.vnodes);
    const moved = keyMovement(before, after, keys, 3).moved;
    expect(moved, 'some of the keys should gain n4 as a replica').toBeGreaterThan(0);

    const n4 = await cluster.start('n4');
    const members = ['n1', 'n2', 'n3', 'n4'];
    for (const name of ['n1', 'n2', 'n3']) {
      const status = await cluster.node(name).client.members(members, { n4: n4.url });
      expect(status.members).toEqual(members);
    }
    expect((await n4.client.status()).members).toEqual(members);

    for (const n of cluster.nodes) {
      for (const key of keys) {
        const strong = await until(`strong read of ${key} at ${n.name}`, () => n.client.get(key), (a) => a.kind === 'ok' && a.values?.[0] === `strong-${key}`);
        expect(strong.values).toEqual([`strong-${key}`]);
        await until(`eventual read of ${key} at ${n.name}`, () => n.client.get(key, { consistency: 'eventual' }), (a) => a.kind === 'ok' && a.values?.[0] === `eventual-${key}`);
      }
    }
    // Each node ends up holding exactly the keys it replicates under the new ring: the new replicas got
    // theirs, and the old holders dropped the ones they handed off.
    for (const n of cluster.nodes) {
      const expected = keys.filter((k) => preferenceList(after, k, 3).includes(n.name)).length;
      await waitFor(`${n.name} to hold its ${expected} keys`, async () => (await n.client.status()).keys === expected, 30_000);
    }
    expect((await cluster.node('n4').client.status()).keys).toBeGreaterThan(0);
  });

  it('a restarted node comes back with the membership it was given', async () => {
    await cluster.kill('n1', 'SIGTERM');
    const n1 = await cluster.start('n1');
    expect(n1.proc.lines.join('\n')).toMatch(/membership from .*members\.json \(set by POST \/admin\/members\): n1, n2, n3, n4/);
    expect((await n1.client.status()).members).toEqual(['n1', 'n2', 'n3', 'n4']);
    await until('a strong write through the restarted node', () => n1.client.put('after-restart', 'x'), (a) => a.kind === 'ok');
  });
});

describe('a node leaves', () => {
  it('hands its keys to their new replicas, drops them once they have them, and every write stays readable', async () => {
    const before = createRing(['n1', 'n2', 'n3', 'n4'], defaultConfig.vnodes);
    const after = createRing(['n1', 'n2', 'n3'], defaultConfig.vnodes);
    expect(keyMovement(before, after, keys, 3).moved, 'n4 held some of the keys').toBeGreaterThan(0);

    const members = ['n1', 'n2', 'n3'];
    for (const n of cluster.nodes) expect((await n.client.members(members)).members).toEqual(members);

    // n4 is in no replica set any more: it hands every key on and, once each new replica confirmed it, drops it.
    await waitFor('n4 to hand off and drop every key', async () => (await cluster.node('n4').client.status()).keys === 0, 30_000);
    const held = [...keys, 'after-restart']; // the test above wrote one more key
    for (const name of members) {
      const n = cluster.node(name);
      const expected = held.filter((k) => preferenceList(after, k, 3).includes(name)).length;
      await waitFor(`${name} to hold its ${expected} keys`, async () => (await n.client.status()).keys === expected, 30_000);
      for (const key of keys) {
        await until(`strong read of ${key} at ${name}`, () => n.client.get(key), (a) => a.kind === 'ok' && a.values?.[0] === `strong-${key}`);
        await until(`eventual read of ${key} at ${name}`, () => n.client.get(key, { consistency: 'eventual' }), (a) => a.kind === 'ok' && a.values?.[0] === `eventual-${key}`);
      }
    }
  });
});
