// npm run bench:queue: our queue broker against beanstalkd, both with fsync on, on this machine.
//
//   npm run bench:queue                       the full run (a few minutes); writes tests/bench/results/queue.json
//                                             and regenerates docs/fundamentals/parts/queue-bench.md
//   npm run bench:queue -- --quick            short windows and a 10,000-job backlog; prints only
//   npm run bench:queue -- --render           only regenerates the page fragment from the saved JSON
//   npm run bench:queue -- --profile          also records a CPU profile of the broker under load and
//                                             prints where its time goes
//   options: --clients=1,8,64   client counts to compare
//            --seconds=N         measured window per run (after a warm-up)
//            --rounds=N          runs per system and client count, in alternating order; the best is kept
//            --backlog=N         the large backlog (develop with a smaller one)
//            --note="..."        a remark printed beside the figures (e.g. that the machine was busy)
//            --write/--no-write  a full default run writes the figures; other runs only print them
//
// What it measures (a benchmark, not a test: it is not part of `npm test`):
//   1. load: jobs/s end to end (enqueue -> lease -> ack; put -> reserve -> delete) at 1, 8 and 64
//      concurrent clients, p50/p99 per operation, and the ratio ours / beanstalkd;
//   2. backlog: the same cycles with 1,000 and with 100,000 jobs already waiting;
//   3. after that: the broker's RSS, its data directory's size, and the time a restart takes after kill -9.

import os from 'node:os';
import path from 'node:path';
import { fsyncLatency } from './disk.ts';
import { fill, runLoad, type LoadResult, type Percentiles } from './load.ts';
import { busiestProfile } from './profile.ts';
import { renderSavedReport, writeReport, type BenchReport, type Comparison, type Measured } from './report.ts';
import {
  beanstalkdInstalled,
  beanstalkdVersion,
  cpuMs,
  dirBytes,
  dirFiles,
  rssBytes,
  startBeanstalkd,
  startBroker,
  stopAllServers,
  stopBeanstalkd,
  stopBroker,
  tempDir,
  type RunningBroker,
} from './servers.ts';
import { BrokerHttp } from './broker-http.ts';
import { beanstalkd, ourBroker, payload } from './targets.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: number) => {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
};
const quick = flag('quick');
const settings = {
  clients: (args.find((a) => a.startsWith('--clients='))?.slice('--clients='.length) ?? '1,8,64').split(',').map(Number),
  warmupMs: quick ? 500 : 1_500,
  durationMs: option('seconds', quick ? 2 : 4) * 1000,
  smallBacklog: 1_000,
  largeBacklog: option('backlog', quick ? 10_000 : 100_000),
  backlogClients: 8,
  rounds: option('rounds', quick ? 1 : 3),
  profile: flag('profile'),
  note: args.find((a) => a.startsWith('--note='))?.slice('--note='.length),
  // Only a full default run replaces the published figures (unless you insist with --write).
  write: flag('write') || (!quick && !flag('no-write') && args.every((a) => !/^--(backlog|clients|seconds|rounds)=/.test(a))),
};

const print = (line = '') => console.log(line);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–');
const mb = (bytes: number | null) => (bytes === null ? '–' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const size = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : mb(bytes));

