// The live deposits example's settings, and the link that reproduces a run.
//
// A run is fixed by four numbers: the seed, how many deposits, and the two loss rates. They travel in the
// page's query string (`?example=deposits&seed=42&deposits=10&dropRequest=0.2&dropReply=0.3`), so a learner
// can send someone the exact run they are looking at. Anything missing or malformed falls back to a default
// (and a missing seed to a fresh random one, picked by the caller).

export interface DepositsSettings {
  seed: number;
  deposits: number;
  /** Chance that a request is lost on its way to the server, in [0, MAX_RATE], a multiple of RATE_STEP. */
  dropRequestRate: number;
  /** Chance that the server's reply is lost on its way back. */
  dropReplyRate: number;
}

export const MAX_DEPOSITS = 30;
/** Above this the client often runs out of attempts and the run is mostly silence. */
export const MAX_RATE = 0.9;
export const RATE_STEP = 0.05;
export const MAX_SEED = 0xffffffff;

export const defaults = { deposits: 10, dropRequestRate: 0.2, dropReplyRate: 0.3 } as const;

function number(query: URLSearchParams, key: string): number | null {
  const raw = query.get(key);
  if (raw === null || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

export function clampRate(rate: number): number {
  const stepped = Math.round(rate / RATE_STEP) * RATE_STEP;
  return Math.min(MAX_RATE, Math.max(0, Number(stepped.toFixed(2))));
}

export function settingsFromQuery(query: URLSearchParams, randomSeed: () => number): DepositsSettings {
  const seed = number(query, 'seed');
  const deposits = number(query, 'deposits');
  const dropRequest = number(query, 'dropRequest');
  const dropReply = number(query, 'dropReply');
  return {
    seed: seed !== null && Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED ? seed : randomSeed(),
    deposits: deposits !== null ? Math.min(MAX_DEPOSITS, Math.max(1, Math.round(deposits))) : defaults.deposits,
    dropRequestRate: dropRequest !== null ? clampRate(dropRequest) : defaults.dropRequestRate,
    dropReplyRate: dropReply !== null ? clampRate(dropReply) : defaults.dropReplyRate,
  };
}

/**
 * What the link asked for that the example could not use as it was, in one sentence (or undefined): a person
 * who edited a link by hand should learn why the run differs from what they typed.
 */
export function queryProblems(query: URLSearchParams, used: DepositsSettings): string | undefined {
  const problems: string[] = [];
  const check = (key: string, value: number, rule: string): void => {
    const raw = query.get(key);
    if (raw === null || raw.trim() === '') return;
    if (Number(raw) !== value) problems.push(`${key}=${raw} became ${value} (${rule})`);
  };
  check('seed', used.seed, `a seed is a whole number from 0 to ${MAX_SEED}`);
  check('deposits', used.deposits, `a whole number from 1 to ${MAX_DEPOSITS}`);
  check('dropRequest', used.dropRequestRate, `a chance from 0 to ${MAX_RATE}, in steps of ${RATE_STEP}`);
  check('dropReply', used.dropReplyRate, `a chance from 0 to ${MAX_RATE}, in steps of ${RATE_STEP}`);
  return problems.length > 0 ? `The link's ${problems.join('; ')}.` : undefined;
}

/** The query part of a link that reproduces this run on the same page. */
export function linkToRun(s: DepositsSettings): string {
  const q = new URLSearchParams({
    example: 'deposits',
    seed: String(s.seed),
    deposits: String(s.deposits),
    dropRequest: String(s.dropRequestRate),
    dropReply: String(s.dropReplyRate),
  });
  return `?${q.toString()}`;
}

export function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}
