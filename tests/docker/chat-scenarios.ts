// The chat system in real containers (docker/chat/compose.yaml, run with `up --no-build` from the image the queue
// part of `npm run test:docker` built from the same docker/Dockerfile). Node chat clients on this machine
// (examples/chat/node/client.ts, the client core the browser page uses too) talk to both chat servers through
// their published ports. Three stories:
//
// 1. A chat server crashes: six clients, three on s1 and three on s2, write into three rooms; s1's container is
//    `docker kill`ed (SIGKILL) while its clients still have sends unconfirmed. They reconnect to s2 and resume
//    from the last seq they showed; their unconfirmed sends are resent with the same ids and stored once. At
//    the end every client shows the identical sequence per room, 1..N with no gap and no duplicate, and every
//    acknowledged send appears exactly once, at the seq it was acknowledged with. Presence: a client that only
//    knows s1 disappears from the online list that s2's client sees, once s2 has not heard s1's beat for the
//    presence timeout.
// 2. The crashed server is started again: it remembers nothing, yet a new client on it gets every room's whole
//    history (history lives in the bus), its sends reach the clients on s2, and the client that only knew s1
//    is back online.
// 3. The bus crashes (SIGKILL) and is started again on its named volume: it fsyncs before it acknowledges, so
//    every acknowledged message is still there, and the seqs go on from where they were (no number reused).

import { ChatClient } from '../../examples/chat/node/client.ts';
import type { ComposeProject } from './compose.ts';
import { log, waitFor } from './exec.ts';
import type { Check } from './scenarios.ts';

const SERVICES = ['bus', 's1', 's2'] as const;
type Service = (typeof SERVICES)[number];
const ROOMS = ['lobby', 'dev', 'ops'];
const PRESENCE_ROOM = 'presence';
const IMAGE = 'ds-course/chat:local';

export interface ChatCtx {
  project: ComposeProject;
  /** service -> http://127.0.0.1:<published port> */
  http: Record<Service, string>;
  /** chat server -> ws://127.0.0.1:<published port>/ws */
  ws: Record<'s1' | 's2', string>;
  check: Check;
  /** Every client made, so cleanup closes them all. */
  clients: ChatClient[];
  /** The clients' own reports (connects, closes, errors): the last ones are shown when something fails. */
  clientLog: string[];
}

function newClient(ctx: ChatCtx, user: string, urls: string[]): ChatClient {
  const c = new ChatClient({
    urls,
    user,
    clientId: user,
    seed: ctx.clients.length + 1,
    log: (line) => {
      ctx.clientLog.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
      if (ctx.clientLog.length > 200) ctx.clientLog.shift();
    },
  });
  ctx.clients.push(c);
  return c;
}

/**
 * GET url, as JSON. The time limit is an ordinary (ref'd) timer, not AbortSignal.timeout: that one does not keep
 * Node running, and neither does fetch's socket, so a request that hangs (a published port whose container is
 * still starting) would let the process end in the middle of the run.
 */
async function getJson(url: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer from ${url} within 5 s`)), 5_000);
  try {
    const res = await fetch(url, { signal: abort.signal });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch (err) {
    return { status: 0, body: { error: String(err) } };
  } finally {
    clearTimeout(timer);
  }
}

/** GET url, as text (the browser client's page and script). */
async function getText(url: string): Promise<{ status: number; type: string; body: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer from ${url} within 10 s`)), 10_000);
  try {
    const res = await fetch(url, { signal: abort.signal });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  } catch (err) {
    return { status: 0, type: '', body: String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Wait for `ok()`; false (not a throw) when it does not come, so the check that follows prints FAIL with the state. */
async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(what, async () => ((await ok()) ? true : undefined), timeoutMs, 100);
    return true;
  } catch {
    return false;
  }
}

/** One line per client: where it is, what it still waits for, how much it shows. */
function describe(clients: ChatClient[], rooms: string[]): string {
  return clients
    .map((c) => `${c.user}@${c.server ?? c.state} unconfirmed ${c.unconfirmed()} ${rooms.map((r) => `${r}:${c.seqs(r).length}${c.isCaughtUp(r) ? '' : '(catching up)'}`).join(' ')}`)
    .join('; ');
}

