// The node's ordering duty (core/types.ts, Ready), checked on the real server class with a disk whose fsync
// the test holds: no message leaves and no client is answered before the persist of the ready they belong
// to has finished. A vote sent before its fsync could be given twice after a crash; an acknowledged write
// could be lost.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ready } from '../../examples/raft/core/types.ts';
import { createService } from '../../examples/raft/core/service.ts';
import { coreConfig, RaftServer } from '../../examples/raft/node/server.ts';
import type { RaftStorage } from '../../examples/raft/node/storage.ts';
import { freePort, waitFor } from '../helpers/processes.ts';

type Change = Pick<Ready, 'hardState' | 'snapshot' | 'log'>;

/** A disk whose fsyncs finish only when the test says so (or at once, when `hold` is off). */
class HeldDisk {
  hold = false;
  written: Change[] = [];
  private waiting: (() => void)[] = [];
  readonly counters = { batches: 0, records: 0, fsyncs: 0, snapshots: 0 };
  persist(ready: Change): Promise<void> {
    if (ready.hardState === null && ready.snapshot === null && ready.log === null) return Promise.resolve();
    if (!this.hold) {
      this.written.push(ready);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.written.push(ready);
      resolve();
    }));
  }
  get pending(): number {
    return this.waiting.length;
  }
  release(): void {
    this.hold = false;
    for (const done of this.waiting.splice(0)) done();
  }
  async close(): Promise<void> {}
}

const servers: { stop(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function startNode(peers: Record<string, string>, port: number, disk: HeldDisk): Promise<RaftServer> {
  const config = { id: 'n1', host: '127.0.0.1', port, peers, dataDir: '/nonexistent', snapshotEvery: 0 };
  const node = new RaftServer(createService(coreConfig(config)), disk as unknown as RaftStorage, config, (err) => {
    throw err;
  });
  await new Promise<void>((r) => node.http.listen(port, '127.0.0.1', r));
  node.start();
  servers.push({ stop: () => (disk.release(), node.stop()) });
  return node;
}

describe('persist before send, persist before reply', () => {
  it('a candidate sends RequestVote only after its new term and self-vote are on disk', async () => {
    const received: { type: string; term: number }[] = [];
    const peer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        for (const m of (JSON.parse(body) as { messages: { type: string; term: number }[] }).messages) received.push(m);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    servers.push({ stop: () => void peer.close() });
    const port = await freePort();
    const disk = new HeldDisk();
    disk.hold = true;
    await startNode({ n1: `http://127.0.0.1:${port}`, n2: `http://127.0.0.1:${(peer.address() as AddressInfo).port}` }, port, disk);
    // Its election timeout (150-300 ms) runs out; the new term and vote wait for the held fsync.
    await waitFor('the candidate to ask for its term to be persisted', () => disk.pending > 0, 10_000, 10);
    await new Promise((r) => setTimeout(r, 400)); // time enough for a message to arrive, were one sent
    expect(received).toEqual([]);
    disk.release();
    await waitFor('a RequestVote at the peer', () => received.some((m) => m.type === 'RequestVote'), 10_000, 10);
    const first = received.find((m) => m.type === 'RequestVote')!;
    expect(disk.written.some((w) => w.hardState !== null && w.hardState.term >= first.term)).toBe(true);
  });

  it('a client is answered only after the entry it wrote is on disk', async () => {
    const port = await freePort();
    const disk = new HeldDisk();
    const node = await startNode({ n1: `http://127.0.0.1:${port}` }, port, disk);
    await waitFor('a cluster of one to elect itself', () => node.service.raft.role === 'leader' && node.service.raft.commitIndex >= 1, 10_000, 10);
    disk.hold = true;
    let answered = false;
    const answer = fetch(`http://127.0.0.1:${port}/kv/k`, { method: 'PUT', body: JSON.stringify({ value: 'v' }) }).then(async (r) => {
      answered = true;
      return { status: r.status, body: await r.json() };
    });
    await waitFor('the put to reach the disk', () => disk.pending > 0, 10_000, 10);
    await new Promise((r) => setTimeout(r, 300)); // time enough for an answer to arrive, were one sent
    expect(answered).toBe(false);
    disk.release();
    expect(await answer).toMatchObject({ status: 200, body: { key: 'k', value: 'v', node: 'n1' } });
    expect(disk.written.some((w) => w.log?.entries.some((e) => (e.command as { value?: string } | null)?.value === 'v'))).toBe(true);
  });
});
