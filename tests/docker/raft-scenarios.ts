// The Raft key-value database in real containers (docker/raft/compose.yaml, run with `up --no-build` from the
// image the queue part of `npm run test:docker` built from the same docker/Dockerfile). One story, the one
// Session 8 tells:
//
// 1. Five nodes come up, each on its own named volume, and elect a leader.
// 2. Writes are acknowledged by that leader (each with a client id and sequence number, as a Raft client sends).
// 3. The leader's container is `docker kill`ed (SIGKILL: a crash, no goodbye).
// 4. The four others elect a new leader, in a higher term, and it serves writes.
// 5. Every acknowledged write is still readable, through the new leader (reads go through the log).
// 6. The old leader's container is started again on its volume: it reads its term, vote and log back, follows
//    the new leader, and catches up: its commit index and last applied index reach the leader's.

import type { ComposeProject } from './compose.ts';
import { log, waitFor } from './exec.ts';
import type { Check } from './scenarios.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
const IMAGE = 'ds-course/raft:local';
const WRITES = 10;

interface Answer {
  status: number; // 0: no answer
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface RaftCtx {
  project: ComposeProject;
  /** node name -> http://127.0.0.1:<published port> */
  urls: Record<string, string>;
  check: Check;
}

/**
 * One request, as JSON. The time limit is an ordinary (ref'd) timer, not AbortSignal.timeout, which does not keep
 * Node running while a request to a killed container's published port hangs (see chat-scenarios.ts).
 */
async function call(base: string, method: string, path: string, body?: unknown, timeoutMs = 6_000): Promise<Answer> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch (err) {
    return { status: 0, body: { error: String(err) } };
  } finally {
    clearTimeout(timer);
  }
}

const show = (a: Answer) => `${a.status} ${JSON.stringify(a.body).slice(0, 220)}`;

/** Every node's GET /status (status 0 for one that does not answer). */
async function statuses(ctx: RaftCtx, only: readonly string[] = NODES): Promise<Record<string, Answer>> {
  const answers = await Promise.all(only.map((n) => call(ctx.urls[n]!, 'GET', '/status', undefined, 2_000)));
  return Object.fromEntries(only.map((n, i) => [n, answers[i]!]));
}

/** The node that says it leads in the highest term, among `only`, if a majority of all five follows it. */
async function findLeader(ctx: RaftCtx, only: readonly string[] = NODES): Promise<{ name: string; term: number } | undefined> {
  const all = await statuses(ctx, only);
  const leaders = Object.entries(all)
    .filter(([, a]) => a.status === 200 && a.body?.role === 'leader')
    .map(([name, a]) => ({ name, term: a.body.term as number }))
    .sort((a, b) => b.term - a.term);
  const leader = leaders[0];
  if (leader === undefined) return undefined;
  const followers = Object.values(all).filter((a) => a.status === 200 && a.body?.term === leader.term && a.body?.leaderId === leader.name).length;
  return followers >= 3 ? leader : undefined;
}

/**
 * A client request with a client id and sequence number: to `first`, following a 421 to the leader it names
 * (its leaderUrl is a compose-network address; from here we use the published port of that node), and
 * retrying a 503/no answer on the same id and seq, so it is applied at most once.
 */
async function request(ctx: RaftCtx, first: string, method: string, path: string, body: unknown, client: string, seq: number, timeoutMs = 30_000): Promise<{ answer: Answer; node: string }> {
  let node = first;
  let last: { answer: Answer; node: string } = { answer: { status: 0, body: null }, node };
  const sep = path.includes('?') ? '&' : '?';
  try {
    return await waitFor(
      `${method} ${path}`,
      async () => {
        const answer = await call(ctx.urls[node]!, method, `${path}${sep}client=${client}&seq=${seq}`, body);
        last = { answer, node };
        if (answer.status === 421 && typeof answer.body?.leader === 'string' && ctx.urls[answer.body.leader]) node = answer.body.leader;
        else if (answer.status === 0 || answer.status === 503 || answer.status === 504) node = NODES[(NODES.indexOf(node as (typeof NODES)[number]) + 1) % NODES.length]!;
        else return last;
        return undefined;
      },
      timeoutMs,
      200,
    );
  } catch {
    return last;
  }
}