/** Every acknowledged send in `room`, as "clientId/id" -> seq. */
function acknowledged(clients: ChatClient[], room: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of clients) for (const ack of c.acks.values()) if (ack.room === room) out.set(`${c.clientId}/${ack.id}`, ack.seq);
  return out;
}

/**
 * Every send confirmed, and every client caught up in every room with at least as many messages as were
 * acknowledged there (these clients are the rooms' only writers). Then the real checks can look.
 */
function settled(clients: ChatClient[], rooms: string[]): boolean {
  if (clients.some((c) => c.unconfirmed() > 0 || c.state !== 'connected')) return false;
  return rooms.every((room) => {
    const n = acknowledged(clients, room).size;
    return clients.every((c) => c.isCaughtUp(room) && c.seqs(room).length >= n);
  });
}

/**
 * The guarantee, as a list of what is wrong (empty: it holds): in every room every client shows the same messages
 * in the same order, seqs 1..N with no gap and no duplicate, and every acknowledged send appears exactly once, at
 * the seq it was acknowledged with, and nothing else does.
 */
function roomProblems(clients: ChatClient[], rooms: string[]): string[] {
  const problems: string[] = [];
  for (const room of rooms) {
    const acked = acknowledged(clients, room);
    const reference = clients[0]!.shown(room);
    const seqs = reference.map((m) => m.seq);
    const wanted = Array.from({ length: acked.size }, (_, i) => i + 1);
    if (JSON.stringify(seqs) !== JSON.stringify(wanted)) {
      problems.push(`${room}: ${clients[0]!.user} shows seqs ${compact(seqs)}, wanted 1..${acked.size}`);
    }
    for (const c of clients.slice(1)) {
      if (JSON.stringify(c.shown(room)) !== JSON.stringify(reference)) problems.push(`${room}: ${c.user} shows ${compact(c.seqs(room))}, not what ${clients[0]!.user} shows`);
    }
    const bySender = new Map<string, number[]>();
    for (const m of reference) bySender.set(`${m.clientId}/${m.id}`, [...(bySender.get(`${m.clientId}/${m.id}`) ?? []), m.seq]);
    for (const [key, seq] of acked) {
      const at = bySender.get(key) ?? [];
      if (at.length !== 1 || at[0] !== seq) problems.push(`${room}: acknowledged send ${key} (seq ${seq}) appears at [${at.join(',')}]`);
    }
    if (bySender.size !== acked.size) problems.push(`${room}: ${bySender.size} distinct messages shown, ${acked.size} acknowledged`);
  }
  return problems;
}

/** "1..5,7,9..10": a sequence of numbers, short. */
function compact(seqs: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    parts.push(j === i ? `${seqs[i]}` : `${seqs[i]}..${seqs[j]}`);
    i = j + 1;
  }
  return parts.length > 12 ? `${parts.slice(0, 12).join(',')},...` : parts.join(',') || '(none)';
}

const roomSummary = (c: ChatClient, rooms: string[]) => rooms.map((r) => `${r} 1..${c.seqs(r).length}`).join(', ');

export async function chatUp(ctx: ChatCtx): Promise<void> {
  const { check } = ctx;
  // A chat server's /health is 200 only while it is connected to the bus: all three green means the servers
  // found the bus by its service name across the compose network.
  const answered = await until(
    'the bus and both chat servers to answer /health with 200',
    async () => (await Promise.all(SERVICES.map((s) => getJson(`${ctx.http[s]}/health`)))).every((a) => a.status === 200),
    120_000,
  );
  const health = await Promise.all(SERVICES.map((s) => getJson(`${ctx.http[s]}/health`)));
  check(
    'the bus and both chat servers answer GET /health with 200 on their published ports (each server connected to ws://bus:7300)',
    answered,
    SERVICES.map((s, i) => `${s} ${health[i]!.status}${health[i]!.body?.bus ? ` bus ${health[i]!.body.bus}` : ''}`).join(', '),
  );
  const healthy = await until(
    'the three healthchecks to pass',
    async () => (await Promise.all(SERVICES.map((s) => ctx.project.state(s)))).every((st) => st.health === 'healthy'),
    60_000,
  );
  const states = await Promise.all(SERVICES.map((s) => ctx.project.state(s)));
  check('the bus, s1 and s2 report healthy (docker inspect)', healthy, SERVICES.map((s, i) => `${s} ${states[i]!.health}`).join(', '));
  // The browser client is bundled by esbuild inside the container when the server starts (examples/chat/web).
  const page = await getText(`${ctx.http.s1}/`);
  const script = await getText(`${ctx.http.s1}/app.js`);
  check(
    's1 serves the browser client: GET / is the HTML page, GET /app.js the bundled client (not the placeholder)',
    page.status === 200 && page.type.startsWith('text/html') && /<script/.test(page.body) && script.status === 200 && script.body.length > 2_000 && !/placeholder/.test(script.body.slice(0, 200)),
    `GET / ${page.status} ${page.type}, ${page.body.length} bytes; GET /app.js ${script.status}, ${script.body.length} bytes`,
  );
}

