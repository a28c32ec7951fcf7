// The two crashes the docker test stages, and what must still be true after each.
//
// 1. A worker dies mid-job (SIGKILL: no goodbye, no fail call). Its lease simply runs out, the broker hands
//    the job to another worker, and every job still ends `done` exactly once (at-least-once delivery made
//    whole by acks; DDIA ch. 11, "Acknowledgments and redelivery").
// 2. The broker dies (SIGKILL again) and is started again. It rebuilds its state by replaying its log, and
//    because it fsyncs before replying, everything it ever acknowledged is still there.

import { isDeepStrictEqual } from 'node:util';
import type { ComposeProject } from './compose.ts';
import { sleep, waitFor, log } from './exec.ts';

export type Check = (name: string, ok: boolean, detail?: string) => boolean;

export interface Ctx {
  project: ComposeProject;
  base: string; // http://127.0.0.1:<published port>
  jobs: number;
  check: Check;
}

interface Stats {
  pending: number;
  leased: number;
  done: number;
  dead: number;
  total: number;
}

interface JobView {
  id: string;
  status: string;
  attempts: number;
  idempotencyKey?: string;
  lease?: { workerId: string; token: string };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} -> ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const stats = (ctx: Ctx) => getJson<Stats>(`${ctx.base}/stats`);
const jobsWith = async (ctx: Ctx, status: string) =>
  (await getJson<{ jobs: JobView[] }>(`${ctx.base}/jobs?status=${status}&limit=${ctx.jobs}`)).jobs;
const show = (s: Stats) => `pending ${s.pending}, leased ${s.leased}, done ${s.done}, dead ${s.dead}, total ${s.total}`;

/** Poll /stats until `until` holds, printing a progress line whenever the numbers change. */
async function watchStats(ctx: Ctx, what: string, until: (s: Stats) => boolean, timeoutMs: number): Promise<Stats> {
  let last = '';
  return waitFor(
    what,
    async () => {
      const s = await stats(ctx);
      if (show(s) !== last) log(`  stats: ${(last = show(s))}`);
      return until(s) ? s : undefined;
    },
    timeoutMs,
    1000,
  );
}

/**
 * Freeze a worker (`docker pause`), ask the broker which job it holds, and if it holds one, SIGKILL it.
 * Pausing first means the worker cannot ack between our question and the kill (after a short wait for an
 * ack already sent): the kill really lands while it holds the lease. A worker caught between jobs is unpaused
 * and we try again.
 */
async function killWorkerHoldingLease(ctx: Ctx): Promise<{ service: string; job: JobView }> {
  const order = ['worker-2', 'worker-1', 'worker-3'];
  return waitFor(
    'a worker holding a lease',
    async () => {
      for (const service of order) {
        const id = await ctx.project.containerId(service);
        if (!id) continue;
        await ctx.project.docker_(['pause', id]);
        let killed = false;
        try {
          // An ack the worker sent just before the pause may still be on its way to the broker: let it land,
          // so the lease we then see really is held by a frozen worker (on a busy machine it once landed
          // between our question and the kill, and the job read as done).
          await sleep(500);
          const held = (await jobsWith(ctx, 'leased')).find((j) => j.lease?.workerId === service);
          if (held) {
            await ctx.project.docker_(['kill', '--signal', 'KILL', id]);
            killed = true;
            return { service, job: held };
          }
        } finally {
          if (!killed) await ctx.project.docker_(['unpause', id], true);
        }
      }
      await sleep(200);
      return undefined;
    },
    90_000,
    100,
  );
}

