// npm run bench:raft: how fast the Raft KV fails over and how many writes it takes, measured.
//
//   npm run bench:raft                       both parts (about 2 minutes); writes tests/bench/results/raft.json and
//                                            regenerates docs/consensus/parts/raft-failover.md and raft-throughput.md
//   npm run bench:raft -- failover           only the failover part (the simulator; ~1 minute)
//   npm run bench:raft -- throughput         only the throughput part (real processes, ours and etcd)
//   npm run bench:raft -- --render           only regenerates the page parts from the saved JSON
//   options: --crashes=N        leader crashes per setting (default 1000)
//            --clients=1,16,64  client counts for the throughput part
//            --seconds=N        measured window per throughput run (default 5)
//            --only=ours|etcd   measure one system only (throughput)
//            --quick            200 crashes, 2 s windows; prints only (writes nothing)
//            --note="..."       a remark saved beside the figures (e.g. that the machine was busy)
//
// 1. failover: five nodes of the real core in the seeded simulator (examples/raft/sim). The leader is crashed
//    at a random moment of its heartbeat interval, and the time until some node is leader of a newer term is
//    recorded; then the old node restarts and the cluster settles before the next crash. Election timeouts as in
//    the paper's Figure 16 (§9.3): 150–155, 150–175, 150–200 and 150–300 ms. Each message is delayed 10–20 ms
//    (~15 ms) and every node fsyncs (1–3 ms) before it sends. A second table shows the 150–300 ms setting
//    under three networks: how the time messages take (and how much it varies) decides how often votes split.
// 2. throughput: a three-node cluster of examples/raft/node/server.ts on loopback (fsync on) and a three-member
//    etcd (Debian's etcd-server, through its v3 HTTP/JSON gateway), both driven the same way: N clients, each
//    one write at a time to the leader, 256-byte values. The ratio ours ÷ etcd is printed per row.
// A benchmark, not a test: it is not part of `npm test`, and nothing in it asserts a time.

import os from 'node:os';
import { createWorld, crash, leaderOf, restart, runTicks, runUntil, type World } from '../../examples/raft/sim/world.ts';
import { mulberry32 } from '../../examples/shared/random.ts';
import { raftTopology } from '../../examples/raft/node/topology.ts';
import { makeTempDir, startScript, stopAll, waitFor, type Proc } from '../helpers/processes.ts';
import { fsyncLatency } from './disk.ts';
import { etcdVersion, startEtcdCluster } from './etcd.ts';
import { freePortBlock, type Answer, type KvClient } from './store-cluster.ts';
import { HttpClient } from './store-http.ts';
import { runLoop, throughput } from './store-load.ts';
import {
  failoverTable,
  renderSavedRaftReport,
  savedRaftReport,
  summarize,
  targetMet,
  throughputTable,
  writeRaftReport,
  type FailoverReport,
  type FailoverRun,
  type Machine,
  type RaftBenchReport,
  type ThroughputReport,
  type ThroughputRow,
} from './raft-report.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`) || args.includes(name);
const text = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = flag('quick');
const partsAsked = (['failover', 'throughput'] as const).filter((p) => args.includes(p));
const parts = partsAsked.length === 0 ? (['failover', 'throughput'] as const) : partsAsked;
const crashes = Number(text('crashes') ?? (quick ? 200 : 1000));
const only = text('only');

const FAILOVER_SEED = 2026;
/** Our nodes snapshot every this many entries in the bench (etcd 3.4's default --snapshot-count is 100,000;
 *  the node's own default, 1,000, is small so that learners see compaction). */