export async function serverCrashScenario(ctx: ChatCtx): Promise<{ writers: ChatClient[]; ghost: ChatClient; watcher: ChatClient }> {
  const { check, project } = ctx;
  const { s1, s2 } = ctx.ws;
  // Three writers start on s1 and fall back to s2; three start on s2 and fall back to s1.
  const writers = Array.from({ length: 6 }, (_, i) => newClient(ctx, `w${i + 1}`, i < 3 ? [s1, s2] : [s2, s1]));
  for (const c of writers) for (const room of ROOMS) c.join(room);
  // Presence: the ghost knows only s1 (when s1 dies it cannot move); the watcher is on s2.
  const ghost = newClient(ctx, 'ghost', [s1]);
  const watcher = newClient(ctx, 'watcher', [s2]);
  ghost.join(PRESENCE_ROOM);
  watcher.join(PRESENCE_ROOM);
  const joined = await until('every writer caught up in every room', () => writers.every((c) => ROOMS.every((r) => c.isCaughtUp(r))), 30_000);
  check(
    `six clients joined ${ROOMS.join(', ')}: three through s1's published port, three through s2's`,
    joined && writers.map((c) => c.server).join(',') === 's1,s1,s1,s2,s2,s2',
    writers.map((c) => `${c.user}@${c.server ?? c.state}`).join(', '),
  );
  const seen = await until("the watcher on s2 sees the ghost on s1 (presence beats cross the bus)", () => watcher.presence(PRESENCE_ROOM).includes('ghost'), 20_000);
  check(`presence across servers: the watcher on s2 sees ${JSON.stringify(watcher.presence(PRESENCE_ROOM))} in ${PRESENCE_ROOM}`, seen && JSON.stringify(watcher.presence(PRESENCE_ROOM)) === '["ghost","watcher"]');

  // Write from both sides. The clients pace themselves to the server's rate limit (about 18 frames/s each), so
  // 40 sends take each writer two seconds or so: s1 dies in the middle of them.
  let sends = 0;
  for (let n = 0; n < 40; n++) for (const [i, c] of writers.entries()) (c.send(ROOMS[(i + n) % ROOMS.length]!, `before ${c.user} ${n}`), sends++);
  await until('a first part of the sends acknowledged', () => writers.reduce((sum, c) => sum + c.acks.size, 0) >= 60, 30_000);
  const unconfirmedOnS1 = writers.slice(0, 3).reduce((sum, c) => sum + c.unconfirmed(), 0);
  const ackedBefore = writers.reduce((sum, c) => sum + c.acks.size, 0);
  log(`docker kill s1 (SIGKILL) with ${ackedBefore} of ${sends} sends acknowledged, ${unconfirmedOnS1} of s1's clients' sends not yet`);
  const s1Container = await project.containerId('s1');
  const killedAt = Date.now();
  await project.docker_(['kill', '--signal', 'KILL', s1Container]);
  const dead = await project.state('s1');
  check("s1's container crashed (SIGKILL)", dead.status === 'exited' && dead.exitCode === 137, `${dead.status}, exit code ${dead.exitCode}`);
  check("s1's clients had sends not yet acknowledged when it died (they must be resent, and stored once)", unconfirmedOnS1 > 0, `${unconfirmedOnS1} unacknowledged`);
  for (let n = 0; n < 10; n++) for (const [i, c] of writers.entries()) (c.send(ROOMS[(i + n) % ROOMS.length]!, `after ${c.user} ${n}`), sends++);

  const moved = await until("s1's clients to reconnect to s2", () => writers.every((c) => c.server === 's2'), 30_000);
  check(
    "s1's clients reconnected to s2 (through its published port)",
    moved && writers.slice(0, 3).every((c) => c.connections >= 2),
    `${writers.map((c) => `${c.user}@${c.server ?? c.state} (${c.connections} connections)`).join(', ')}; ${moved ? `all on s2 ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill` : 'not all'}`,
  );
  const done = await until('every send acknowledged and every client caught up', () => settled(writers, ROOMS), 60_000);
  const acks = writers.reduce((sum, c) => sum + c.acks.size, 0);
  check(`every one of the ${sends} sends was acknowledged (resends after the crash included)`, done && acks === sends, `${acks} acknowledged; ${describe(writers, ROOMS)}`);
  const problems = roomProblems(writers, ROOMS);
  check(
    'every client shows the identical sequence per room, 1..N with no gap and no duplicate, and every acknowledged send exactly once',
    problems.length === 0,
    problems.length === 0 ? `${roomSummary(writers[0]!, ROOMS)} on all six clients` : problems.slice(0, 6).join('; '),
  );

  const gone = await until("the watcher to stop seeing the ghost (s1's beats stopped)", () => !watcher.presence(PRESENCE_ROOM).includes('ghost'), 20_000);
  const status = await getJson(`${ctx.http.s2}/status`);
  const s2Knows = Object.keys(status.body?.presence ?? {}).sort();
  check(
    "presence: s2 dropped the killed server's users after the presence timeout",
    gone && JSON.stringify(watcher.presence(PRESENCE_ROOM)) === '["watcher"]' && !s2Knows.includes('s1') && ghost.state === 'reconnecting',
    `the watcher sees ${JSON.stringify(watcher.presence(PRESENCE_ROOM))} ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (s2 drops a server not heard from for 3.5 s; s1's last beat was up to 1 s before the kill); s2 /status presence has ${JSON.stringify(s2Knows)}; the ghost is ${ghost.state}`,
  );
  return { writers, ghost, watcher };
}

