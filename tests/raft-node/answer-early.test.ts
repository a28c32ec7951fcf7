// A leader answers clients whose entries its followers just acknowledged even while its own fsync of later
// entries is in flight (server.ts, answerEarly): under load their next requests then catch the very next batch.
// Checked on the real server class beside a scripted peer n2 and a disk whose fsync the test holds: the early
// answer comes, and whatever that early round produced for the followers still waits for the held fsync (a
// message carrying an entry that is not on the leader's disk yet must never leave).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppendEntries, Message, Ready } from '../../examples/raft/core/types.ts';
import { createService } from '../../examples/raft/core/service.ts';
import { coreConfig, RaftServer } from '../../examples/raft/node/server.ts';
import type { RaftStorage } from '../../examples/raft/node/storage.ts';
import { freePort, waitFor } from '../helpers/processes.ts';

type Change = Pick<Ready, 'hardState' | 'snapshot' | 'log'>;

/** A disk whose fsyncs finish only when the test says so (or at once, when `hold` is off). */
class HeldDisk {
  hold = false;
  private waiting: (() => void)[] = [];
  readonly counters = { batches: 0, records: 0, fsyncs: 0, snapshots: 0 };
  persist(ready: Change): Promise<void> {
    if (!this.hold || (ready.hardState === null && ready.snapshot === null && ready.log === null)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
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

/** n2, scripted: grants every vote; acknowledges AppendEntries at once unless `holdAcks` (then keeps those that
 *  carry entries for the test to answer); records everything it got. */
class FakePeer {
  readonly received: Message[] = [];
  holdAcks = false;
  readonly held: AppendEntries[] = [];
  leaderUrl = '';
  readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(204).end();
      for (const m of (JSON.parse(body) as { messages: Message[] }).messages) {
        this.received.push(m);
        if (m.type === 'RequestVote') this.quietly(this.send({ type: 'RequestVoteReply', from: 'n2', to: 'n1', term: m.term, granted: true }));
        if (m.type === 'AppendEntries') {
          if (!this.holdAcks) this.quietly(this.ack(m));
          else if (m.entries.length > 0) this.held.push(m);
          // A heartbeat while holding: answer it (the leader must keep hearing from us, or its quorum check
          // makes it step down), claiming only the no-op it had from us before, so nothing new commits.
          else this.quietly(this.send({ type: 'AppendEntriesReply', from: 'n2', to: 'n1', term: m.term, success: true, matchIndex: 1, conflictTerm: null, conflictIndex: 0 }));
        }
      }
    });
  });

  ack(m: AppendEntries, success = true): Promise<void> {
    const matchIndex = m.prevLogIndex + m.entries.length;
    return this.send(success
      ? { type: 'AppendEntriesReply', from: 'n2', to: 'n1', term: m.term, success, matchIndex, conflictTerm: null, conflictIndex: 0 }
      : { type: 'AppendEntriesReply', from: 'n2', to: 'n1', term: m.term, success, matchIndex: 0, conflictTerm: null, conflictIndex: m.prevLogIndex });
  }

  async send(message: Message): Promise<void> {
    const r = await fetch(`${this.leaderUrl}/raft/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'n2', messages: [message] }) });
    expect(r.status).toBe(204);
  }

  /** An answer n2 sends on its own may find n1 already stopped at the end of a test: that is no failure. */
  private quietly(sent: Promise<void>): void {
    sent.catch(() => {});
  }

  /** Indices of every entry n2 has been sent so far. */
  entriesSeen(): number[] {
    return this.received.flatMap((m) => (m.type === 'AppendEntries' ? m.entries.map((e) => e.index) : []));
  }
}

const servers: { stop(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/** n1 (the real server, fsyncs held on demand) and the scripted n2; n1 is elected and its no-op committed. */
async function twoNodes() {
  const peer = new FakePeer();
  await new Promise<void>((r) => peer.server.listen(0, '127.0.0.1', r));
  servers.push({ stop: () => void peer.server.close() });
  const port = await freePort();
  peer.leaderUrl = `http://127.0.0.1:${port}`;
  const disk = new HeldDisk();
  const peers = { n1: peer.leaderUrl, n2: `http://127.0.0.1:${(peer.server.address() as AddressInfo).port}` };
  const config = { id: 'n1', host: '127.0.0.1', port, peers, dataDir: '/nonexistent', snapshotEvery: 0 };
  const node = new RaftServer(createService(coreConfig(config)), disk as unknown as RaftStorage, config, (err) => {
    throw err;
  });
  await new Promise<void>((r) => node.http.listen(port, '127.0.0.1', r));
  node.start();
  servers.push({ stop: () => (disk.release(), node.stop()) });
  await waitFor('n1 to lead with its no-op committed', () => node.service.raft.role === 'leader' && node.service.raft.commitIndex >= 1, 10_000, 10);
  const put = (key: string, value: string) =>
    fetch(`${peer.leaderUrl}/kv/${key}`, { method: 'PUT', body: JSON.stringify({ value }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  return { node, peer, disk, put };
}

describe('a leader answers acknowledged writes while a later fsync is in flight', () => {
  it("answers a write as soon as n2's acknowledgement commits it, while the fsync of the next write is still held", async () => {
    const { node, peer, disk, put } = await twoNodes();
    peer.holdAcks = true;
    let firstAnswered = false;
    const first = put('a', '1').then((a) => ((firstAnswered = true), a));
    await waitFor('the first write to reach n2', () => peer.held.some((m) => m.entries.length > 0), 10_000, 10);
    disk.hold = true;
    const second = put('b', '2');
    await waitFor("the second write's fsync to be under way", () => disk.pending > 0, 10_000, 10);
    const firstIndex = node.service.raft.log.at(-2)!.index;
    await peer.ack(peer.held.find((m) => m.entries.some((e) => e.index === firstIndex))!);
    // The first write is committed (n1 and n2 hold it): it is answered although n1's disk is still busy.
    await waitFor('the first write to be answered during the held fsync', () => firstAnswered, 5_000, 10);
    expect(disk.pending).toBeGreaterThan(0);
    expect(await first).toMatchObject({ status: 200, body: { key: 'a', value: '1', index: firstIndex } });
    // The second is not: it waits for its fsync and for n2, and n2 has not been sent it yet.
    expect(peer.entriesSeen()).not.toContain(firstIndex + 1);
    peer.holdAcks = false;
    disk.release();
    expect(await second).toMatchObject({ status: 200, body: { key: 'b', value: '2', index: firstIndex + 1 } });
  });

  it('what the early round produces for n2 (entries not yet on disk) waits for the held fsync', async () => {
    const { node, peer, disk, put } = await twoNodes();
    peer.holdAcks = true;
    void put('a', '1');
    await waitFor('the first write to reach n2', () => peer.held.some((m) => m.entries.length > 0), 10_000, 10);
    disk.hold = true;
    const second = put('b', '2');
    await waitFor("the second write's fsync to be under way", () => disk.pending > 0, 10_000, 10);
    const secondIndex = node.service.raft.log.at(-1)!.index;
    // n2 refuses the first write's message: n1 falls back to probing and resends from there, now including the
    // second write's entry, whose fsync is held. That resend must not leave before the fsync is done.
    const firstMessage = peer.held.find((m) => m.entries.length > 0)!;
    const before = peer.received.length;
    await peer.ack(firstMessage, false);
    await new Promise((r) => setTimeout(r, 300)); // time enough for a message to arrive, were one sent
    expect(peer.received.slice(before).flatMap((m) => (m.type === 'AppendEntries' ? m.entries.map((e) => e.index) : []))).not.toContain(secondIndex);
    expect(peer.entriesSeen()).not.toContain(secondIndex);
    peer.holdAcks = false;
    disk.release();
    await waitFor('the second entry to reach n2 after its fsync', () => peer.entriesSeen().includes(secondIndex), 10_000, 10);
    expect(await second).toMatchObject({ status: 200, body: { key: 'b', value: '2' } });
  });
});

describe('a write the followers never acknowledge', () => {
  it('gets 504 (outcome unknown) 5 s after it was proposed, not before', async () => {
    const { peer, put } = await twoNodes();
    peer.holdAcks = true; // n2 keeps answering heartbeats, so n1 stays leader, but never acknowledges the write
    const started = performance.now();
    const answer = await put('a', '1');
    expect(answer).toMatchObject({ status: 504, body: { outcome: 'unknown', node: 'n1' } });
    expect(String(answer.body.error)).toMatch(/proposed it at index \d+ but it was not committed within 5 s/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4_900); // not before its time
  });
});
