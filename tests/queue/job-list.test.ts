// GET /jobs pages (examples/queue/node/job-list.ts): `?status=&limit=&after=` answers { jobs, next }.
// Issue 5: the list capped at 10,000 jobs with no way to see the rest. Following `next` must visit every
// job exactly once, in order, and a page must cost what it holds, not the whole history.

import { afterAll, describe, expect, it } from 'vitest';
import { apply, createQueue, type Job, type QueueState } from '../../examples/queue/core/queue.ts';
import { listJobs, SCAN_BUDGET } from '../../examples/queue/node/job-list.ts';
import { makeTempDir, stopAll } from '../helpers/processes.ts';
import { startBroker } from '../helpers/queue.ts';

afterAll(stopAll);

/** A queue with n pending jobs, every `deadEvery`-th one marked dead (listing reads only ids and status). */
function queueWith(n: number, deadEvery = 0): QueueState {
  const state = createQueue();
  for (let i = 1; i <= n; i++) apply(state, { type: 'enqueue', now: 0, payload: i });
  if (deadEvery > 0) for (let i = deadEvery; i <= n; i += deadEvery) state.jobs[`job-${i}`]!.status = 'dead';
  return state;
}

function everyPage(state: QueueState, status: Job['status'] | null, limit: number): { ids: string[]; pages: number } {
  const ids: string[] = [];
  let after = 0;
  for (let pages = 1; ; pages++) {
    const page = listJobs(state, { status, limit, after });
    ids.push(...page.jobs.map((j) => j.id));
    if (page.next === null) return { ids, pages };
    after = Number(page.next.slice('job-'.length));
  }
}

describe('listJobs', () => {
  it('following next visits every job once, oldest first, and ends with next = null', () => {
    const state = queueWith(25);
    const { ids, pages } = everyPage(state, null, 10);
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => `job-${i + 1}`));
    expect(pages).toBe(3);
    expect(listJobs(state, { status: null, limit: 10, after: 20 })).toMatchObject({ next: null });
    expect(listJobs(state, { status: null, limit: 5, after: 20 }).next).toBeNull(); // exactly the rest: no empty last page
    expect(listJobs(state, { status: null, limit: 10, after: 0 }).next).toBe('job-10');
  });

  it('filters by status across pages', () => {
    const state = queueWith(100, 7);
    const { ids } = everyPage(state, 'dead', 3);
    expect(ids).toEqual(Array.from({ length: 14 }, (_, i) => `job-${7 * (i + 1)}`));
    expect(everyPage(state, 'pending', 1000).ids).toHaveLength(86);
  });

  it('skips ids the core no longer has (done jobs past their retention)', () => {
    const state = queueWith(10);
    delete state.jobs['job-3'];
    delete state.jobs['job-4'];
    expect(everyPage(state, null, 2).ids).toEqual(['job-1', 'job-2', 'job-5', 'job-6', 'job-7', 'job-8', 'job-9', 'job-10']);
  });

  it('costs the page, not the history: a page deep in 100,000 jobs looks at a handful of them', () => {
    const state = queueWith(100_000);
    let lookups = 0;
    state.jobs = new Proxy(state.jobs, { get: (target, key, receiver) => (lookups++, Reflect.get(target, key, receiver)) });
    const page = listJobs(state, { status: null, limit: 10, after: 50_000 });
    expect(page.jobs.map((j) => j.id)).toEqual(Array.from({ length: 10 }, (_, i) => `job-${50_001 + i}`));
    expect(lookups).toBe(10);
  });

  it('a filtered page that finds little stops after SCAN_BUDGET ids and says where to go on', () => {
    const state = queueWith(SCAN_BUDGET * 2 + 5, SCAN_BUDGET * 2); // one dead job, near the end
    const first = listJobs(state, { status: 'dead', limit: 10, after: 0 });
    expect(first).toEqual({ jobs: [], next: `job-${SCAN_BUDGET}` });
    const { ids, pages } = everyPage(state, 'dead', 10);
    expect(ids).toEqual([`job-${SCAN_BUDGET * 2}`]);
    expect(pages).toBe(3);
  });
});

it('GET /jobs over HTTP: { jobs, next }, and the client follows next to the end', async () => {
  const broker = await startBroker(makeTempDir());
  for (let i = 1; i <= 5; i++) await broker.client.enqueue({ n: i });
  const res = await fetch(`${broker.url}/jobs?limit=2&after=job-1`);
  const body = (await res.json()) as { jobs: Job[]; next: string | null };
  expect(body.jobs.map((j) => j.id)).toEqual(['job-2', 'job-3']);
  expect(body.next).toBe('job-3');
  const last = (await (await fetch(`${broker.url}/jobs?status=pending&after=job-3`)).json()) as { jobs: Job[]; next: string | null };
  expect(last).toMatchObject({ jobs: [{ id: 'job-4' }, { id: 'job-5' }], next: null });
  expect((await broker.client.listJobs()).map((j) => j.id)).toEqual(['job-1', 'job-2', 'job-3', 'job-4', 'job-5']);
  expect(await broker.client.listJobs('pending', 3)).toHaveLength(3);
});