export async function serverRestartScenario(ctx: ChatCtx, writers: ChatClient[], ghost: ChatClient, watcher: ChatClient): Promise<void> {
  const { check, project } = ctx;
  await project.compose(['start', 's1']);
  const up = await until('s1 to answer /health with 200 again', async () => (await getJson(`${ctx.http.s1}/health`)).status === 200, 60_000);
  check('s1 started again (docker compose start s1) and answers /health with 200', up, JSON.stringify((await getJson(`${ctx.http.s1}/health`)).body));

  // A new client on the restarted s1: the server's memory is empty, the history is in the bus.
  const late = newClient(ctx, 'late', [ctx.ws.s1]);
  for (const room of ROOMS) late.join(room);
  const caught = await until('the late client caught up on s1', () => late.server === 's1' && ROOMS.every((r) => late.isCaughtUp(r)), 30_000);
  const same = ROOMS.every((r) => JSON.stringify(late.shown(r)) === JSON.stringify(writers[0]!.shown(r)));
  check(
    "history survives the chat server's crash: a new client on the restarted s1 gets every room's whole history, the same as everyone saw",
    caught && same,
    `late@${late.server ?? late.state}: ${roomSummary(late, ROOMS)}; w1: ${roomSummary(writers[0]!, ROOMS)}`,
  );

  // It serves live traffic: sends on s1 reach the clients on s2 and the other way round.
  const everyone = [...writers, late];
  for (let n = 0; n < 3; n++) for (const room of ROOMS) (late.send(room, `back on s1 ${n}`), writers[n]!.send(room, `to s1 ${n}`));
  const done = await until('the late client and the writers agree again', () => settled(everyone, ROOMS), 30_000);
  const problems = roomProblems(everyone, ROOMS);
  check(
    'the restarted s1 serves: its sends reach the clients on s2 and theirs reach it, identical, gap-free, duplicate-free',
    done && problems.length === 0,
    done ? (problems.length === 0 ? `${roomSummary(late, ROOMS)} on all seven clients` : problems.slice(0, 6).join('; ')) : describe(everyone, ROOMS),
  );
  const back = await until('the watcher to see the ghost again', () => watcher.presence(PRESENCE_ROOM).includes('ghost'), 20_000);
  check("the ghost (it only knows s1) reconnected to the restarted s1 and is online again for the watcher on s2", back && ghost.server === 's1', `the watcher sees ${JSON.stringify(watcher.presence(PRESENCE_ROOM))}; the ghost is ${ghost.state} on ${ghost.server}`);
}

