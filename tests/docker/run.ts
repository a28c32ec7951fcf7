// `npm run test:docker`: the work queue in real containers, with real crashes.
//
// What it does, in order (each step prints a progress line; the run takes a few minutes):
//   1. checks docker/Dockerfile statically (it cannot be built here: no registry for `FROM node:20-slim`);
//   2. checks that `docker-compose config` accepts docker/queue/compose.yaml;
//   3. starts a private dockerd (or uses the one DOCKER_HOST points at) and makes the image the compose
//      file names from this machine's Node and node_modules (tests/docker/base-image.ts);
//   4. `docker-compose up -d --no-build` on the learners' compose file, with more jobs and a short
//      visibility timeout set through the variables the file reads (never a different topology);
//   5. SIGKILLs a worker while it holds a lease, and checks every job still completes exactly once;
//   6. SIGKILLs the broker and starts it again, and checks that nothing acknowledged was lost;
//   7. always cleans up: containers, network, volume, image, and the daemon if it started one.
// It ends with `N passed, M failed` and exits 1 if anything failed.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDockerfile } from './dockerfile.ts';
import { startDaemon, type Daemon } from './daemon.ts';
import { buildFixtureImage } from './base-image.ts';
import { ComposeProject } from './compose.ts';
import { run, waitFor, log } from './exec.ts';
import { crashBrokerScenario, killWorkerScenario, type Check } from './scenarios.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSE_FILE = join(REPO, 'docker/queue/compose.yaml');
const DOCKERFILE = join(REPO, 'docker/Dockerfile');
const IMAGE = 'ds-course/queue:local'; // what every service's `image:` names
const JOBS = 60;

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
let imageBuilt = false;
let cleaning: Promise<void> | undefined;

/** Idempotent, and safe to call from a signal handler while the main flow is still running. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (project) {
      log('cleanup: docker-compose down -v --remove-orphans');
      const down = await project.compose(['down', '-v', '--remove-orphans', '--timeout', '5'], true);
      if (down.code !== 0) log(`cleanup: compose down failed: ${down.stderr.trim()}`);
    }
    if (daemon && imageBuilt) {
      const rmi = await run(daemon.docker, ['rmi', '-f', IMAGE], { env: daemon.env, allowFail: true });
      log(`cleanup: removed image ${IMAGE}${rmi.code === 0 ? '' : ` (failed: ${rmi.stderr.trim()})`}`);
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
  // 1. The learners' Dockerfile, statically.
  const problems = checkDockerfile(readFileSync(DOCKERFILE, 'utf8'), REPO, 'node:20-slim');
  check(
    'docker/Dockerfile static check (FROM node:20-slim, WORKDIR, npm ci, every COPY source exists)',
    problems.length === 0,
    problems.length ? problems.join('; ') : 'not built here: no image registry; its COPY list drives the fixture image',
  );

  daemon = await startDaemon();
  const port = await freePort();
  const name = `dsq${process.pid}${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...daemon.env,
    // The knobs the compose file reads (`${NAME:-default}`); the topology stays the learners'.
    QUEUE_PORT: String(port), // a free host port instead of 7700 (a learner's broker may be running)
    JOBS: String(JOBS), // enough jobs that the workers are busy when one is killed
    RATE: '20', // enqueue faster than the default 5/s so the run is shorter
    VISIBILITY_TIMEOUT_MS: '4000', // the killed worker's job comes back after 4 s, not the default 10 s
    FAIL_RATE: '0', // no simulated failures: "dead == 0" must hold on every run, not almost every run
  };
  project = new ComposeProject(COMPOSE_FILE, name, env, daemon.docker);

  // 2. The compose file parses and interpolates.
  const config = await project.compose(['config', '--services'], true);
  const services = config.stdout.trim().split('\n').sort();
  check(
    `${project.description} config accepts docker/queue/compose.yaml`,
    config.code === 0 && services.join(',') === 'broker,producer,worker-1,worker-2,worker-3',
    config.code === 0 ? `services: ${services.join(', ')}` : config.stderr.trim(),
  );

  // 3. The image, without a registry.
  log(`building ${IMAGE} from this machine's node (${process.version}) and node_modules (no network)`);
  imageBuilt = true; // from here on cleanup removes the tag, even if the import fails half-way
  const built = await buildFixtureImage({ docker: daemon.docker, env, repoDir: REPO, dockerfile: DOCKERFILE, tag: IMAGE });
  const size = await run(daemon.docker, ['image', 'inspect', '--format', '{{.Size}}', IMAGE], { env });
  log(`image ready: ${(Number(size.stdout) / 1e6).toFixed(0)} MB, with /app/{${built.copied.join(',')}}`);

  // 4. Up, exactly as a learner would, minus the build.
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
}
await cleanup();
console.log(`\n${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
