// `npm run test:docker`: the work queue in real containers, built from the learners' Dockerfile, with real crashes.
//
// What it does, in order (each step prints a progress line; the run takes three to four minutes):
//   1. checks docker/Dockerfile statically (a quick look before a long build) and that
//      `docker-compose config` accepts docker/queue/compose.yaml;
//   2. starts a private dockerd (or uses the one DOCKER_HOST points at) and, since no registry is reachable,
//      makes a stand-in for the Dockerfile's base image (`FROM node:20-slim`) from this machine's Node and
//      npm (tests/docker/base-image.ts);
//   3. builds the learners' image with `compose build` on the learners' compose file. Its `npm ci` fetches
//      every package over 127.0.0.1 from this machine's npm cache (tests/docker/npm-cache-registry.ts) and
//      checks each against the lockfile; the build context must stay small (the root .dockerignore);
//   4. `docker-compose up -d --no-build` on the same file, with the job count, work time and visibility
//      timeout set through the variables the file reads (never a different topology);
//   5. SIGKILLs a worker while it holds a lease, and checks every job still completes exactly once;
//   6. SIGKILLs the broker and starts it again, and checks that nothing acknowledged was lost;
//   7. the store (Part II): docker/store/compose.yaml on the same image, a real partition (network disconnect)
//      and a crashed leader (tests/docker/store-scenarios.ts);
//   8. the chat (Part III): docker/chat/compose.yaml on the same image, Node chat clients on both servers'
//      published ports, a chat server's container SIGKILLed (its clients resume on the other: no gap, no
//      duplicate), started again (history is in the bus), and the bus SIGKILLed and started on its volume
//      (tests/docker/chat-scenarios.ts);
//   9. the Raft database (Part IV): docker/raft/compose.yaml on the same image, the leader's container SIGKILLed,
//      a new leader serves writes, no acknowledged write lost, the old leader started again catches up
//      (tests/docker/raft-scenarios.ts);
//  10. always cleans up: containers, network, volumes, images, temporary files, and the daemon if it started one.
// It ends with `N passed, M failed` and exits 1 if anything failed.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDockerfile, parseDockerfile } from './dockerfile.ts';
import { startDaemon, type Daemon } from './daemon.ts';
import { buildBaseImage } from './base-image.ts';
import { buildWithCompose } from './build.ts';
import { startCacheRegistry, type CacheRegistry } from './npm-cache-registry.ts';
import { ComposeProject } from './compose.ts';
import { run, waitFor, log } from './exec.ts';
import { crashBrokerScenario, killWorkerScenario, type Check } from './scenarios.ts';
import { StoreRun } from './store-scenarios.ts';
import { ChatRun } from './chat-scenarios.ts';
import { RaftRun } from './raft-scenarios.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSE_FILE = join(REPO, 'docker/queue/compose.yaml');
const DOCKERFILE = join(REPO, 'docker/Dockerfile');
const IMAGE = 'ds-course/queue:local'; // what every service's `image:` names
const BASE = 'node:20-slim'; // what the Dockerfile's FROM names
// Set here, not taken from the compose defaults (which follow the runner's and may grow): enough jobs that
// the workers are busy when one is killed, few enough that the run stays short.
const JOBS = 60;
const WORK_MS = 1000;
// The learners' context is ~0.5 MB (package files and examples/); without the root .dockerignore Compose v1
// sent ~375 MB. The bound leaves room for the examples of later sessions.
const MAX_CONTEXT_BYTES = 10e6;

const results: { name: string; ok: boolean; detail: string }[] = [];
let interrupted = false; // set by a signal: the main flow's remaining steps fail as cleanup removes things
const check: Check = (name, ok, detail = '') => {
  if (interrupted) return ok;
  results.push({ name, ok, detail });
  log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
};

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

let daemon: Daemon | undefined;
let project: ComposeProject | undefined;
let store: StoreRun | undefined;
let chat: ChatRun | undefined;
let raft: RaftRun | undefined;
let imageBuilt = false;
let baseMade = false; // true only when this run made the stand-in (a daemon's own node:20-slim is left alone)
let registry: CacheRegistry | undefined;
const tempDir = mkdtempSync(join(tmpdir(), 'course-docker-test-'));
let cleaning: Promise<void> | undefined;

