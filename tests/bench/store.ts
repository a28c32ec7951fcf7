// npm run bench:store: what consistency costs, measured. Our five-node store (strong and eventual) against
// a five-member etcd cluster (always linearizable writes; linearizable or serializable reads), both on
// loopback with fsync on.
//
//   npm run bench:store                 the full run (about 3 minutes); writes tests/bench/results/store.json
//                                       and regenerates docs/data-store/parts/store-bench.md
//   npm run bench:store -- --quick      short windows, 1 and 16 clients only, one partition; prints only
//   npm run bench:store -- --render     only regenerates the page part from the saved JSON
//   options: --clients=1,16,64   client counts
//            --seconds=N         measured window per write run (reads: 3/4 of it)
//            --only=store|etcd   measure one system only
//            --no-partition      skip the availability phase
//            --note="..."        a remark printed beside the figures (e.g. that the machine was busy)
//            --write/--no-write  a full default run writes the figures; other runs only print them
//
// What it measures (a benchmark, not a test: it is not part of `npm test`):
//   1. load: successful writes/s and reads/s with p50/p99 latency per consistency level at 1, 16 and 64
//      clients, and the ratio ours / etcd per row;
//   2. availability: the share of requests answered on each side of a partition that cuts one member off,
//      then two, per mode (how each system makes a partition: store-cluster.ts and etcd.ts).
// etcd must be installed for the comparison (Debian/Ubuntu: apt-get install etcd-server); without it only
// our store is measured, and without examples/store/node only etcd.

import os from 'node:os';
import { mulberry32 } from '../../examples/shared/random.ts';
import { stopAll } from '../helpers/processes.ts';
import { fsyncLatency } from './disk.ts';
import { etcdVersion, startEtcdCluster } from './etcd.ts';
import { startStoreCluster, storeAvailable, type Consistency, type KvClient, type KvCluster } from './store-cluster.ts';
import { availability, runLoop, throughput, type OpRecord } from './store-load.ts';
import {
  comparisonRows,
  int,
  loadTable,
  availabilityTable,
  msText,
  percentText,
  renderSavedStoreReport,
  writeStoreReport,
  type AvailabilityRun,
  type LoadRun,
  type Operation,
  type StoreBenchReport,
} from './store-report.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const text = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = flag('quick');
const writeSeconds = Number(text('seconds') ?? (quick ? 2 : 4));
const settings: StoreBenchReport['settings'] = {
  members: 5,
  clients: (text('clients') ?? (quick ? '1,16' : '1,16,64')).split(',').map(Number),
  warmupMs: quick ? 500 : 1_000,
  writeMs: writeSeconds * 1000,
  readMs: Math.round(writeSeconds * 750),
  valueBytes: 256,
  timeoutMs: 3_000,
  partitionMs: quick ? 5_000 : 10_000,
  settledFromMs: quick ? 3_000 : 5_000,
  partitionClients: 4,
};
const cuts = quick ? [1] : [1, 2];
const only = text('only');
const note = text('note');
const write = flag('write') || (!quick && !flag('no-write') && args.every((a) => !/^--(clients|seconds|only)=/.test(a) && a !== '--no-partition'));

const print = (line = '') => console.log(line);
const VALUE = 'v'.repeat(settings.valueBytes);
const READ_KEYS = 200;

