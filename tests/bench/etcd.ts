// The peer the store bench measures against: etcd (Raft, one leader for the whole key space), five members
// on loopback, each with its own temporary data directory, spoken to over its v3 HTTP/JSON gateway
// (POST /v3/kv/put and /v3/kv/range, keys and values base64) with the same HTTP client as our store.
//
// fsync: etcd fsyncs its write-ahead log before it acknowledges a write, always. Debian's 3.4.23 has no
// switch to turn that off (`--unsafe-no-fsync` only arrived in 3.5), and the bench would not set it anyway.
//
// Partitions: etcd has no API to cut a member off (the fault points of its tests need a special build), and
// five members on one loopback interface share one address, so a real cut needs firewall rules keyed on
// which process owns a socket, or a network namespace per member — root-only changes to the host that a
// bench should not make (the Docker stack is where real cuts belong). What the bench can do honestly is
// stop the minority's processes (SIGSTOP, SIGCONT to heal): to the majority a frozen member looks exactly
// like one behind a partition (no messages in, none out), so the majority side's availability is measured
// for real. The minority side is not: a frozen member answers nobody, which says nothing about what a live
// member cut off from the others would answer (etcd's design: it refuses writes and linearizable reads
// because it cannot reach a quorum, and may serve serializable reads from its own, possibly stale, copy).

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { freePort, makeTempDir, startCommand, waitFor, type Proc } from '../helpers/processes.ts';
import { answer, everyMemberWrites, type Consistency, type KvClient, type KvCluster } from './store-cluster.ts';
import { HttpClient } from './store-http.ts';

export const ETCD = process.env.ETCD ?? 'etcd';

/** `etcd 3.4.23 (go1.19.8)` or null when etcd is not installed. */
export function etcdVersion(): string | null {
  const out = spawnSync(ETCD, ['--version'], { encoding: 'utf8' });
  if (out.status !== 0 || out.stdout === undefined) return null;
  const version = /etcd Version: (\S+)/.exec(out.stdout)?.[1];
  const go = /Go Version: (\S+)/.exec(out.stdout)?.[1];
  return version === undefined ? null : `etcd ${version}${go === undefined ? '' : ` (${go})`}`;
}

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  proc: Proc;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export async function startEtcdCluster(size = 5): Promise<KvCluster> {
  const version = etcdVersion();
  if (version === null) throw new Error(`etcd is not installed (looked for "${ETCD}")`);
  const root = makeTempDir('bench-etcd-');
  const names = Array.from({ length: size }, (_, i) => `e${i + 1}`);
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), peer: await freePort() })));
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const token = `bench-${process.pid}-${Date.now()}`;
  const members: Member[] = names.map((name, i) => {
    const { client, peer } = ports[i]!;
    const dataDir = path.join(root, name);
    const args = [
      '--name', name,
      '--data-dir', dataDir,
      '--listen-client-urls', `http://127.0.0.1:${client}`,
      '--advertise-client-urls', `http://127.0.0.1:${client}`,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', initialCluster,
      '--initial-cluster-token', token,
      '--initial-cluster-state', 'new',
      '--logger', 'zap',
      '--log-level', 'warn',
    ];
    return { name, clientPort: client, peerPort: peer, dataDir, proc: startCommand(ETCD, args, {}, `etcd ${name}`) };
  });
  const byName = new Map(members.map((m) => [m.name, m]));
  const member = (name: string) => {
    const m = byName.get(name);
    if (m === undefined) throw new Error(`no etcd member ${name}`);
    return m;
  };
  let frozen: Member[] = [];

  /** The leader's name, as member `asked` sees it (POST /v3/maintenance/status). */
  const leader = async (asked: Member): Promise<string | null> => {
    const http = new HttpClient('127.0.0.1', asked.clientPort, 2_000);
    try {
      const a = await http.request('POST', '/v3/maintenance/status', {});
      const body = a.body as { leader?: string; header?: { member_id?: string } } | null;
      if (a.status !== 200 || body?.leader === undefined) return null;
      // The leader is given by member id; ask the member list which name that is.
      const list = await http.request('POST', '/v3/cluster/member/list', {});
      const found = (list.body as { members?: { ID?: string; name?: string }[] } | null)?.members?.find((m) => m.ID === body.leader);
      return found?.name ?? null;
    } finally {
      http.close();
    }
  };

  const cluster: KvCluster = {
    system: 'etcd',
    version,
    members: names,
    pids: () => members.map((m) => m.proc.pid),
    writeLevels: ['linearizable'],
    readLevels: ['linearizable', 'serializable'],
    client: (name, level, timeoutMs) => etcdClient(member(name).clientPort, level, timeoutMs),
    async ready(timeoutMs) {
      for (const m of members) {
        await waitFor(`etcd ${m.name} to elect or find a leader`, async () => {
          if (!m.proc.running()) throw new Error(`etcd ${m.name} exited:\n${m.proc.lines.slice(-15).join('\n')}`);
          return (await leader(m)) !== null;
        }, timeoutMs, 100);
      }
      await everyMemberWrites(cluster, timeoutMs);
    },
    partitionMethod:
      'SIGSTOP on the minority (its leader first), SIGCONT to heal: the majority cannot tell a frozen member from a cut-off one; ' +
      'the minority side is not measured (a frozen member answers nobody)',
    async chooseMinority(count) {
      const current = await leader(members[0]!);
      const rest = names.filter((n) => n !== current).reverse();
      return (current === null ? rest : [current, ...rest]).slice(0, count);
    },
    async cut(minority) {
      frozen = minority.map(member);
      for (const m of frozen) m.proc.child.kill('SIGSTOP');
      const majority = names.filter((n) => !minority.includes(n));
      return { majority: { members: majority, measurable: true }, minority: { members: minority, measurable: false } };
    },
    async heal() {
      for (const m of frozen) m.proc.child.kill('SIGCONT');
      frozen = [];
    },
    async stop() {
      for (const m of frozen) m.proc.child.kill('SIGCONT'); // a stopped process would not see SIGTERM
      frozen = [];
      await Promise.all(members.map((m) => m.proc.kill('SIGTERM')));
    },
  };
  return cluster;
}

/**
 * A client of etcd's gateway. Writes are always linearizable (a Raft log entry committed by a majority,
 * fsynced); a linearizable read goes through the leader's read index (a heartbeat round, no disk write),
 * a serializable read is answered from the member's own copy, which may lag (etcd API guarantees).
 */
function etcdClient(port: number, level: Consistency, timeoutMs: number): KvClient {
  const http = new HttpClient('127.0.0.1', port, timeoutMs);
  return {
    async put(key, value) {
      const a = await http.request('POST', '/v3/kv/put', { key: b64(key), value: b64(value) });
      return answer(a.status, a.body, a.error, [200]);
    },
    async get(key) {
      const a = await http.request('POST', '/v3/kv/range', { key: b64(key), serializable: level === 'serializable' });
      return answer(a.status, a.body, a.error, [200]);
    },
    close: () => http.close(),
  };
}