/** Idempotent, and safe to call from a signal handler while the main flow is still running. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (project) {
      log('cleanup: docker-compose down -v --remove-orphans');
      const down = await project.compose(['down', '-v', '--remove-orphans', '--timeout', '5'], true);
      if (down.code !== 0) log(`cleanup: compose down failed: ${down.stderr.trim()}`);
    }
    if (store) await store.cleanup();
    if (chat) await chat.cleanup();
    if (raft) await raft.cleanup();
    if (registry) await registry.close();
    rmSync(tempDir, { recursive: true, force: true });
    for (const [image, ours] of [[IMAGE, imageBuilt], [BASE, baseMade]] as const) {
      if (!daemon || !ours) continue;
      const rmi = await run(daemon.docker, ['rmi', '-f', image], { env: daemon.env, allowFail: true });
      log(`cleanup: removed image ${image}${rmi.code === 0 ? '' : ` (failed: ${rmi.stderr.trim()})`}`);
    }
    if (daemon) await daemon.stop();
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    interrupted = true;
    log(`${sig}: cleaning up before exit`);
    void cleanup().finally(() => {
      console.log(`\n${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed (interrupted by ${sig})`);
      process.exit(130);
    });
  });
}

async function main(): Promise<void> {
  // 1. The learners' Dockerfile, statically, before spending half a minute building it.
  const dockerfileText = readFileSync(DOCKERFILE, 'utf8');
  const problems = checkDockerfile(dockerfileText, REPO, BASE);
  check(
    `docker/Dockerfile static check (FROM ${BASE}, WORKDIR, npm ci, every COPY source exists)`,
    problems.length === 0,
    problems.join('; '),
  );
  // The stand-in is this machine's Node: it may stand in for node:<major> only if the majors agree.
  const fromMajor = /^node:(\d+)/.exec(parseDockerfile(dockerfileText).from)?.[1];
  const hostMajor = process.versions.node.split('.')[0];
  check(`this machine's Node (${process.version}) has the major version the FROM line names`, fromMajor === hostMajor, `FROM node:${fromMajor ?? '?'}`);

  daemon = await startDaemon();
  const port = await freePort();
  const name = `dsq${process.pid}${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...daemon.env,
    // The knobs the compose file reads (`${NAME:-default}`); the topology stays the learners'.
    QUEUE_PORT: String(port), // a free host port instead of 7700 (a learner's broker may be running)
    JOBS: String(JOBS),
    WORK_MS: String(WORK_MS),
    RATE: '20', // enqueue faster than the default 5/s so the run is shorter
    VISIBILITY_TIMEOUT_MS: '4000', // the killed worker's job comes back after 4 s, not the default 10 s
    FAIL_RATE: '0', // no simulated failures: "dead == 0" must hold on every run, not almost every run
  };
  project = new ComposeProject(COMPOSE_FILE, name, env, daemon.docker);

  // The compose file parses and interpolates.
  const config = await project.compose(['config', '--services'], true);
  const services = config.stdout.trim().split('\n').sort();
  check(
    `${project.description} config accepts docker/queue/compose.yaml`,
    config.code === 0 && services.join(',') === 'broker,producer,worker-1,worker-2,worker-3',
    config.code === 0 ? `services: ${services.join(', ')}` : config.stderr.trim(),
  );

  // 2. The base image, without a registry.
  const existing = await run(daemon.docker, ['image', 'inspect', BASE], { env, allowFail: true });
  if (existing.code === 0 && !daemon.ours) {
    log(`the daemon already has ${BASE}; building on it and leaving it in place`);
  } else {
    log(`making a stand-in for ${BASE} from this machine's node ${process.version} and npm (no registry)`);
    baseMade = true; // from here on cleanup removes the tag, even if the import fails half-way
    await buildBaseImage({ docker: daemon.docker, env, tag: BASE });
  }

  // 3. The learners' image, from the learners' Dockerfile; `npm ci` fetches over loopback from the npm cache.
  registry = await startCacheRegistry();
  log(`${project.description} build: docker/Dockerfile, npm ci from ${registry.url} (this machine's npm cache)`);
  imageBuilt = true;
  const built = await buildWithCompose(project, services, registry.url, tempDir);
  check(
    `${project.description} build ran docker/Dockerfile to the end, npm ci included`,
    built.code === 0 && /\bnpm ci\b/.test(built.output),
    built.code === 0 ? `${registry.served} packages and documents fetched from the cache registry` : built.output.split('\n').slice(-25).join('\n'),
  );
  if (registry.missing.length > 0) log(`the npm cache lacked (answered 404): ${registry.missing.slice(0, 5).join(', ')}${registry.missing.length > 5 ? ', ...' : ''}`);
  const largest = Math.max(0, ...built.contextBytes);
  check(
    `each build context is small (under ${MAX_CONTEXT_BYTES / 1e6} MB: .dockerignore keeps node_modules out)`,
    built.contextBytes.length > 0 && largest < MAX_CONTEXT_BYTES,
    built.contextBytes.length > 0 ? `${built.contextBytes.length} builds, largest context ${(largest / 1e3).toFixed(0)} kB` : 'the build printed no context size',
  );
  const size = await run(daemon.docker, ['image', 'inspect', '--format', '{{.Size}}', IMAGE], { env });
  log(`image ready: ${IMAGE}, ${(Number(size.stdout) / 1e6).toFixed(0)} MB`);

  // 4. Up, exactly as a learner would; the build is done.
  log(`${project.description} -p ${name} up -d --no-build (JOBS=${JOBS}, host port ${port})`);
  await project.compose(['up', '-d', '--no-build']);
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the broker to answer /health', async () => ((await fetch(`${base}/health`)).ok ? true : undefined), 120_000);
  check('broker answers /health on the published port', true, base);
  const workers = ['worker-1', 'worker-2', 'worker-3'];
  const up = project;
  const healthy = await waitFor(
    'the workers to pass their healthcheck (broker reachable from each container)',
    async () => {
      const states = await Promise.all(workers.map((w) => up.state(w)));
      return states.every((s) => s.health === 'healthy') ? states : undefined;
    },
    120_000,
  ).catch(() => undefined);
  check('the three workers report healthy (docker inspect)', healthy !== undefined, healthy ? 'healthy' : 'not all healthy within 120 s');

  // 5 and 6.
  const ctx = { project, base, jobs: JOBS, check };
  await killWorkerScenario(ctx);
  await crashBrokerScenario(ctx);

  // 7. The store, on the image just built.
  const queue = project;
  store = new StoreRun((file, name, storeEnv) => new ComposeProject(file, name, storeEnv, queue.docker), daemon.env, check);
  await store.run(join(REPO, 'docker/store/compose.yaml'), IMAGE, freePort);

  // 8. The chat, on the image just built.
  chat = new ChatRun((file, name, chatEnv) => new ComposeProject(file, name, chatEnv, queue.docker), daemon.env, check);
  await chat.run(join(REPO, 'docker/chat/compose.yaml'), IMAGE, freePort);

  // 9. The Raft database, on the image just built.
  raft = new RaftRun((file, name, raftEnv) => new ComposeProject(file, name, raftEnv, queue.docker), daemon.env, check);
  await raft.run(join(REPO, 'docker/raft/compose.yaml'), IMAGE, freePort);
}

try {
  await main();
} catch (err) {
  check('docker test ran to the end', false, err instanceof Error ? err.message : String(err));
}
if (interrupted) await new Promise(() => {}); // the signal handler finishes the cleanup and exits
const failed = results.filter((r) => !r.ok).length;
if (failed > 0 && project) {
  log('service logs (last lines), to see why:');
  console.log(await project.logs().catch((e: unknown) => String(e)));
  if (store) console.log(await store.logs().catch((e: unknown) => String(e)));
  if (chat) console.log(await chat.logs().catch((e: unknown) => String(e)));
  if (raft) console.log(await raft.logs().catch((e: unknown) => String(e)));
}
await cleanup();
console.log(`\n${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