export async function busCrashScenario(ctx: ChatCtx, writers: ChatClient[]): Promise<void> {
  const { check, project } = ctx;
  const everyone = ctx.clients.filter((c) => c.user !== 'ghost' && c.user !== 'watcher');
  const lastBefore = Object.fromEntries(ROOMS.map((r) => [r, writers[0]!.seqs(r).length]));
  const busContainer = await project.containerId('bus');
  log(`docker kill bus (SIGKILL); rooms at ${ROOMS.map((r) => `${r} ${lastBefore[r]}`).join(', ')}`);
  await project.docker_(['kill', '--signal', 'KILL', busContainer]);
  const down = await until('both chat servers to notice the bus is gone (/health 503)', async () => (await Promise.all((['s1', 's2'] as const).map((s) => getJson(`${ctx.http[s]}/health`)))).every((a) => a.status === 503), 20_000);
  check('with the bus killed, both chat servers say so: /health 503', down);
  // Sends while the bus is down: refused as `unavailable`, kept by the clients and sent again once it is back.
  let sends = 0;
  const unavailableBefore = writers.reduce((sum, c) => sum + c.errors.filter((e) => e.code === 'unavailable').length, 0);
  const duringOutage: { client: ChatClient; id: number }[] = [];
  for (const [i, c] of writers.entries()) (duringOutage.push({ client: c, id: c.send(ROOMS[i % ROOMS.length]!, `while the bus is down ${c.user}`) }), sends++);
  const refused = await until('the servers to refuse the sends as unavailable', () => writers.reduce((sum, c) => sum + c.errors.filter((e) => e.code === 'unavailable').length, 0) > unavailableBefore, 10_000);
  const unavailable = writers.reduce((sum, c) => sum + c.errors.filter((e) => e.code === 'unavailable').length, 0) - unavailableBefore;
  check(`while the bus is down the chat servers refuse sends with an "unavailable" error, and the clients keep them to send again`, refused && writers.some((c) => c.unconfirmed() > 0), `${unavailable} unavailable errors; ${writers.reduce((sum, c) => sum + c.unconfirmed(), 0)} sends kept unconfirmed`);
  await project.compose(['start', 'bus']);
  const up = await until('both chat servers reconnected to the restarted bus', async () => (await Promise.all((['s1', 's2'] as const).map((s) => getJson(`${ctx.http[s]}/health`)))).every((a) => a.status === 200), 60_000);
  check('the bus started again on its volume (docker compose start bus), and both chat servers reconnected to it', up);
  const done = await until('every send acknowledged and every client caught up after the bus restart', () => settled(everyone, ROOMS), 60_000);
  const problems = roomProblems(everyone, ROOMS);
  // Each room got exactly the outage's sends on top of what it had, each at a seq after the old last one.
  const kept =
    ROOMS.every((r) => writers[0]!.seqs(r).length === lastBefore[r]! + writers.filter((_, i) => ROOMS[i % ROOMS.length] === r).length) &&
    duringOutage.every(({ client, id }) => {
      const ack = client.acks.get(id);
      return ack !== undefined && ack.seq > lastBefore[ack.room]!;
    });
  check(
    `the bus replayed its log: nothing acknowledged was lost, the ${sends} sends made while it was down were stored once each, and the seqs went on (none reused)`,
    done && problems.length === 0 && kept,
    [
      `was ${ROOMS.map((r) => `${r} 1..${lastBefore[r]}`).join(', ')}, now ${roomSummary(writers[0]!, ROOMS)}`,
      `the outage's sends acknowledged at ${duringOutage.map(({ client, id }) => { const a = client.acks.get(id); return a ? `${a.room} ${a.seq}` : '(none)'; }).join(', ')}`,
      ...(done ? [] : [`not settled within 60 s: ${describe(everyone, ROOMS)}`]),
      ...problems.slice(0, 6),
    ].join('; '),
  );
}