const SNAPSHOT_EVERY = 10_000;
const HEARTBEAT = 50;
const DELAY: [number, number] = [10, 20];
const DISK: [number, number] = [1, 3];
const LIMIT_MS = 10_000;
const TIMEOUTS: [number, number][] = [[150, 155], [150, 175], [150, 200], [150, 300]];
/** The 150–300 ms setting under networks that differ in how long messages take and how much that varies. */
const NETWORKS: { label: string; delay: [number, number]; disk: [number, number] }[] = [
  { label: 'each message 10–20 ms, fsync 1–3 ms (the chart above)', delay: DELAY, disk: DISK },
  { label: 'each message 14–16 ms, fsync 1–3 ms (same mean, less variation)', delay: [14, 16], disk: DISK },
  { label: 'each message 2–4 ms, fsync 4–6 ms (a LAN with a slower disk)', delay: [2, 4], disk: [4, 6] },
];

function machine(start: number[]): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: start,
    loadAverageAtEnd: os.loadavg(),
  };
}

// ---- failover -------------------------------------------------------------------------------------------------

/** `count` leader crashes in one simulated cluster; the time to a new leader after each. */
export function measureFailover(timeoutMs: [number, number], count: number, seed: number, delay: [number, number], disk: [number, number]): FailoverRun & { splitVotes: number } {
  const world: World = createWorld({ seed, electionTicks: timeoutMs, heartbeatTicks: HEARTBEAT, network: { delay }, diskTicks: disk });
  const moment = mulberry32(seed ^ 0x5eed);
  const samples: number[] = [];
  let noLeader = 0;
  let splitVotes = 0;
  while (samples.length + noLeader < count) {
    // (With almost no randomness, the votes can keep splitting for many seconds: wait for a leader.)
    if (!runUntil(world, (w) => leaderOf(w) !== null, 20 * LIMIT_MS)) throw new Error(`no leader for ${20 * LIMIT_MS} ms before a crash (timeouts ${timeoutMs.join('–')}, seed ${seed})`);
    // Let the cluster settle (everyone heard the leader), then crash it at a random moment of its heartbeat interval.
    runTicks(world, 2 * timeoutMs[1] + Math.floor(moment() * HEARTBEAT));
    const old = leaderOf(world);
    if (old === null) continue;
    const term = world.nodes[old]!.service!.raft.term;
    crash(world, old);
    const crashedAt = world.now;
    const elected = runUntil(world, (w) => leaderOf(w) !== null, LIMIT_MS);
    if (elected) {
      samples.push(world.now - crashedAt);
      const newTerm = world.nodes[leaderOf(world)!]!.service!.raft.term;
      if (newTerm > term + 1) splitVotes += 1; // more than one election was needed
    } else noLeader += 1;
    restart(world, old);
  }
  samples.sort((a, b) => a - b);
  return { timeoutMs, samplesMs: samples, noLeader, splitVotes };
}