export async function killWorkerScenario(ctx: Ctx): Promise<void> {
  const { check, project, jobs } = ctx;
  log('waiting until the workers are busy (some jobs done, some leased)');
  await watchStats(ctx, 'jobs in progress', (s) => s.done >= 3 && s.leased >= 1, 180_000);

  const victim = await killWorkerHoldingLease(ctx);
  log(`killed ${victim.service} (SIGKILL) while it held ${victim.job.id} (attempt ${victim.job.attempts})`);
  const dead = await project.state(victim.service);
  check(`${victim.service} was killed mid-job`, dead.status === 'exited' && dead.exitCode === 137, `container ${dead.status}, exit code ${dead.exitCode}`);
  const orphan = await getJson<{ job: JobView }>(`${ctx.base}/jobs/${victim.job.id}`);
  check(
    `${victim.job.id} was still leased to the dead ${victim.service} right after the kill`,
    orphan.job.status === 'leased' && orphan.job.lease?.workerId === victim.service,
    `status ${orphan.job.status}, lease holder ${orphan.job.lease?.workerId ?? 'none'}`,
  );

  log(`waiting for all ${jobs} jobs to be done by the two remaining workers`);
  const final = await watchStats(ctx, `all ${jobs} jobs done`, (s) => s.done + s.dead >= jobs && s.leased === 0 && s.pending === 0, 300_000);
  check(`every job completed: done == ${jobs}, dead == 0`, final.done === jobs && final.dead === 0 && final.total === jobs, show(final));

  const done = await jobsWith(ctx, 'done');
  const ids = new Set(done.map((j) => j.id));
  const keys = done.map((j) => j.idempotencyKey ?? '(none)');
  const expected = (from: number) => Array.from({ length: jobs }, (_, i) => `producer-1-${i + from}`).sort();
  const keysOk = isDeepStrictEqual([...keys].sort(), expected(0)) || isDeepStrictEqual([...keys].sort(), expected(1));
  check(`every job id present once (${jobs} distinct ids, one per producer key)`, ids.size === jobs && done.length === jobs && keysOk, `${ids.size} distinct ids, keys ${keysOk ? 'match' : 'do not match'} producer-1-<i>`);

  const redone = done.find((j) => j.id === victim.job.id);
  check(
    `${victim.job.id} (the killed worker's job) was leased again and finished`,
    redone !== undefined && redone.attempts >= 2,
    redone ? `attempts ${redone.attempts}` : 'not among the done jobs',
  );
  const producer = await project.state('producer');
  check('producer exited 0 (every job acknowledged)', producer.status === 'exited' && producer.exitCode === 0, `${producer.status}, exit code ${producer.exitCode}`);
  const survivors = ['worker-1', 'worker-2', 'worker-3'].filter((w) => w !== victim.service);
  const states = await Promise.all(survivors.map((w) => project.state(w)));
  check('the other two workers are still running', states.every((s) => s.status === 'running'), survivors.map((w, i) => `${w} ${states[i]?.status}`).join(', '));
}

export async function crashBrokerScenario(ctx: Ctx): Promise<void> {
  const { check, project } = ctx;
  const before = await stats(ctx);
  const snapshot = async () =>
    (await jobsWith(ctx, 'done')).map((j) => ({ id: j.id, status: j.status, attempts: j.attempts, key: j.idempotencyKey })).sort((a, b) => a.id.localeCompare(b.id));
  const jobsBefore = await snapshot();

  log('killing the broker (SIGKILL: a crash, no clean shutdown), then docker-compose start broker');
  const id = await project.containerId('broker');
  await project.docker_(['kill', '--signal', 'KILL', id]);
  const down = await project.state('broker');
  check('broker container crashed', down.status === 'exited' && down.exitCode === 137, `container ${down.status}, exit code ${down.exitCode}`);
  await project.compose(['start', 'broker']);
  await waitFor('the restarted broker to answer /health', async () => ((await fetch(`${ctx.base}/health`)).ok ? true : undefined), 120_000);

  const after = await stats(ctx);
  check('after the crash /stats is identical', isDeepStrictEqual(before, after), `before: ${show(before)}; after: ${show(after)}`);
  const jobsAfter = await snapshot();
  check(`after the crash all ${jobsBefore.length} done jobs are still done (same ids, attempts, keys)`, jobsBefore.length === ctx.jobs && isDeepStrictEqual(jobsBefore, jobsAfter), `${jobsAfter.length} done after restart`);
  const logs = await project.compose(['logs', '--no-color', 'broker'], true);
  const replayed = logs.stdout.split('\n').filter((l) => /replay/i.test(l)).pop()?.trim() ?? '';
  check('the restarted broker says it replayed its log', replayed !== '', replayed || 'no "replay" line in the broker output');
}
