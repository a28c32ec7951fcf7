// The Raft simulation, headless: one seeded run, printed as a short timeline (elections, leaders, crashes,
// partitions), the final status of every node, the result of the safety invariants (checked after every
// step), of liveness after healing (with --faults) and of the linearizability check of the clients' history,
// and the command that replays the run exactly.
//
//   npm run sim:raft -- --seed 7                       # 5 nodes, 3 clients, 3,000 ticks (ms), a calm network
//   npm run sim:raft -- --seed 7 --loss 0.1 --dup 0.05 --nodes 3 --clients 5 --ticks 10000
//   npm run sim:raft -- --seed 7 --faults              # a random fault schedule (what `sweep:raft` runs)
//
// Only this file touches the process; the simulation stays pure so the browser can run it.

import { parseArgs } from 'node:util';
import { checkHistory } from '../../../tests/helpers/linearizability.ts';
import type { KvOperation } from '../../../tests/helpers/kv-history.ts';
import { CHAOS_TICKS, chaosReplay, runChaos, type ChaosOptions } from './chaos.ts';
import { figure8Options, figure8Steps, frameOf } from './figure8.ts';
import { addClients, createWorld, formatEvent, RaftViolation, runTicks, view, type World } from './world.ts';

const usage = `usage: npm run sim:raft -- [--seed N] [--ticks T] [--loss P] [--dup P] [--nodes N] [--clients C] [--faults] [--snapshot-every K] [--at-least-once]
       npm run sim:raft -- --scenario figure8|figure8e

  --seed N            the seed (default 1): the same arguments give the same run, line for line
  --ticks T           how long to run, in ticks (1 tick = 1 ms; default 3000); with --faults: how long
                        faults and new requests go on (then everything heals and must recover)
  --loss P            the chance that a message between nodes is lost, 0 to 1 (default 0; with --faults 0.05)
  --dup P             the chance that one arrives twice, 0 to 1 (default 0; with --faults 0.02)
  --nodes N           nodes n1..nN, 1 to 9 (default 5)
  --clients C         KV clients making requests (default 3)
  --faults            a random fault schedule drawn from the seed: crashes, restarts, partitions, lossy links
  --snapshot-every K  nodes snapshot every K applied entries (default 0 = never; with --faults 20)
  --at-least-once     clients retry as strangers (no client id + seq the state machine recognises), so a
                        retry can be applied twice: try it with --faults to see histories fail
  --scenario S        figure8: the Raft paper's Figure 8, (a) to (d), step by step with captions;
                        figure8e: the same with the other ending, (e)
  --help              this text

Exit code 0 when every check passed, 1 when one failed, 2 for bad arguments.`;

interface Args {
  seed: number;
  ticks?: number;
  loss?: number;
  dup?: number;
  nodes?: number;
  clients?: number;
  faults: boolean;
  snapshotEvery?: number;
  scenario?: 'figure8' | 'figure8e';
  atLeastOnce?: boolean;
}

function readArgs(argv: string[]): Args | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        seed: { type: 'string' },
        ticks: { type: 'string' },
        loss: { type: 'string' },
        dup: { type: 'string' },
        nodes: { type: 'string' },
        clients: { type: 'string' },
        faults: { type: 'boolean' },
        'snapshot-every': { type: 'string' },
        'at-least-once': { type: 'boolean' },
        scenario: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error((err instanceof Error ? err.message : String(err)).split('\n')[0]);
  }
  if (values.help) return 'help';
  if (values.scenario !== undefined) {
    if (values.scenario !== 'figure8' && values.scenario !== 'figure8e') throw new Error(`unknown scenario "${values.scenario}" (known: figure8, figure8e)`);
    const others = Object.keys(values).filter((k) => k !== 'scenario');
    if (others.length > 0) throw new Error(`--scenario takes no other options (got --${others[0]})`);
    return { seed: 8, faults: false, scenario: values.scenario };
  }
  const whole = (name: string, text: string | undefined, min: number, max: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
    return n;
  };
  const chance = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^(0|1|0?\.\d+|1\.0*)$/.test(text) || n < 0 || n > 1) throw new Error(`--${name} must be a probability from 0 to 1 (like 0.05), not "${text}"`);
    return n;
  };
  return {
    seed: whole('seed', values.seed, 0, 0xffffffff) ?? 1,
    ticks: whole('ticks', values.ticks, 1, 10_000_000),
    loss: chance('loss', values.loss),
    dup: chance('dup', values.dup),
    nodes: whole('nodes', values.nodes, 1, 9),
    clients: whole('clients', values.clients, 0, 100),
    faults: values.faults === true,
    snapshotEvery: whole('snapshot-every', values['snapshot-every'], 0, 1_000_000),
    atLeastOnce: values['at-least-once'] === true,
  };
}

/** The run without faults: a world from the options, clients until the end, `ticks` ticks. */
function calmRun(a: Args, replay: string): World {
  const world = createWorld({ seed: a.seed, nodes: a.nodes, network: { loss: a.loss ?? 0, dup: a.dup ?? 0 }, snapshotEvery: a.snapshotEvery, exactlyOnce: !a.atLeastOnce, replay });
  addClients(world, a.clients ?? 3);
  runTicks(world, a.ticks ?? 3_000);
  return world;
}

