// The client: makes N deposits, each with a timeout and retries with backoff, then compares the balance it
// expected with the one the server has.
//
// Environment:
//   SERVER_URL=http://127.0.0.1:7600   the account server
//   DEPOSITS=5  AMOUNT=100             how many deposits, of how much each
//   TIMEOUT_MS=1000                    how long to wait for a reply before calling it lost
//
// Run it alone (with a server running):  node --import tsx examples/messaging/node/client.ts
// The last line it prints is machine-readable, for run.ts and the tests:  RESULT {"expected":...,"actual":...}

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DepositReply, DepositRequest } from '../core/account.ts';
import { defaultRetryPolicy, retryDelay } from '../core/retry.ts';

const serverUrl = process.env.SERVER_URL ?? 'http://127.0.0.1:7600';
const deposits = Number(process.env.DEPOSITS ?? 5);
const amount = Number(process.env.AMOUNT ?? 100);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 1_000);
let attempts = 0; // every POST /deposit we send, retries included

// #region send
type Attempt = { kind: 'reply'; reply: DepositReply } | { kind: 'refused'; status: number; body: string } | { kind: 'silence'; why: string };

/** One attempt: a reply, a refusal (4xx: do not retry, it will not get better), or silence. */
async function attempt(request: DepositRequest): Promise<Attempt> {
  attempts += 1;
  try {
    const res = await fetch(`${serverUrl}/deposit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestId: request.requestId, amount: request.amount }),
      signal: AbortSignal.timeout(timeoutMs), // never wait forever: no answer in time counts as lost
    });
    const body = await res.text();
    if (res.status >= 400 && res.status < 500) return { kind: 'refused', status: res.status, body };
    if (!res.ok) return { kind: 'silence', why: `server error ${res.status}` };
    return { kind: 'reply', reply: JSON.parse(body) as DepositReply };
  } catch (err) {
    // Connection cut, refused or timed out. Did the server apply the deposit? From here we cannot know.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    return { kind: 'silence', why: cause ?? (err instanceof Error ? err.message : String(err)) };
  }
}

/** At-least-once: retry the SAME request (same requestId) until a reply comes back or we give up. */
async function deposit(request: DepositRequest, label: string): Promise<DepositReply | null> {
  for (let n = 1; ; n++) {
    const result = await attempt(request);
    if (result.kind === 'reply') {
      const r = result.reply;
      console.log(`${label} attempt ${n}: reply ${r.ok ? `ok, balance ${r.balance}` : `rejected: ${r.message}`}`);
      return result.reply;
    }
    if (result.kind === 'refused') {
      console.log(`${label} attempt ${n}: refused with ${result.status} ${result.body}`);
      return null;
    }
    const delay = retryDelay(defaultRetryPolicy, n, Math.random());
    if (delay === null) {
      console.log(`${label} attempt ${n}: no reply (${result.why}); giving up after ${n} attempts`);
      return null;
    }
    console.log(`${label} attempt ${n}: no reply (${result.why}); retrying in ${delay} ms`);
    await sleep(delay);
  }
}
// #endregion send

async function getBalance(): Promise<number> {
  const res = await fetch(`${serverUrl}/balance`, { signal: AbortSignal.timeout(timeoutMs * 5) });
  const body = (await res.json()) as { balance: number };
  return body.balance;
}

async function main(): Promise<void> {
  if (!Number.isInteger(deposits) || deposits < 1 || !Number.isInteger(amount) || amount < 1) {
    console.error('DEPOSITS and AMOUNT must be positive whole numbers');
    process.exit(2);
  }
  const clientId = randomUUID().slice(0, 8);
  const before = await getBalance();
  let confirmed = 0;

  // #region main-loop
  for (let i = 1; i <= deposits; i++) {
    // The request id is chosen once per deposit and reused by every retry of it.
    const request: DepositRequest = { type: 'deposit', requestId: `${clientId}-${i}`, amount };
    const reply = await deposit(request, `deposit ${i}/${deposits} (${request.requestId})`);
    if (reply?.ok) confirmed += 1;
  }
  const actual = (await getBalance()) - before;
  const expected = confirmed * amount;
  // #endregion main-loop

  console.log(`sent ${deposits} deposits of ${amount} in ${attempts} attempts; ${confirmed} confirmed`);
  console.log(`expected the balance to grow by ${expected}, it grew by ${actual}`);
  // A deposit we gave up on (every reply lost) may still have been applied: that is extra money, but not
  // proof of a duplicate. Only an excess larger than the number of such deposits proves one.
  const excess = (actual - expected) / amount;
  const gaveUp = deposits - confirmed;
  if (excess === 0) console.log('OK: every deposit applied exactly once');
  else if (excess < 0) console.log('MISSING: some confirmed deposits are not in the balance');
  else if (excess <= gaveUp) console.log(`UNCONFIRMED: ${excess} of the ${gaveUp} deposit(s) we gave up on were applied after all`);
  else if (gaveUp === 0) console.log(`DUPLICATES: ${excess} deposit(s) applied more than once`);
  else console.log(`DUPLICATES: at least ${excess - gaveUp} deposit(s) applied more than once`);
  console.log(`RESULT ${JSON.stringify({ expected, actual, deposits, confirmed, attempts })}`);
}

main().catch((err: unknown) => {
  console.error(`client failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
