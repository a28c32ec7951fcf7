// Five real Raft node processes with a small snapshot interval: kill -9 the leader, a new one is elected and
// serves writes, no acknowledged write is lost, a request retried with the same client+seq at the new leader
// is not applied twice; the old leader restarts and catches up through InstallSnapshot, because the leader
// compacted away the entries it missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvResult } from '../../examples/raft/node/client.ts';
import { stopAll, waitFor } from '../helpers/processes.ts';
import { rawRequest, rawToLeader, startCluster, type Cluster } from './cluster.ts';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster(5, { RAFT_SNAPSHOT_EVERY: '20' });
});
afterAll(stopAll);

function answered(r: KvResult): Extract<KvResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected an answer, got ${r.outcome}: ${r.error}`);
  return r;
}

describe('a five-node Raft cluster of real processes', () => {
  it('survives kill -9 of its leader without losing an acknowledged write; the old leader catches up by snapshot', async () => {
    const acknowledged = new Map<string, string>();
    const c = cluster.client();
    const write = async (key: string, value: string) => {
      answered(await c.put(key, value));
      acknowledged.set(key, value);
    };
    await cluster.leader();
    for (let i = 0; i < 10; i++) await write(`before-${i}`, `v${i}`);
    answered(await c.put('short-lived', 'x'));
    expect(answered(await c.delete('short-lived')).body).toMatchObject({ key: 'short-lived', previous: 'x' });
    expect(answered(await c.get('short-lived')).status).toBe(404);
    // Every follower sends a client to the leader (asked again if the leader changed in between).
    await waitFor('421 from all four followers naming one leader', async () => {
      const leader = await cluster.leader();
      const answers = await Promise.all(cluster.nodes.filter((n) => n !== leader).map((n) => rawRequest(n.port, 'GET', '/kv/before-1', {}, '')));
      return answers.every((a) => a.status === 421 && a.json?.leader === leader.name && a.json?.leaderUrl === leader.url);
    });
    // A cas with a client id and seq, answered by the leader...
    const cas = () => rawToLeader(cluster, 'POST', '/kv/ticket/cas?client=buyer-7&seq=1', JSON.stringify({ expected: null, value: 'sold' }));
    const sold = await cas();
    expect(sold.json).toMatchObject({ swapped: true, previous: null });
    const first = sold.node;
    const oldIndex = (await cluster.status(first.name)).lastIndex;

    await cluster.kill(first.name, 'SIGKILL');
    const second = await cluster.leader();
    expect(second.name).not.toBe(first.name);
    // ...and retried at the new leader (its answer was lost, say): the first answer, not a second swap.
    const retry = await cas();
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ swapped: true, previous: null });
    expect(retry.node.name).not.toBe(first.name);

    // Enough writes that every live node takes snapshots past the old leader's last entry.
    for (let i = 0; i < 60; i++) await write(`after-${i % 30}`, `w${i}`);
    const leaderNow = await cluster.leader();
    const snapshotIndex = (await cluster.status(leaderNow.name)).snapshotIndex;
    expect(snapshotIndex).toBeGreaterThan(oldIndex); // the entries the old leader lacks are compacted away

    await cluster.start(first.name);
    const target = (await cluster.status(leaderNow.name)).commitIndex;
    const caughtUp = await waitFor(`${first.name} catches up to ${target}`, async () => {
      const s = await cluster.status(first.name);
      return s.lastApplied >= target ? s : null;
    });
    expect(caughtUp.role).toBe('follower');
    expect(caughtUp.snapshotIndex).toBeGreaterThan(oldIndex); // it got the leader's snapshot (InstallSnapshot)

    // Nothing acknowledged is lost, and the retried cas did not apply twice.
    for (const [key, value] of acknowledged) expect(answered(await c.get(key)).body.value, key).toBe(value);
    expect(answered(await c.get('ticket')).body.value).toBe('sold');
    const swapAgain = answered(await c.cas('ticket', null, 'again'));
    expect(swapAgain.status).toBe(409);
  });

  it('after the whole cluster restarts, every node comes back from its own disk with the data', async () => {
    const c = cluster.client();
    answered(await c.put('durable', 'yes'));
    await Promise.all(cluster.nodes.map((n) => cluster.kill(n.name, 'SIGKILL')));
    await Promise.all(cluster.nodes.map((n) => cluster.start(n.name)));
    await cluster.leader();
    const c2 = cluster.client();
    expect(answered(await c2.get('durable')).body.value).toBe('yes');
    expect(answered(await c2.get('ticket')).body.value).toBe('sold');
  });
});
