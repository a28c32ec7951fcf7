// GET /jobs, one page at a time: `?status=dead&limit=100&after=job-123` answers
// `{ "jobs": [...], "next": "job-245" }`; ask again with `after=<next>` until `next` is null.
//
// Job ids are `job-1`, `job-2`, ... in the order they were enqueued, so a page is found by walking job
// numbers up from the cursor: the cost is the page, not the whole history. With a status filter most
// numbers may belong to other statuses, so one request looks at no more than SCAN_BUDGET numbers; a page
// can then come back with fewer than `limit` jobs (even none) and a `next` to continue from. Only a null
// `next` means "no more".

import type { Job, QueueState } from '../core/queue.ts';
import type { ListQuery } from './validate.ts';

export const SCAN_BUDGET = 10_000;

export interface JobPage {
  jobs: Job[];
  next: string | null;
}

export function listJobs(state: QueueState, query: ListQuery): JobPage {
  const last = state.nextId - 1; // the newest job number ever given out
  const jobs: Job[] = [];
  let n = query.after; // the last number already seen by the client
  const stop = Math.min(last, query.after + SCAN_BUDGET);
  while (n < stop && jobs.length < query.limit) {
    n += 1;
    const job = state.jobs[`job-${n}`]; // may be missing: a done job past its retention is forgotten
    if (job !== undefined && (query.status === null || job.status === query.status)) jobs.push(job);
  }
  return { jobs, next: n < last ? `job-${n}` : null };
}
