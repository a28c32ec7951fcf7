// The store in real containers (docker/store/compose.yaml, run with `up --no-build` from the image the queue
// part of `npm run test:docker` built from the same docker/Dockerfile). Two stories:
//
// 1. A real partition: `docker network disconnect` cuts one node off the compose network. A client on its
//    side (inside its container: `docker exec`, since its published port is gone with its network) is
//    REFUSED a strong write (503, with the reason), while the majority side accepts one for the same key
//    (CAP: consistency chosen over availability). Eventual writes are accepted on BOTH sides. `docker network
//    connect` heals it, and the replicas converge: the minority's eventual write and the majority's are both
//    there (siblings: concurrent, neither overwrote the other), the same on every replica, and the cut-off
//    node serves the majority's strong write.
// 2. The leader crashes: several strong writes are acknowledged by one replica set's leader, then its
//    container is `docker kill`ed (SIGKILL). A new leader is elected (another node, a higher term) and every
//    acknowledged write is still there, read strongly through the new leader.

import { createRing, preferenceList } from '../../examples/store/core/ring.ts';
import type { ComposeProject } from './compose.ts';
import { log, waitFor } from './exec.ts';
import type { Check } from './scenarios.ts';

export interface StoreCtx {
  project: ComposeProject;
  /** node name -> http://127.0.0.1:<published port> */
  urls: Record<string, string>;
  check: Check;
}

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const ring = createRing(NODES);
const replicasOf = (key: string) => preferenceList(ring, key, 3).sort();

interface Answer {
  status: number; // 0: no answer
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  try {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(8_000),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch (err) {
    return { status: 0, body: { error: String(err) } };
  }
}

/** The same request from inside a node's container (no network needed to reach its own localhost:7100). */
async function callInside(ctx: StoreCtx, node: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const id = await ctx.project.containerId(node);
  const script =
    "fetch('http://localhost:7100'+process.argv[1],{method:process.argv[2],headers:{'content-type':'application/json'}," +
    'body:process.argv[3]||undefined,signal:AbortSignal.timeout(8000)}).then(async r=>console.log(JSON.stringify({status:r.status,body:await r.json().catch(()=>null)})),' +
    'e=>console.log(JSON.stringify({status:0,body:{error:String(e)}})))';
  const r = await ctx.project.docker_(['exec', id, 'node', '-e', script, path, method, ...(body === undefined ? [] : [JSON.stringify(body)])], true);
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Answer;
  } catch {
    return { status: 0, body: { error: r.stderr.trim() || r.stdout.trim() } };
  }
}

const kv = (key: string, consistency: 'strong' | 'eventual') => `/kv/${key}?consistency=${consistency}`;
const show = (a: Answer) => `${a.status} ${JSON.stringify(a.body).slice(0, 220)}`;

/** Retries a request until `ok` (e.g. while an election runs: 503s are expected meanwhile). */
async function until(what: string, attempt: () => Promise<Answer>, ok: (a: Answer) => boolean, timeoutMs = 60_000): Promise<Answer> {
  let last: Answer = { status: 0, body: null };
  try {
    return await waitFor(what, async () => ((last = await attempt()), ok(last) ? last : undefined), timeoutMs, 300);
  } catch {
    return last;
  }
}

export async function storeUp(ctx: StoreCtx): Promise<void> {
  const answered = await Promise.all(
    NODES.map((n) => until(`${n} to answer /status`, () => call(ctx.urls[n]!, 'GET', '/status'), (a) => a.status === 200, 120_000)),
  );
  ctx.check('the five store nodes answer GET /status on their published ports', answered.every((a) => a.status === 200), answered.map((a, i) => `${NODES[i]} ${a.status}`).join(', '));
  const leaders = await until(
    'a leader in each of the ten replica sets',
    () => call(ctx.urls.n1!, 'GET', '/status'),
    (a) => a.status === 200 && a.body.groups.length > 0 && a.body.groups.every((g: { leader: string | null }) => g.leader !== null),
  );
  ctx.check('every replica set of n1 has elected a leader', leaders.status === 200, show(leaders));
}