async function main(): Promise<void> {
  const started = Date.now();
  const machine = {
    cpu: `${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length}`,
    memory: `${Math.round(os.totalmem() / 1024 ** 3)} GB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  print(`queue bench on ${machine.cpu}, ${machine.memory}, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(' ')}`);
  print(`(measured window ${settings.durationMs / 1000} s per run after ${settings.warmupMs / 1000} s of warm-up; data in ${os.tmpdir()})`);
  const haveBeanstalkd = beanstalkdInstalled();
  if (!haveBeanstalkd) {
    print('beanstalkd is not installed, so only our broker is measured. To compare, install it:');
    print('  sudo apt-get install beanstalkd      (Debian/Ubuntu; brew install beanstalkd on macOS)');
  }

  const fsync = { atStart: probeFsync('at the start') } as NonNullable<BenchReport['fsync']>;
  const load = await loadPhase(haveBeanstalkd);
  fsync.afterLoad = probeFsync('after the load runs');
  const backlog = await backlogPhase();
  const restart = await restartPhase(backlog.large.broker);
  fsync.atEnd = probeFsync('at the end');

  const report: BenchReport = {
    date: new Date(started).toISOString(),
    command: 'npm run bench:queue',
    ...(settings.note === undefined ? {} : { note: settings.note }),
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))) },
    beanstalkd: haveBeanstalkd ? beanstalkdVersion() : null,
    fsync,
    settings: {
      clients: settings.clients,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      smallBacklog: settings.smallBacklog,
      largeBacklog: settings.largeBacklog,
      backlogClients: settings.backlogClients,
      rounds: settings.rounds,
    },
    load: load.comparisons,
    backlog: {
      clients: settings.backlogClients,
      small: { waiting: settings.smallBacklog, result: backlog.small.result, rounds: backlog.small.rounds },
      large: { waiting: settings.largeBacklog, result: backlog.large.result, rounds: backlog.large.rounds },
      ratio: backlog.small.result.jobsPerSec / backlog.large.result.jobsPerSec,
    },
    footprint: {
      afterLoad: load.footprint,
      beanstalkdAfterLoad: load.beanstalkdFootprint,
      withBacklog: restart.before,
      emptyStartMs: restart.emptyStartMs,
      restartMs: restart.restartMs,
      rssAfterRestartBytes: restart.rssAfterRestartBytes,
    },
    seconds: (Date.now() - started) / 1000,
  };
  print(`\ndone in ${fmt(report.seconds)} s; load average now ${report.machine.loadAverageAtEnd.join(' ')}`);
  if (settings.write) {
    const written = writeReport(report);
    print(`wrote ${written.join(' and ')}`);
  } else {
    print('(figures not written: --quick, --no-write or a non-default backlog; add --write to write them anyway)');
  }
}

/** The disk's fsync latency right now (see disk.ts for why it matters so much). */
function probeFsync(when: string): Percentiles {
  const p = fsyncLatency();
  print(`   fsync on this disk ${when}: p50 ${ms(p.p50)} ms, p99 ${ms(p.p99)} ms (100-byte appends)`);
  return p;
}

/** 1. Load: ours and beanstalkd at 1, 8 and 64 clients. */
async function loadPhase(haveBeanstalkd: boolean) {
  print('\n1. load: enqueue -> lease -> ack, N clients each running cycles back to back');
  const profileDir = settings.profile ? path.join(os.tmpdir(), `bench-profile-${process.pid}`) : ''; // kept: for you to open
  const broker = await startBroker(tempDir('bench-broker-'), settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  print(`   our broker: pid ${broker.pid}, port ${broker.port}, started in ${fmt(broker.startMs)} ms (empty data directory)`);
  const bean = haveBeanstalkd ? await startBeanstalkd() : null;
  if (bean !== null) print(`   ${beanstalkdVersion()}: pid ${bean.pid}, port ${bean.port}, binlog in ${bean.dir}, -f 0 (fsync every write)`);

  // The machine may be busy with other work (other people's builds, their fsyncs on the same disk), which
  // comes and goes. So every (system, clients) pairing is run `rounds` times, round-robin over all of them,
  // in reversed order every other round, and each keeps its best run: a busy minute then costs one run of
  // each pairing instead of all the runs of one.
  const pairings = settings.clients.flatMap((clients) => [
    { clients, run: () => measure('our broker', clients, broker.pid, ourBroker(broker.port, clients)) },
    ...(bean === null ? [] : [{ clients, run: () => measure('beanstalkd', clients, bean.pid, beanstalkd(bean.port)) }]),
  ]);
  const results = await rounds(pairings.map((p) => p.run));
  const perSystem = bean === null ? 1 : 2;
  const comparisons: Comparison[] = settings.clients.map((clients, i) => {
    const ours = results[i * perSystem]!;
    const theirs = bean === null ? null : results[i * perSystem + 1]!;
    return {
      clients,
      ours: ours.best,
      beanstalkd: theirs?.best ?? null,
      ratio: theirs === null ? null : ours.best.jobsPerSec / theirs.best.jobsPerSec,
      rounds: { ours: ours.all, beanstalkd: theirs?.all ?? [] },
    };
  });
  printLoadTable(comparisons);

  const after = await brokerFootprint(broker);
  const footprint = { jobs: after.stats.total ?? 0, rssBytes: after.rssBytes, diskBytes: after.diskBytes };
  print(`   our broker after the load runs: ${fmt(footprint.jobs)} jobs, RSS ${mb(footprint.rssBytes)}, data ${mb(footprint.diskBytes)}`);
  const beanstalkdFootprint = bean === null ? null : { rssBytes: rssBytes(bean.pid), diskBytes: dirBytes(bean.dir) };
  if (beanstalkdFootprint !== null) print(`   beanstalkd after the load runs: RSS ${mb(beanstalkdFootprint.rssBytes)}, binlog ${mb(beanstalkdFootprint.diskBytes)}`);
  await stopBroker(broker); // SIGTERM: with --profile, node writes the profile as it exits
  if (bean !== null) await stopBeanstalkd(bean);
  if (settings.profile) printProfile(profileDir);
  return { comparisons, footprint, beanstalkdFootprint };
}

/**
 * 2. Backlog: two brokers side by side, one holding 1,000 waiting jobs, the other 100,000, measured in
 * alternating rounds (so a burst of load from elsewhere on the machine does not land on one of them only).
 * Each cycle enqueues one job at the back and leases the oldest at the front, so the backlog stays the
 * same size and every measured cycle does the same work whatever the backlog.
 */
async function backlogPhase() {
  print(`\n2. backlog: the same cycles (${settings.backlogClients} clients) on top of jobs already waiting`);
  const sizes = [settings.smallBacklog, settings.largeBacklog] as const;
  const brokers: RunningBroker[] = [];
  for (const size of sizes) {
    const broker = await startBroker(tempDir('bench-backlog-'));
    brokers.push(broker);
    await fillBacklog(broker, size);
  }
  const [small, large] = await rounds(
    brokers.map((broker, i) => () => measure(`backlog ${fmt(sizes[i]!)}`, settings.backlogClients, broker.pid, ourBroker(broker.port, settings.backlogClients))),
  );
  await stopBroker(brokers[0]!);
  const ratio = small!.best.jobsPerSec / large!.best.jobsPerSec;
  print(
    `   ${fmt(small!.best.jobsPerSec)} jobs/s with ${fmt(sizes[0])} waiting, ${fmt(large!.best.jobsPerSec)} with ${fmt(sizes[1])}: ` +
      `ratio ${ratio.toFixed(2)} (target: at most 2) ${ratio <= 2 ? 'ok' : 'MISSED'}`,
  );
  return {
    small: { result: small!.best, rounds: small!.all },
    large: { result: large!.best, rounds: large!.all, broker: brokers[1]! },
  };
}

async function fillBacklog(broker: RunningBroker, size: number): Promise<void> {
  const http = new BrokerHttp(broker.port, 64);
  const started = performance.now();
  print(`   filling a broker's backlog with ${fmt(size)} jobs (64 enqueues at a time)...`);
  try {
    await fill(
      size,
      64,
      async (i) => void (await http.enqueue(payload(i))),
      (done) => print(`     ${fmt(done).padStart(7)} / ${fmt(size)} waiting (${fmt(done / ((performance.now() - started) / 1000))} enqueues/s)`),
    );
  } finally {
    http.close();
  }
}