async function main(): Promise<void> {
  const started = Date.now();
  const machine = {
    cpu: `${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length}`,
    memory: `${Math.round(os.totalmem() / 1024 ** 3)} GB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  print(`store bench on ${machine.cpu}, ${machine.memory}, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(' ')}`);
  const fsyncAtStart = fsyncLatency();
  print(`fsync on this disk: p50 ${msText(fsyncAtStart.p50)} ms, p99 ${msText(fsyncAtStart.p99)} ms (100-byte appends)`);

  const clusters: KvCluster[] = [];
  if (only !== 'etcd') {
    if (storeAvailable()) clusters.push(await startAndWait('our store', () => startStoreCluster(settings.members)));
    else print('our store is not measured: examples/store/node/server.ts does not exist yet');
  }
  if (only !== 'store') {
    if (etcdVersion() !== null) clusters.push(await startAndWait(etcdVersion()!, () => startEtcdCluster(settings.members)));
    else print('etcd is not installed, so it is not measured. To compare: sudo apt-get install etcd-server etcd-client');
  }
  if (clusters.length === 0) throw new Error('nothing to measure');

  const load = await loadPhase(clusters);
  const rows = comparisonRows(load, settings.clients);
  print('\n' + loadTable(rows).map((l) => `   ${l}`).join('\n'));

  const partitionMethods: StoreBenchReport['partitionMethods'] = {};
  const avail: AvailabilityRun[] = [];
  if (!flag('no-partition')) {
    for (const cluster of clusters) {
      partitionMethods[cluster.system] = cluster.partitionMethod;
      for (const cut of cuts) avail.push(...(await partitionPhase(cluster, cut)));
    }
    print('\n' + availabilityTable({ availability: avail, settings }).map((l) => `   ${l}`).join('\n'));
  }
  for (const cluster of clusters) await cluster.stop();

  const report: StoreBenchReport = {
    date: new Date(started).toISOString(),
    command: 'npm run bench:store',
    ...(note === undefined ? {} : { note }),
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))) },
    versions: {
      store: clusters.find((c) => c.system === 'store')?.version ?? null,
      etcd: clusters.find((c) => c.system === 'etcd')?.version ?? null,
    },
    fsync: { atStart: fsyncAtStart, atEnd: fsyncLatency() },
    settings,
    partitionMethods,
    load,
    rows,
    availability: avail,
    seconds: (Date.now() - started) / 1000,
  };
  print(`\ndone in ${int(report.seconds)} s; load average now ${report.machine.loadAverageAtEnd.join(' ')}`);
  if (write) print(`wrote ${writeStoreReport(report).join(' and ')}`);
  else print('(figures not written: --quick, --no-write or non-default options; add --write to write them anyway)');
}

async function startAndWait(name: string, start: () => Promise<KvCluster>): Promise<KvCluster> {
  const t0 = performance.now();
  process.stdout.write(`starting ${name}, ${settings.members} members ... `);
  const cluster = await start();
  await cluster.ready(60_000);
  print(`ready in ${int(performance.now() - t0)} ms (pids ${cluster.pids().join(' ')})`);
  return cluster;
}

/** A client per index, client i on member i mod N (requests to a non-leader are forwarded by both systems). */
function clientsFor(cluster: KvCluster, members: string[], level: Consistency, count: number, timeoutMs: number): KvClient[] {
  return Array.from({ length: count }, (_, i) => cluster.client(members[i % members.length]!, level, timeoutMs));
}

/** 1. Load: each system at each level, writes then reads, at each client count. */
async function loadPhase(clusters: KvCluster[]): Promise<LoadRun[]> {
  print(`\n1. load: ${settings.writeMs / 1000} s per write run, ${settings.readMs / 1000} s per read run, after ${settings.warmupMs / 1000} s of warm-up; ${settings.valueBytes}-byte values`);
  for (const cluster of clusters) await preload(cluster);
  const runs: LoadRun[] = [];
  for (const clients of settings.clients) {
    for (const op of ['write', 'read'] as const) {
      for (const cluster of clusters) {
        for (const level of op === 'write' ? cluster.writeLevels : cluster.readLevels) {
          runs.push(await measure(cluster, op, level, clients));
        }
      }
    }
  }
  return runs;
}

/** The keys the read runs read, written once beforehand. */
async function preload(cluster: KvCluster): Promise<void> {
  const clients = clientsFor(cluster, cluster.members, cluster.writeLevels[0]!, 16, 10_000);
  try {
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = i; k < READ_KEYS; k += clients.length) {
          const a = await c.put(`r-${k}`, VALUE);
          if (!a.ok) throw new Error(`${cluster.system}: preloading r-${k} failed: ${a.status} ${a.reason}`);
        }
      }),
    );
  } finally {
    for (const c of clients) c.close();
  }
}

async function measure(cluster: KvCluster, op: Operation, level: Consistency, count: number): Promise<LoadRun> {
  process.stdout.write(`   ${`${cluster.system} ${op} ${level}`.padEnd(26)} ${String(count).padStart(2)} client${count === 1 ? ' ' : 's'} ... `);
  const clients = clientsFor(cluster, cluster.members, level, count, 10_000);
  try {
    const { records, seconds } = await runLoop({
      clients,
      warmupMs: settings.warmupMs,
      durationMs: op === 'write' ? settings.writeMs : settings.readMs,
      // Each client writes its own 100 keys in turn (our strong writes queue per key: clients do not
      // share keys, so they do not wait for each other); reads spread over the preloaded keys.
      op: (c, i, n) => (op === 'write' ? c.put(`w-${level}-${count}-${i}-${n % 100}`, VALUE) : c.get(`r-${(i * 31 + n) % READ_KEYS}`)),
    });
    const result = throughput(records, seconds);
    const failures = result.failed === 0 ? '' : `; ${int(result.failed)} FAILED (${result.failures.map((f) => `${f.count}× ${f.reason}`).join('; ')})`;
    print(`${int(result.opsPerSec).padStart(6)} ops/s  p50 ${msText(result.latency.p50)} ms, p99 ${msText(result.latency.p99)} ms${failures}`);
    return { system: cluster.system, op, level, clients: count, result };
  } finally {
    for (const c of clients) c.close();
  }
}

/** The modes measured during a partition: our two levels; etcd's writes with linearizable reads, and serializable reads alone. */
function modes(cluster: KvCluster): { mode: Consistency; ops: Operation[] }[] {
  return cluster.system === 'store'
    ? [{ mode: 'strong', ops: ['write', 'read'] }, { mode: 'eventual', ops: ['write', 'read'] }]
    : [{ mode: 'linearizable', ops: ['write', 'read'] }, { mode: 'serializable', ops: ['read'] }];
}

/**
 * 2. Availability: cut `cut` members off, and for `partitionMs` from that moment let clients on each side
 * (talking only to members on their side) alternate writes and reads of random keys at each mode; then
 * heal and wait until every member takes writes again.
 */
async function partitionPhase(cluster: KvCluster, cut: number): Promise<AvailabilityRun[]> {
  const minority = await cluster.chooseMinority(cut);
  print(`\n2. availability, ${cluster.system}: cutting off ${minority.join(', ')} for ${settings.partitionMs / 1000} s`);
  const sides = await cluster.cut(minority);
  type Group = { side: 'majority' | 'minority'; members: string[]; mode: Consistency; ops: Operation[]; clients: KvClient[]; records: OpRecord[] };
  const groups: Group[] = [];
  for (const side of ['majority', 'minority'] as const) {
    if (!sides[side].measurable) continue;
    for (const m of modes(cluster)) {
      groups.push({ side, members: sides[side].members, ...m, clients: clientsFor(cluster, sides[side].members, m.mode, settings.partitionClients, settings.timeoutMs), records: [] });
    }
  }
  const random = mulberry32(cut * 1000 + (cluster.system === 'store' ? 1 : 2));
  const key = () => `a-${Math.floor(random() * READ_KEYS)}`;
  const progress = () =>
    print(`   ${groups.map((g) => `${g.side} ${g.mode} ${percentText(availability(g.records).share)}`).join(' · ')}`);
  try {
    const ticker = setInterval(progress, 2_500);
    try {
      await Promise.all(
        groups.map(async (g) => {
          const { records } = await runLoop({
            clients: g.clients,
            warmupMs: 0,
            durationMs: settings.partitionMs,
            op: (c, _i, n) => (g.ops[n % g.ops.length] === 'write' ? c.put(key(), VALUE) : c.get(key())),
            label: (_i, n) => g.ops[n % g.ops.length]!,
            progress: (_ms, live) => (g.records = live),
            progressMs: 500,
          });
          g.records = records;
        }),
      );
    } finally {
      clearInterval(ticker);
    }
  } finally {
    for (const g of groups) for (const c of g.clients) c.close();
    await cluster.heal();
  }
  const runs: AvailabilityRun[] = [];
  for (const g of groups) {
    for (const op of g.ops) {
      const mine = g.records.filter((r) => r.label === op);
      const whole = availability(mine);
      runs.push({ system: cluster.system, mode: g.mode, op, cutOff: cut, side: g.side, members: g.members, whole, settled: availability(mine, settings.settledFromMs) });
      const why = whole.failures.length === 0 ? '' : `; not answered: ${whole.failures.map((f) => `${f.count}× ${f.reason}`).join('; ')}`;
      print(`   ${g.side.padEnd(8)} (${g.members.join(',')}) ${g.mode.padEnd(12)} ${op.padEnd(5)} ${percentText(whole.share).padStart(6)} of ${int(whole.attempted)} answered${why}`);
    }
  }
  // The side the bench could not measure is recorded as such, so the page says "not measured".
  if (!sides.minority.measurable) {
    for (const m of modes(cluster)) {
      for (const op of m.ops) runs.push({ system: cluster.system, mode: m.mode, op, cutOff: cut, side: 'minority', members: sides.minority.members, whole: null, settled: null });
    }
  }
  const t0 = performance.now();
  await cluster.ready(60_000);
  print(`   healed: every member takes writes again after ${int(performance.now() - t0)} ms`);
  return runs;
}

// Ctrl-C or an error must not leave servers running or temporary directories behind.
// Every path out waits for the same clean-up (an interrupted run also fails its requests, and that failure
// must not exit before the clean-up has removed the data directories).
let stopping: Promise<void> | null = null;
async function shutdown(code: number): Promise<never> {
  stopping ??= stopAll(); // SIGKILL to every member this bench started (also a SIGSTOPped one), temp dirs removed
  await stopping;
  process.exit(code);
}
process.on('SIGINT', () => {
  print('\ninterrupted: stopping the clusters and removing their data');
  void shutdown(130);
});
process.on('SIGTERM', () => void shutdown(143));

if (flag('render')) {
  print(`wrote ${renderSavedStoreReport()} from the figures saved in tests/bench/results/store.json`);
  process.exit(0);
}

main().then(
  () => shutdown(0),
  (err: unknown) => {
    console.error('\nbench failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    void shutdown(1);
  },
);