function failover(): FailoverReport {
  const runs: (FailoverRun & { splitVotes: number })[] = [];
  for (const [i, t] of TIMEOUTS.entries()) {
    const started = performance.now();
    const run = measureFailover(t, crashes, FAILOVER_SEED + i, DELAY, DISK);
    runs.push(run);
    const m = summarize(run);
    console.log(
      `  timeouts ${m.label.padEnd(11)} median ${String(m.median).padStart(5)} ms  p90 ${String(m.p90).padStart(5)}  worst ${String(m.worst).padStart(5)}  ` +
        `second election needed ${String(run.splitVotes).padStart(4)}/${crashes}  (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
  const networks = NETWORKS.map((n, i) => {
    const run = i === 0 ? runs[runs.length - 1]! : measureFailover([150, 300], crashes, FAILOVER_SEED + 10 + i, n.delay, n.disk);
    if (i > 0) {
      const m = summarize(run);
      console.log(`  150–300 ms, ${n.label}: median ${m.median} ms, worst ${m.worst} ms, second election ${run.splitVotes}/${crashes}`);
    }
    return { label: n.label, run };
  });
  return {
    settings: { crashes, nodes: 5, heartbeatMs: HEARTBEAT, delayMs: DELAY, limitMs: LIMIT_MS, seed: FAILOVER_SEED },
    runs,
    networks,
  };
}

// ---- throughput -----------------------------------------------------------------------------------------------

interface Cluster {
  leaderPort(): Promise<number>;
  stop(): Promise<void>;
}

async function startOurs(size = 3): Promise<Cluster> {
  const base = await freePortBlock(size);
  const specs = raftTopology(base).slice(0, size);
  const peers = specs.map((s) => `${s.name}=http://127.0.0.1:${s.port}`).join(',');
  const procs: Proc[] = specs.map((s) =>
    startScript(s.script, { ...s.env, RAFT_PEERS: peers, RAFT_DATA: makeTempDir(`bench-raft-${s.name}-`), RAFT_SNAPSHOT_EVERY: String(SNAPSHOT_EVERY) }, `raft ${s.name}`),
  );
  const leaderPort = async (): Promise<number> =>
    waitFor('our Raft cluster to elect a leader', async () => {
      for (const [i, s] of specs.entries()) {
        if (!procs[i]!.running()) throw new Error(`raft ${s.name} exited:\n${procs[i]!.lines.slice(-15).join('\n')}`);
        const http = new HttpClient('127.0.0.1', s.port, 1_000);
        try {
          const a = await http.request('GET', '/status');
          if ((a.body as { role?: string } | null)?.role === 'leader') return s.port;
        } finally {
          http.close();
        }
      }
      return null;
    }, 20_000, 100);
  return { leaderPort, stop: async () => void (await Promise.all(procs.map((p) => p.kill('SIGTERM')))) };
}

/**
 * A client of our cluster, talking to the leader. If leadership moves during a run (a node that misses
 * heartbeats on a busy machine starts an election), a 421 names the new leader: the client moves there and
 * sends the request again, as etcd's clients do; the time that takes counts in the request's latency.
 */
function ourClient(port: number, timeoutMs: number): KvClient {
  let http = new HttpClient('127.0.0.1', port, timeoutMs);
  const answer = (a: { status: number; body: unknown; error?: string }): Answer =>
    a.status === 200 || a.status === 404 ? { ok: true, status: a.status } : { ok: false, status: a.status, reason: a.error ?? `HTTP ${a.status} ${JSON.stringify(a.body)?.slice(0, 80)}` };
  const send = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    for (let attempt = 0; ; attempt++) {
      const a = await http.request(method, path, body);
      const leaderUrl = (a.body as { leaderUrl?: unknown } | null)?.leaderUrl;
      if (a.status !== 421 || typeof leaderUrl !== 'string' || attempt >= 3) return answer(a);
      http.close();
      http = new HttpClient('127.0.0.1', Number(new URL(leaderUrl).port), timeoutMs);
    }
  };
  return {
    put: (key, value) => send('PUT', `/kv/${encodeURIComponent(key)}`, { value }),
    get: (key) => send('GET', `/kv/${encodeURIComponent(key)}`),
    close: () => http.close(),
  };
}

async function measureWrites(clients: KvClient[], seconds: number, warmupMs: number) {
  const value = 'v'.repeat(256);
  const { records, seconds: s } = await runLoop({
    clients,
    warmupMs,
    durationMs: seconds * 1000,
    op: (c, i, n) => c.put(`bench-${i}-${n % 100}`, value),
  });
  for (const c of clients) c.close();
  return throughput(records, s);
}

async function throughputPart(): Promise<ThroughputReport> {
  const clientCounts = (text('clients') ?? '1,16,64').split(',').map(Number);
  const seconds = Number(text('seconds') ?? (quick ? 2 : 5));
  const warmupMs = quick ? 500 : 1_000;
  const timeoutMs = 5_000;
  const rows: ThroughputRow[] = clientCounts.map((clients) => ({ clients, ours: null, etcd: null }));
  const etcd = etcdVersion();
  if (only !== 'etcd') {
    console.log('  our Raft KV: 3 nodes of examples/raft/node/server.ts, fsync on');
    const cluster = await startOurs(3);
    try {
      for (const row of rows) {
        const port = await cluster.leaderPort();
        row.ours = await measureWrites(Array.from({ length: row.clients }, () => ourClient(port, timeoutMs)), seconds, warmupMs);
        console.log(`    ${String(row.clients).padStart(3)} clients: ${Math.round(row.ours.opsPerSec)} writes/s, p50 ${row.ours.latency.p50.toFixed(2)} ms, p99 ${row.ours.latency.p99.toFixed(2)} ms, failed ${row.ours.failed}`);
      }
    } finally {
      await cluster.stop();
    }
  }
  if (only !== 'ours') {
    if (etcd === null) console.log('  etcd is not installed (Debian/Ubuntu: apt-get install etcd-server): measuring ours only');
    else {
      console.log(`  ${etcd}: 3 members, v3 HTTP/JSON gateway, fsync on`);
      const cluster = await startEtcdCluster(3);
      try {
        await cluster.ready(30_000);
        for (const row of rows) {
          const [leader] = await cluster.chooseMinority(1);
          row.etcd = await measureWrites(Array.from({ length: row.clients }, () => cluster.client(leader!, 'linearizable', timeoutMs)), seconds, warmupMs);
          console.log(`    ${String(row.clients).padStart(3)} clients: ${Math.round(row.etcd.opsPerSec)} writes/s, p50 ${row.etcd.latency.p50.toFixed(2)} ms, p99 ${row.etcd.latency.p99.toFixed(2)} ms, failed ${row.etcd.failed}`);
        }
      } finally {
        await cluster.stop();
      }
    }
  }
  return {
    settings: { nodes: 3, valueBytes: 256, warmupMs, windowMs: seconds * 1000, timeoutMs, fsync: 'both fsync their log before they acknowledge a write' },
    ours: `examples/raft/node/server.ts: one fsync per batch of requests and messages (group commit), entries batched per AppendEntries and pipelined, a snapshot every ${SNAPSHOT_EVERY.toLocaleString('en-US')} entries; a client that gets a 421 moves to the leader it names`,
    etcd,
    fsyncP50Ms: fsyncLatency(100).p50,
    rows,
  };
}

// ---- main -----------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (flag('render')) {
    for (const f of renderSavedRaftReport()) console.log(`regenerated ${f}`);
    return;
  }
  const start = os.loadavg();
  const report: RaftBenchReport = {
    date: new Date().toISOString(),
    command: `npm run bench:raft${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
    machine: machine(start),
    ...(text('note') === undefined ? {} : { note: text('note') }),
  };
  if (parts.includes('failover')) {
    console.log(`failover: ${crashes} leader crashes per setting, 5 nodes, messages ${DELAY.join('–')} ms, heartbeat ${HEARTBEAT} ms (simulated)`);
    const f = failover();
    report.failover = { ...f, command: report.command };
    console.log('');
    for (const line of failoverTable(report.failover)) console.log(line);
    const t = targetMet(report.failover);
    if (t !== null) console.log(`\ntarget for 150–300 ms: median ≤ 300 ms ${t.median ? 'met' : 'NOT met'} (${t.summary.median}), worst ≤ 513 ms ${t.worst ? 'met' : 'NOT met'} (${t.summary.worst})`);
  }
  if (parts.includes('throughput')) {
    console.log('\nthroughput: writes/s with fsync on, each client one write at a time to the leader');
    report.throughput = { ...(await throughputPart()), command: report.command };
    console.log('');
    for (const line of throughputTable(report.throughput)) console.log(line);
  }
  report.machine = machine(start);
  // A run of one part keeps the other part's saved figures (the page shows both).
  const saved = savedRaftReport();
  if (report.failover === undefined && saved?.failover !== undefined) report.failover = saved.failover;
  if (report.throughput === undefined && saved?.throughput !== undefined) report.throughput = saved.throughput;
  const full = !quick && parts.length === 2 && only === undefined && text('crashes') === undefined && text('clients') === undefined;
  if (full || flag('write')) for (const f of writeRaftReport(report)) console.log(`wrote ${f}`);
  else console.log('\n(a partial run: nothing written; run `npm run bench:raft` for the figures the page shows, or add --write)');
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => void stopAll());