/** 3. The 100,000-job broker: memory, disk, and a restart after kill -9 (until /health and the same stats). */
async function restartPhase(broker: RunningBroker) {
  const before = await brokerFootprint(broker);
  print(`\n3. the broker holding ${fmt(before.stats.pending ?? 0)} waiting jobs: memory, disk, restart after kill -9`);
  print(`   RSS ${mb(before.rssBytes)}, data directory ${mb(before.diskBytes)}, stats ${JSON.stringify(before.stats)}`);
  print(`   files: ${dirFiles(broker.dataDir).map((f) => `${f.name} ${size(f.bytes)}`).join(', ')}`);
  const compactions = broker.output.filter((line) => /compact/i.test(line));
  print(`   the broker printed ${compactions.length} compaction line${compactions.length === 1 ? '' : 's'}${compactions.length > 0 ? `; the last: ${compactions.at(-1)}` : ''}`);
  // For comparison, under the same machine load: how long an empty broker takes to start (node, tsx, listen).
  const empty = await startBroker(tempDir('bench-empty-'));
  await stopBroker(empty);
  await stopBroker(broker, 'SIGKILL');
  print('   killed with SIGKILL; starting it again on the same data directory...');
  const restartedAt = performance.now();
  const restarted = await startBroker(broker.dataDir);
  const after = await brokerFootprint(restarted); // GET /stats: the restart counts until its answer is in
  const restartMs = performance.now() - restartedAt;
  const same = JSON.stringify(after.stats) === JSON.stringify(before.stats);
  print(
    `   restart: /health answered after ${fmt(restarted.startMs)} ms, /stats ${same ? 'the same as before' : `DIFFERENT: ${JSON.stringify(after.stats)}`} ` +
      `after ${fmt(restartMs)} ms (an empty broker: /health after ${fmt(empty.startMs)} ms); RSS after replay ${mb(after.rssBytes)}`,
  );
  await stopBroker(restarted);
  if (!same) throw new Error('the broker came back with different stats after kill -9');
  return { before, emptyStartMs: empty.startMs, restartMs, rssAfterRestartBytes: after.rssBytes };
}