/**
 * The chat's part of `npm run test:docker`, run after the store's on the same daemon: tags the image the queue
 * part built from docker/Dockerfile as the chat's `image:` (the same recipe; docker/chat/compose.yaml builds it
 * under that name for learners), brings up docker/chat/compose.yaml with `up -d --no-build` on free host ports,
 * and runs the three stories. cleanup() closes the clients and removes the containers, network, volume and tag.
 */
export class ChatRun {
  project: ComposeProject | undefined;
  private ctx: ChatCtx | undefined;
  private tagged = false;

  constructor(
    private readonly makeProject: (file: string, name: string, env: NodeJS.ProcessEnv) => ComposeProject,
    private readonly env: NodeJS.ProcessEnv,
    private readonly check: Check,
  ) {}

  async run(composeFile: string, builtImage: string, freePort: () => Promise<number>): Promise<void> {
    const started = Date.now();
    const ports = {} as Record<Service, number>;
    for (const s of SERVICES) ports[s] = await freePort();
    // The knobs the compose file reads: free host ports instead of 7300-7302 (a learner's chat may be running).
    const env: NodeJS.ProcessEnv = { ...this.env, CHAT_BUS_PORT: String(ports.bus), CHAT_S1_PORT: String(ports.s1), CHAT_S2_PORT: String(ports.s2) };
    const name = `dsc${process.pid}${Date.now().toString(36)}`;
    const project = (this.project = this.makeProject(composeFile, name, env));
    const config = await project.compose(['config', '--services'], true);
    const services = config.stdout.trim().split('\n').sort();
    this.check(`${project.description} config accepts docker/chat/compose.yaml`, config.code === 0 && services.join(',') === 'bus,s1,s2', config.code === 0 ? `services: ${services.join(', ')}` : config.stderr.trim());

    if (builtImage !== IMAGE) {
      await project.docker_(['tag', builtImage, IMAGE]);
      this.tagged = true;
    }
    log(`${project.description} -p ${name} up -d --no-build (chat: bus, s1, s2 on host ports ${SERVICES.map((s) => ports[s]).join(', ')})`);
    await project.compose(['up', '-d', '--no-build']);
    const ctx: ChatCtx = (this.ctx = {
      project,
      http: { bus: `http://127.0.0.1:${ports.bus}`, s1: `http://127.0.0.1:${ports.s1}`, s2: `http://127.0.0.1:${ports.s2}` },
      ws: { s1: `ws://127.0.0.1:${ports.s1}/ws`, s2: `ws://127.0.0.1:${ports.s2}/ws` },
      check: this.check,
      clients: [],
      clientLog: [],
    });
    await chatUp(ctx);
    const { writers, ghost, watcher } = await serverCrashScenario(ctx);
    await serverRestartScenario(ctx, writers, ghost, watcher);
    await busCrashScenario(ctx, writers);
    log(`the chat part took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }

  async cleanup(): Promise<void> {
    if (this.ctx) await Promise.all(this.ctx.clients.map((c) => c.close()));
    if (this.project) {
      log('cleanup: chat project down -v --remove-orphans');
      const down = await this.project.compose(['down', '-v', '--remove-orphans', '--timeout', '5'], true);
      if (down.code !== 0) log(`cleanup: chat compose down failed: ${down.stderr.trim()}`);
      if (this.tagged) await this.project.docker_(['rmi', IMAGE], true);
    }
  }

  /** The services' last lines, and the clients' last reports. */
  async logs(): Promise<string> {
    if (!this.project) return '';
    const clients = this.ctx ? `\nchat clients (last lines):\n${this.ctx.clientLog.slice(-40).join('\n')}` : '';
    return (await this.project.logs()) + clients;
  }
}