/** The arguments that give this run again: the ones given, in a fixed order. */
function replayOf(a: Args): string {
  if (a.faults) return chaosReplay(chaosOptions(a));
  const parts = [`--seed ${a.seed}`];
  if (a.nodes !== undefined) parts.push(`--nodes ${a.nodes}`);
  if (a.loss !== undefined) parts.push(`--loss ${a.loss}`);
  if (a.dup !== undefined) parts.push(`--dup ${a.dup}`);
  if (a.clients !== undefined) parts.push(`--clients ${a.clients}`);
  if (a.ticks !== undefined) parts.push(`--ticks ${a.ticks}`);
  if (a.snapshotEvery !== undefined) parts.push(`--snapshot-every ${a.snapshotEvery}`);
  if (a.atLeastOnce) parts.push('--at-least-once');
  return parts.join(' ');
}

function chaosOptions(a: Args): ChaosOptions {
  const o: ChaosOptions = { seed: a.seed, nodes: a.nodes, loss: a.loss, dup: a.dup, clients: a.clients, ticks: a.ticks, snapshotEvery: a.snapshotEvery };
  if (a.atLeastOnce) o.exactlyOnce = false;
  return o;
}

function statusLines(world: World): string[] {
  return view(world).map((n) => {
    if (n.status === null) return `${n.id}  down      (disk: term ${n.disk.term}, ${n.disk.entries} entries, snapshot at ${n.disk.snapshotIndex})`;
    const s = n.status;
    return `${n.id}  ${s.role.padEnd(9)} term ${s.term}, commit ${s.commitIndex}, applied ${s.lastApplied}, last index ${s.lastIndex}, snapshot at ${s.snapshotIndex}`;
  });
}

function main(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  let args: Args | 'help';
  try {
    args = readArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${(err instanceof Error ? err.message : String(err)).replace(/\.$/, '')}.\n\n${usage}`);
    process.exit(2);
  }
  if (args === 'help') return void console.log(usage);
  if (args.scenario !== undefined) return figure8(args.scenario === 'figure8' ? 'd' : 'e');
  const replay = replayOf(args);
  let world: World;
  let liveness: string | null = null;
  let ok = true;
  try {
    if (args.faults) {
      console.log(`raft simulation: seed ${args.seed}, random faults for ${args.ticks ?? CHAOS_TICKS} ticks, then heal`);
      const run = runChaos(chaosOptions(args));
      world = run.world;
      ok = run.settledAt !== null;
      liveness = ok ? `live again ${run.settledAt! - run.healedAt} ticks after healing` : `FAILED\n    ${run.liveness.join('\n    ')}`;
    } else {
      console.log(`raft simulation: seed ${args.seed}, ${args.ticks ?? 3_000} ticks`);
      world = calmRun(args, replay);
    }
  } catch (err) {
    if (!(err instanceof RaftViolation)) throw err;
    for (const e of err.events) console.log(formatEvent(e));
    console.log(`SAFETY VIOLATED: ${err.message}`); // the message ends with the replay line
    process.exitCode = 1;
    return;
  }
  for (const e of world.events) console.log(formatEvent(e));
  console.log(`status at ${world.now} ms:`);
  for (const line of statusLines(world)) console.log(`  ${line}`);
  const h = world.history;
  const unknown = h.filter((o) => o.return === null).length;
  const s = world.stats;
  console.log(`  operations: ${h.length} (${h.length - unknown} answered, ${unknown} outcome unknown); messages: ${s.sent} sent, ${s.lost} lost, ${s.duplicated} duplicated, ${s.dropped} dropped at a down node`);
  console.log('  invariants (one leader per term, committed entries agree, applied in order, only committed applied): held after every step');
  if (liveness !== null) console.log(`  liveness: ${liveness}`);
  const verdict = checkHistory(h as KvOperation[]);
  ok &&= verdict.ok;
  console.log(`  linearizable: ${verdict.ok ? `yes (${h.length} operations)` : `${verdict.verdict.toUpperCase()}\n${verdict.reason}`}`);
  console.log(`replay: npm run sim:raft -- ${replay}`);
  process.exitCode = ok ? 0 : 1;
}

/** The Figure 8 scenario: each step's caption and every server's log after it. */
function figure8(variant: 'd' | 'e'): void {
  console.log(`raft simulation: the Raft paper's Figure 8 (§5.4.2), ending (${variant}); S1..S5 are n1..n5`);
  const world = createWorld(figure8Options(variant));
  for (const step of figure8Steps(variant)) {
    step.act(world);
    const frame = frameOf(world, step);
    console.log(`\n${step.label} at ${frame.now} ms: ${step.caption}`);
    for (const s of frame.servers) {
      const log = s.log.map((e) => String(e.term)).join(' ');
      console.log(`  S${s.id.slice(1)} ${(s.up ? s.role! : 'down').padEnd(9)} term ${s.term}, commit ${s.commitIndex}, log terms: ${log || '(empty)'}`);
    }
  }
  const two = world.checks.committed[2];
  console.log(`\nindex 2 was committed with term ${two?.term ?? 'none'}; invariants held after every step`);
  console.log(`replay: npm run sim:raft -- ${world.replay}`);
}

main();