/**
 * Runs each measurement `settings.rounds` times, round-robin in alternating order (A B C, C B A, ...),
 * and returns for each its best run and the jobs/s of all its runs.
 */
async function rounds(measurements: (() => Promise<Measured>)[]): Promise<{ best: Measured; all: number[] }[]> {
  const runs: Measured[][] = measurements.map(() => []);
  for (let round = 0; round < settings.rounds; round++) {
    const order = measurements.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) runs[i]!.push(await measurements[i]!());
  }
  return runs.map((r) => ({
    best: r.reduce((a, b) => (b.jobsPerSec > a.jobsPerSec ? b : a)),
    all: r.map((m) => Math.round(m.jobsPerSec)),
  }));
}

/** One load run, with a progress line before and the result after. */
async function measure(name: string, clients: number, serverPid: number, target: ReturnType<typeof ourBroker>): Promise<Measured> {
  process.stdout.write(`   ${name.padEnd(18)} ${String(clients).padStart(2)} client${clients === 1 ? ' ' : 's'} ... `);
  const fsyncP50Ms = fsyncLatency(30).p50; // how busy the disk is right now (see disk.ts)
  // CPU time used inside the measured window, by the server (from /proc) and by this bench process.
  let serverAtStart: number | null = null;
  let serverCpu: number | null = null;
  let clientAtStart = process.cpuUsage();
  let clientCpu = 0;
  let result: LoadResult;
  try {
    result = await runLoad({
      clients,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      connect: target.connect,
      onWindow: (edge) => {
        if (edge === 'begin') {
          serverAtStart = cpuMs(serverPid);
          clientAtStart = process.cpuUsage();
          return;
        }
        const serverNow = cpuMs(serverPid);
        serverCpu = serverAtStart === null || serverNow === null ? null : serverNow - serverAtStart;
        const used = process.cpuUsage(clientAtStart);
        clientCpu = (used.user + used.system) / 1000;
      },
    });
  } finally {
    target.close();
  }
  const jobs = Math.max(1, result.jobs);
  const serverCpuMsPerJob = serverCpu === null ? null : serverCpu / jobs;
  const clientCpuMsPerJob = clientCpu / jobs;
  const l = result.latency;
  print(
    `${fmt(result.jobsPerSec).padStart(6)} jobs/s  p50/p99 ms: enqueue ${ms(l.enqueue.p50)}/${ms(l.enqueue.p99)}, ` +
      `lease ${ms(l.lease.p50)}/${ms(l.lease.p99)}, ack ${ms(l.ack.p50)}/${ms(l.ack.p99)}; ` +
      `CPU per job: server ${serverCpuMsPerJob === null ? '–' : ms(serverCpuMsPerJob)} ms, bench client ${ms(clientCpuMsPerJob)} ms; ` +
      `fsync just before: ${ms(fsyncP50Ms)} ms`,
  );
  return { ...result, serverCpuMsPerJob, clientCpuMsPerJob, fsyncP50Ms };
}