async function raftUp(ctx: RaftCtx): Promise<{ name: string; term: number } | undefined> {
  await waitFor('the five nodes to answer GET /status', async () => (Object.values(await statuses(ctx)).every((a) => a.status === 200) ? true : undefined), 120_000, 300).catch(() => undefined);
  const all = await statuses(ctx);
  ctx.check('the five Raft nodes answer GET /status on their published ports', Object.values(all).every((a) => a.status === 200), Object.entries(all).map(([n, a]) => `${n} ${a.status}`).join(', '));
  const leader = await waitFor('a leader that a majority follows', () => findLeader(ctx), 60_000, 200).catch(() => undefined);
  ctx.check('a leader is elected and a majority follows it', leader !== undefined, leader ? `${leader.name} in term ${leader.term}` : 'no leader within 60 s');
  return leader;
}

async function leaderCrashScenario(ctx: RaftCtx, first: { name: string; term: number }): Promise<void> {
  const { check, project } = ctx;
  // Writes, each through whichever node leads (a 421 names it). One that gets no definite answer in time (a
  // very busy machine: elections come and go) is not counted: only acknowledged writes are promised.
  const acked = new Map<string, string>();
  for (let i = 0; i < WRITES; i++) {
    const key = `key-${i}`;
    const value = `v${i}-${Date.now().toString(36)}`;
    const { answer } = await request(ctx, first.name, 'PUT', `/kv/${key}`, { value }, 'docker-test', i + 1, 20_000);
    if (answer.status === 200) acked.set(key, value);
  }
  check(`${acked.size} of ${WRITES} writes acknowledged before the crash (each with client id + seq)`, acked.size >= WRITES / 2, [...acked.keys()].join(', '));
  // The leader now (it may have changed since the first election): the one whose container we kill.
  const leader = await waitFor('the leader before the crash', () => findLeader(ctx), 60_000, 100).catch(() => undefined);
  if (leader === undefined) return void check('a leader to crash', false, 'no leader that a majority follows within 60 s');
  const before = await call(ctx.urls[leader.name]!, 'GET', '/status');
  log(`leader ${leader.name}, term ${leader.term}, commit index ${before.body?.commitIndex}: docker kill (SIGKILL)`);
  const id = await project.containerId(leader.name);
  const killedAt = Date.now();
  await project.docker_(['kill', '--signal', 'KILL', id]);
  const killTook = Date.now() - killedAt;
  const dead = await project.state(leader.name);
  check(`${leader.name}'s container crashed (it led in term ${leader.term} just before)`, dead.status === 'exited' && dead.exitCode === 137 && before.body?.role === 'leader', `${dead.status}, exit code ${dead.exitCode}; its status just before: ${before.body?.role} in term ${before.body?.term}`);

  const survivors = NODES.filter((n) => n !== leader.name);
  const next = await waitFor('a new leader among the four others', async () => {
    const l = await findLeader(ctx, survivors);
    return l !== undefined && l.term > leader.term ? l : undefined;
  }, 60_000, 100).catch(() => undefined);
  check(
    `a new leader was elected: ${next?.name ?? 'none'} in term ${next?.term ?? '?'} (was ${leader.name} in term ${leader.term})`,
    next !== undefined && next.name !== leader.name && next.term > leader.term,
    next ? `seen ${((Date.now() - killedAt) / 1000).toFixed(1)} s after docker kill was issued (the command itself took ${(killTook / 1000).toFixed(1)} s; polled every 0.1 s)` : 'no new leader within 60 s',
  );
  if (next === undefined) return;

  const write = await request(ctx, next.name, 'PUT', '/kv/after-crash', { value: 'new-leader' }, 'docker-test', WRITES + 1);
  check(`the new leader ${next.name} serves writes`, write.answer.status === 200 && write.node === next.name, `${write.node}: ${show(write.answer)}`);
  if (write.answer.status === 200) acked.set('after-crash', 'new-leader');

  const lost: string[] = [];
  let seq = WRITES + 1;
  for (const [key, value] of acked) {
    const { answer } = await request(ctx, next.name, 'GET', `/kv/${key}`, undefined, 'docker-test', ++seq, 15_000);
    if (answer.status !== 200 || answer.body?.value !== value) lost.push(`${key}: wanted ${value}, got ${show(answer)}`);
  }
  check(`no acknowledged write lost: all ${acked.size} read back through the new leader`, lost.length === 0, lost.join('; '));

  const target = await call(ctx.urls[next.name]!, 'GET', '/status');
  const goal = target.body?.commitIndex as number;
  log(`docker-compose start ${leader.name}: the old leader comes back on its volume (the leader's commit index is ${goal})`);
  await project.compose(['start', leader.name]);
  let seen: Answer = { status: 0, body: null };
  const caughtUp = await waitFor(`${leader.name} to catch up`, async () => {
    seen = await call(ctx.urls[leader.name]!, 'GET', '/status', undefined, 2_000);
    const b = seen.body;
    return seen.status === 200 && b.commitIndex >= goal && b.lastApplied >= goal && b.leaderId === next.name && b.role === 'follower' ? b : undefined;
  }, 60_000, 200).catch(() => undefined);
  check(
    `${leader.name} restarted on its volume, follows ${next.name} and caught up (commit index and last applied reached the leader's ${goal})`,
    caughtUp !== undefined,
    caughtUp ? `${leader.name}: term ${caughtUp.term}, commit ${caughtUp.commitIndex}, applied ${caughtUp.lastApplied}, last index ${caughtUp.lastIndex}` : show(seen),
  );
}