export async function partitionScenario(ctx: StoreCtx): Promise<void> {
  const { check, project } = ctx;
  const victim = 'n5';
  // Keys kept by the victim (and two others): the minority side holds a copy of each.
  const keys = Array.from({ length: 500 }, (_, i) => `cap-${i}`).filter((k) => replicasOf(k).includes(victim));
  const [strongKey, eventualKey] = [keys[0]!, keys[1]!];
  const helper = replicasOf(strongKey).find((n) => n !== victim)!; // a majority-side replica of the key

  const before = await until('a strong write before the cut', () => call(ctx.urls[helper]!, 'PUT', kv(strongKey, 'strong'), { value: 'before' }), (a) => a.status === 200);
  check(`before the cut: strong write of ${strongKey} (replicas ${replicasOf(strongKey).join(',')}) accepted`, before.status === 200, show(before));

  const network = `${project.project}_store`;
  const id = await project.containerId(victim);
  log(`docker network disconnect ${network} ${victim}: ${victim} alone on its side`);
  await project.docker_(['network', 'disconnect', network, id]);

  // A node that led a replica set steps down once it has not heard from a majority for an election timeout;
  // from then on it refuses strong writes. Wait until the cut-off node leads nothing.
  await until(`${victim} to lead nothing`, () => callInside(ctx, victim, 'GET', '/status'), (a) => a.status === 200 && a.body.groups.every((g: { role: string }) => g.role !== 'leader'), 30_000);
  const refused = await callInside(ctx, victim, 'PUT', kv(strongKey, 'strong'), { value: 'minority-strong' });
  check(
    `minority side (${victim}): strong write refused with 503 and a reason`,
    refused.status === 503 && typeof refused.body?.reason === 'string' && refused.body?.retryable === true,
    show(refused),
  );
  const accepted = await until('the majority side to accept a strong write', () => call(ctx.urls[helper]!, 'PUT', kv(strongKey, 'strong'), { value: 'majority-strong' }), (a) => a.status === 200);
  check(`majority side (${helper}): strong write of the same key accepted`, accepted.status === 200, show(accepted));

  const minorityEventual = await callInside(ctx, victim, 'PUT', kv(eventualKey, 'eventual'), { value: 'from-minority' });
  check(`minority side (${victim}): eventual write accepted`, minorityEventual.status === 200, show(minorityEventual));
  const otherReplica = replicasOf(eventualKey).find((n) => n !== victim)!;
  const majorityEventual = await call(ctx.urls[otherReplica]!, 'PUT', kv(eventualKey, 'eventual'), { value: 'from-majority' });
  check(`majority side (${otherReplica}): eventual write of the same key accepted`, majorityEventual.status === 200, show(majorityEventual));
  const stillRefused = await callInside(ctx, victim, 'GET', kv(strongKey, 'strong'));
  check(`minority side (${victim}): strong read refused too (it cannot prove it sees the last write)`, stillRefused.status === 503, show(stillRefused));

  log(`docker network connect ${network} ${victim}: healed`);
  await project.docker_(['network', 'connect', '--alias', victim, network, id]);

  const replicas = replicasOf(eventualKey);
  const converged = await until(
    'the eventual key to converge on its replicas',
    async () => {
      const answers = await Promise.all(replicas.map((n) => call(ctx.urls[n]!, 'GET', kv(eventualKey, 'eventual'))));
      const sets = answers.map((a) => JSON.stringify([...((a.body?.values as string[] | undefined) ?? [])].sort()));
      return { status: new Set(sets).size === 1 && sets[0] === JSON.stringify(['from-majority', 'from-minority']) ? 200 : 0, body: sets };
    },
    (a) => a.status === 200,
    60_000,
  );
  check(`after heal: ${eventualKey} is the same on ${replicas.join(', ')}: both writes kept as siblings`, converged.status === 200, JSON.stringify(converged.body));
  const healedStrong = await until(`${victim} to serve the majority's strong write`, () => call(ctx.urls[victim]!, 'GET', kv(strongKey, 'strong')), (a) => a.status === 200, 60_000);
  check(`after heal: a strong read through ${victim} returns the majority's write`, healedStrong.status === 200 && JSON.stringify(healedStrong.body?.values) === '["majority-strong"]', show(healedStrong));
  // Every replica, asked for a strong read, answers with the majority's write at the same version (the
  // leader's, forwarded), and the refused write left nothing behind: not even an eventual copy, because strong
  // and eventual data are kept apart (Session 5).
  const strongReplicas = replicasOf(strongKey);
  const answers = [];
  for (const node of strongReplicas) answers.push(await until(`a strong read of ${strongKey} through ${node}`, () => call(ctx.urls[node]!, 'GET', kv(strongKey, 'strong')), (a) => a.status === 200, 60_000));
  const versions = new Set(answers.map((a) => JSON.stringify([a.body?.values, a.body?.version])));
  check(`after heal: a strong read of ${strongKey} through each of ${strongReplicas.join(', ')} returns the majority's write at one version`, versions.size === 1 && JSON.stringify(answers[0]!.body?.values) === '["majority-strong"]', [...versions].join(' | '));
  const victimEventual = await call(ctx.urls[victim]!, 'GET', kv(strongKey, 'eventual'));
  check(`after heal: ${victim} has no eventual copy of ${strongKey}: its refused strong write left nothing behind`, victimEventual.status === 404, show(victimEventual));
}