function printLoadTable(rows: Comparison[]): void {
  print('\n   clients | ours jobs/s | beanstalkd jobs/s | ours / beanstalkd');
  print('   ------- | ----------- | ----------------- | -----------------');
  for (const r of rows) {
    const theirs = r.beanstalkd === null ? '–' : fmt(r.beanstalkd.jobsPerSec);
    const ratio = r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`;
    print(`   ${String(r.clients).padStart(7)} | ${fmt(r.ours.jobsPerSec).padStart(11)} | ${theirs.padStart(17)} | ${ratio.padStart(17)}`);
  }
  const ratio = rows.find((r) => r.clients === 64)?.ratio ?? null;
  if (ratio !== null) print(`   goal: at least beanstalkd's throughput at 64 clients: ${ratio >= 1 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}×)`);
}

async function brokerFootprint(broker: RunningBroker): Promise<{ stats: Record<string, number>; rssBytes: number | null; diskBytes: number }> {
  const http = new BrokerHttp(broker.port, 1);
  try {
    const stats = await http.stats();
    return { stats, rssBytes: rssBytes(broker.pid), diskBytes: dirBytes(broker.dataDir) };
  } finally {
    http.close();
  }
}

function printProfile(dir: string): void {
  const summary = busiestProfile(dir);
  if (summary === null) {
    print(`   (no CPU profile was written to ${dir})`);
    return;
  }
  const busy = summary.totalMs - summary.idleMs;
  print(`\n   where the broker's CPU time went: busy ${fmt(busy)} ms, idle ${fmt(summary.idleMs)} ms (waiting for the network or an fsync,`);
  print(`   or while beanstalkd was measured). Shares of the busy time; open ${summary.file} in Chrome DevTools for more.`);
  print('   by area:');
  for (const a of summary.areas) print(`     ${(100 * a.share).toFixed(1).padStart(5)}%  ${a.name}`);
  print('   top functions by self time:');
  for (const f of summary.top) print(`     ${(100 * f.share).toFixed(1).padStart(5)}%  ${f.name}`);
}

// Ctrl-C or an error must not leave servers running or temp directories behind.
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await stopAllServers();
  }
  process.exit(code);
}
process.on('SIGINT', () => {
  print('\ninterrupted: stopping the servers and removing their data');
  void shutdown(130);
});
process.on('SIGTERM', () => void shutdown(143));

if (flag('render')) {
  print(`wrote ${renderSavedReport()} from the figures saved in tests/bench/results/queue.json`);
  process.exit(0);
}

main().then(
  () => shutdown(0),
  (err: unknown) => {
    console.error('\nbench failed:', err instanceof Error ? err.stack ?? err.message : err);
    void shutdown(1);
  },
);