/**
 * The Raft part of `npm run test:docker`, run after the queue's on the same daemon: tags the image the queue
 * part built from docker/Dockerfile as the Raft stack's `image:` (the same recipe; docker/raft/compose.yaml
 * builds it under that name for learners), brings up docker/raft/compose.yaml with `up -d --no-build` on free
 * host ports, and runs the leader-crash story. cleanup() removes its containers, network, volumes and tag.
 */
export class RaftRun {
  project: ComposeProject | undefined;
  private tagged = false;

  constructor(
    private readonly makeProject: (file: string, name: string, env: NodeJS.ProcessEnv) => ComposeProject,
    private readonly env: NodeJS.ProcessEnv,
    private readonly check: Check,
  ) {}

  async run(composeFile: string, builtImage: string, freePort: () => Promise<number>): Promise<void> {
    const started = Date.now();
    const ports: Record<string, number> = {};
    for (const n of NODES) ports[n] = await freePort();
    // The knobs the compose file reads: free host ports instead of 7401-7405 (a learner's cluster may be running).
    const env: NodeJS.ProcessEnv = { ...this.env, ...Object.fromEntries(NODES.map((n) => [`RAFT_${n.toUpperCase()}_PORT`, String(ports[n])])) };
    const name = `dsr${process.pid}${Date.now().toString(36)}`;
    const project = (this.project = this.makeProject(composeFile, name, env));
    const config = await project.compose(['config', '--services'], true);
    const services = config.stdout.trim().split('\n').sort();
    this.check(`${project.description} config accepts docker/raft/compose.yaml`, config.code === 0 && services.join(',') === NODES.join(','), config.code === 0 ? `services: ${services.join(', ')}` : config.stderr.trim());

    if (builtImage !== IMAGE) {
      await project.docker_(['tag', builtImage, IMAGE]);
      this.tagged = true;
    }
    log(`${project.description} -p ${name} up -d --no-build (raft: five nodes, host ports ${NODES.map((n) => ports[n]).join(', ')})`);
    await project.compose(['up', '-d', '--no-build']);
    const ctx: RaftCtx = { project, urls: Object.fromEntries(NODES.map((n) => [n, `http://127.0.0.1:${ports[n]}`])), check: this.check };
    const leader = await raftUp(ctx);
    if (leader !== undefined) await leaderCrashScenario(ctx, leader);
    log(`the raft part took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }

  async cleanup(): Promise<void> {
    if (this.project) {
      log('cleanup: raft project down -v --remove-orphans');
      const down = await this.project.compose(['down', '-v', '--remove-orphans', '--timeout', '5'], true);
      if (down.code !== 0) log(`cleanup: raft compose down failed: ${down.stderr.trim()}`);
      if (this.tagged) await this.project.docker_(['rmi', IMAGE], true);
    }
  }

  async logs(): Promise<string> {
    return this.project ? this.project.logs() : '';
  }
}