export async function leaderCrashScenario(ctx: StoreCtx): Promise<void> {
  const { check, project } = ctx;
  const key0 = 'crash-0';
  const first = await until('a strong write', () => call(ctx.urls.n1!, 'PUT', kv(key0, 'strong'), { value: 'v0' }), (a) => a.status === 200);
  const leader = first.body?.leader as string;
  const term = first.body?.term as number;
  const group = first.body?.group as string;
  check(`strong write acknowledged by ${group}'s leader ${leader} (term ${term})`, first.status === 200 && NODES.includes(leader), show(first));

  // More acknowledged writes in the same replica set (keys whose three replicas are the same).
  const sameGroup = Array.from({ length: 2000 }, (_, i) => `crash-${i}`).filter((k) => replicasOf(k).join('+') === group).slice(0, 10);
  const acked = new Map<string, string>([[key0, 'v0']]);
  for (const [i, k] of sameGroup.entries()) {
    const value = `v${i}-${Date.now()}`;
    const a = await call(ctx.urls[leader]!, 'PUT', kv(k, 'strong'), { value });
    if (a.status === 200) acked.set(k, value);
  }
  check(`${acked.size} strong writes acknowledged in ${group} before the crash`, acked.size >= 5, [...acked.keys()].join(', '));

  log(`docker kill ${leader} (SIGKILL: the leader of ${group} crashes)`);
  await project.docker_(['kill', '--signal', 'KILL', await project.containerId(leader)]);
  const dead = await project.state(leader);
  check(`${leader}'s container crashed`, dead.status === 'exited' && dead.exitCode === 137, `${dead.status}, exit code ${dead.exitCode}`);

  const survivor = group.split('+').find((n) => n !== leader)!;
  const next = await until(
    'a new leader for the replica set',
    () => call(ctx.urls[survivor]!, 'PUT', kv(key0, 'strong'), { value: 'after-crash' }),
    (a) => a.status === 200 && a.body?.leader !== leader,
    60_000,
  );
  check(
    `a new leader of ${group} was elected: ${next.body?.leader} in term ${next.body?.term} (was ${leader} in term ${term})`,
    next.status === 200 && next.body?.leader !== leader && group.split('+').includes(next.body?.leader) && next.body?.term > term,
    show(next),
  );
  acked.set(key0, 'after-crash');
  const lost: string[] = [];
  for (const [k, v] of acked) {
    const a = await until(`strong read of ${k}`, () => call(ctx.urls[survivor]!, 'GET', kv(k, 'strong')), (x) => x.status === 200 || x.status === 404, 30_000);
    if (JSON.stringify(a.body?.values) !== JSON.stringify([v])) lost.push(`${k}: wanted ${v}, got ${show(a)}`);
  }
  check(`no acknowledged strong write lost: all ${acked.size} read back through the new leader`, lost.length === 0, lost.join('; '));

  await project.compose(['start', leader]);
  const back = await until(`${leader} to come back`, () => call(ctx.urls[leader]!, 'GET', `/kv/${key0}?consistency=strong`), (a) => a.status === 200, 60_000);
  check(`${leader} restarted on its volume and serves the new value (it follows the new leader)`, JSON.stringify(back.body?.values) === '["after-crash"]', show(back));
}

/**
 * The store's part of `npm run test:docker`, run after the queue's on the same daemon: tags the image the
 * queue part built from docker/Dockerfile as the store's `image:` (the same recipe; docker/store/compose.yaml
 * builds it under that name for learners), brings up docker/store/compose.yaml with `up -d --no-build` on free
 * host ports, and runs the two scenarios. cleanup() removes its containers, network, volumes and tag.
 */
export class StoreRun {
  project: ComposeProject | undefined;
  private tagged = false;

  constructor(
    private readonly makeProject: (file: string, name: string, env: NodeJS.ProcessEnv) => ComposeProject,
    private readonly env: NodeJS.ProcessEnv,
    private readonly check: Check,
  ) {}

  async run(composeFile: string, builtImage: string, freePort: () => Promise<number>): Promise<void> {
    const ports: Record<string, number> = {};
    for (const n of NODES) ports[n] = await freePort();
    const env: NodeJS.ProcessEnv = { ...this.env, ...Object.fromEntries(NODES.map((n) => [`STORE_${n.toUpperCase()}_PORT`, String(ports[n])])) };
    const name = `dss${process.pid}${Date.now().toString(36)}`;
    const project = (this.project = this.makeProject(composeFile, name, env));
    const config = await project.compose(['config', '--services'], true);
    const services = config.stdout.trim().split('\n').sort();
    this.check(`${project.description} config accepts docker/store/compose.yaml`, config.code === 0 && services.join(',') === NODES.join(','), config.code === 0 ? `services: ${services.join(', ')}` : config.stderr.trim());

    await project.docker_(['tag', builtImage, 'ds-course/store:local']);
    this.tagged = true;
    log(`${project.description} -p ${name} up -d --no-build (store: five nodes, host ports ${NODES.map((n) => ports[n]).join(', ')})`);
    await project.compose(['up', '-d', '--no-build']);
    const ctx: StoreCtx = { project, urls: Object.fromEntries(NODES.map((n) => [n, `http://127.0.0.1:${ports[n]}`])), check: this.check };
    await storeUp(ctx);
    await partitionScenario(ctx);
    await leaderCrashScenario(ctx);
  }

  async cleanup(): Promise<void> {
    if (this.project) {
      log('cleanup: store project down -v --remove-orphans');
      const down = await this.project.compose(['down', '-v', '--remove-orphans', '--timeout', '5'], true);
      if (down.code !== 0) log(`cleanup: store compose down failed: ${down.stderr.trim()}`);
      if (this.tagged) await this.project.docker_(['rmi', 'ds-course/store:local'], true);
    }
  }

  async logs(): Promise<string> {
    return this.project ? this.project.logs() : '';
  }
}
