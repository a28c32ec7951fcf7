// Checking request bodies by hand, before anything reaches the queue.
//
// The network delivers whatever anyone sends: truncated JSON, a number where a string belongs, a field
// missing, megabytes of junk. The broker checks every field and answers 400 with a message that names
// the field, so the person at the other end can fix their request. Only well-formed values become
// commands, so nothing malformed can ever reach the log (where it would be replayed at every start-up).

import { HttpError } from './http-util.ts';

export const MAX_WAIT_MS = 30_000;
const MAX_STRING = 1_000; // ids, keys and tokens are short; a 50 KB "workerId" is a mistake or an attack

export interface EnqueueBody {
  payload: unknown;
  idempotencyKey?: string;
}
export interface LeaseBody {
  workerId: string;
  waitMs: number;
}
export interface TokenBody {
  token: string;
}
export interface FailBody {
  token: string;
  error: string;
}

function bad(message: string): HttpError {
  return new HttpError(400, 'bad-request', message);
}

/** Parses the body as JSON whatever the Content-Type says (curl -d sends form encoding by default). */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') throw bad('the request body is empty; expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'bad-json', `the request body is not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(`the request body must be a JSON object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function requireString(body: Record<string, unknown>, field: string, maxLength = MAX_STRING): string {
  const value = body[field];
  if (value === undefined) throw bad(`field "${field}" is required`);
  if (typeof value !== 'string') throw bad(`field "${field}" must be a string, got ${describe(value)}`);
  if (value.length === 0) throw bad(`field "${field}" must not be empty`);
  if (value.length > maxLength) throw bad(`field "${field}" is longer than ${maxLength} characters`);
  return value;
}

export function parseEnqueue(body: Record<string, unknown>): EnqueueBody {
  if (!('payload' in body)) throw bad('field "payload" is required (any JSON value, e.g. {"task":"resize-image"})');
  // 64 KiB of "[[[[..." parses fine but is nested 30,000 deep, and turning it back into JSON for the log
  // would overflow the stack. Found by trying it; refused here, before it reaches the queue.
  if (depthOf(body.payload) > MAX_DEPTH) throw bad(`field "payload" is nested more than ${MAX_DEPTH} levels deep`);
  if (body.idempotencyKey === undefined) return { payload: body.payload };
  const idempotencyKey = requireString(body, 'idempotencyKey');
  return { payload: body.payload, idempotencyKey };
}

export function parseLease(body: Record<string, unknown>): LeaseBody {
  const workerId = requireString(body, 'workerId');
  const waitMs = body.waitMs ?? 0;
  if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS) {
    throw bad(`field "waitMs" must be an integer from 0 to ${MAX_WAIT_MS}, got ${describe(waitMs)}`);
  }
  return { workerId, waitMs };
}

export function parseToken(body: Record<string, unknown>): TokenBody {
  return { token: requireString(body, 'token') };
}

export function parseFail(body: Record<string, unknown>): FailBody {
  return { token: requireString(body, 'token'), error: requireString(body, 'error', 10_000) };
}

const STATUSES = ['pending', 'leased', 'done', 'dead'] as const;
export type StatusFilter = (typeof STATUSES)[number];
export const MAX_LIST = 1_000;
const LIST_PARAMS = ['status', 'limit', 'after'];

export interface ListQuery {
  status: StatusFilter | null;
  limit: number;
  /** The number of the job the previous page ended at (0 = from the start). */
  after: number;
}

/** GET /jobs?status=dead&limit=100&after=job-123 (see job-list.ts) */
export function parseListQuery(query: URLSearchParams): ListQuery {
  for (const key of query.keys()) {
    if (!LIST_PARAMS.includes(key)) throw bad(`unknown query parameter "${key.slice(0, 40)}"; GET /jobs takes ${LIST_PARAMS.join(', ')}`);
  }
  const status = query.get('status');
  if (status !== null && !(STATUSES as readonly string[]).includes(status)) {
    throw bad(`query "status" must be one of ${STATUSES.join(', ')}, got "${status.slice(0, 40)}"`);
  }
  const limitText = query.get('limit') ?? '100';
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_LIST) {
    throw bad(`query "limit" must be an integer from 1 to ${MAX_LIST}, got "${limitText.slice(0, 40)}"; for more, follow "next"`);
  }
  const afterText = query.get('after');
  const after = afterText === null ? 0 : Number(/^job-(\d{1,15})$/.exec(afterText)?.[1] ?? NaN);
  if (!Number.isSafeInteger(after)) {
    throw bad(`query "after" must be a job id like job-100 (the "next" of the page before), got "${afterText!.slice(0, 40)}"`);
  }
  return { status: status as StatusFilter | null, limit, after };
}

export const MAX_DEPTH = 64;

/** How deeply arrays/objects nest, counted without recursion (so it cannot overflow the stack itself). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
