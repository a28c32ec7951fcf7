// Real processes: the HTTP server and client from examples/messaging/node, started the way a learner does.
import { afterAll, describe, expect, it } from 'vitest';
import { startScript, stopAll, type Proc } from '../helpers/processes.ts';

afterAll(stopAll);

const run = (file: string, env: Record<string, string>): Proc => startScript(`examples/messaging/node/${file}`, env);
const exitCode = async (proc: Proc) => (await proc.exited).code;

/** Start the server on a free port and wait until it says where it listens. */
async function startServer(env: Record<string, string>): Promise<Proc & { url: string }> {
  const proc = run('server.ts', { PORT: '0', ...env });
  const [, port] = await proc.waitForLine(/^listening on .*:(\d+) /);
  return Object.assign(proc, { url: `http://127.0.0.1:${port}` });
}

async function stop(proc: Proc): Promise<void> {
  await proc.kill('SIGTERM');
}

const balanceOf = async (url: string) => ((await (await fetch(`${url}/balance`)).json()) as { balance: number }).balance;

function resultOf(proc: Proc): { expected: number; actual: number; confirmed: number; attempts: number } {
  const line = proc.lines.find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line in:\n${proc.lines.join('\n')}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('account server over HTTP', () => {
  it('answers bad input with 4xx and a JSON {error, message}, and keeps serving', async () => {
    const server = await startServer({});
    try {
      const post = (body: string) => fetch(`${server.url}/deposit`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const cases: Array<[Promise<Response>, number, string]> = [
        [post('not json'), 400, 'invalid-json'],
        [post('[1,2]'), 400, 'invalid-request'],
        [post('{"amount":5}'), 400, 'invalid-request'],
        [post('{"requestId":"","amount":5}'), 400, 'invalid-request'],
        [post('{"requestId":"a","amount":"5"}'), 400, 'invalid-request'],
        [post('{"requestId":"a","amount":-5}'), 400, 'invalid-amount'],
        [post('{"requestId":"a","amount":0.5}'), 400, 'invalid-amount'],
        [post(JSON.stringify({ requestId: 'a', amount: 1, pad: 'x'.repeat(20_000) })), 413, 'body-too-large'],
        [fetch(`${server.url}/deposit`), 405, 'method-not-allowed'],
        [fetch(`${server.url}/balance`, { method: 'POST' }), 405, 'method-not-allowed'],
        [fetch(`${server.url}/nowhere`), 404, 'not-found'],
      ];
      for (const [pending, status, error] of cases) {
        const res = await pending;
        const body = (await res.json()) as { error: unknown; message: unknown };
        expect({ status: res.status, error: body.error }).toEqual({ status, error });
        expect(typeof body.message).toBe('string');
      }
      expect(await balanceOf(server.url)).toBe(0);
      const ok = await post('{"requestId":"good","amount":5}');
      expect(ok.status).toBe(200);
      expect(await balanceOf(server.url)).toBe(5);
    } finally {
      await stop(server);
    }
  });

  it('DROP_REPLIES=every-other applies the deposit, then cuts the connection without a reply', async () => {
    const server = await startServer({ DROP_REPLIES: 'every-other' });
    try {
      const post = () => fetch(`${server.url}/deposit`, { method: 'POST', body: '{"requestId":"r","amount":9}' });
      await expect(post()).rejects.toThrow(); // no reply at all...
      expect(await balanceOf(server.url)).toBe(9); // ...yet the deposit happened
      expect((await post()).status).toBe(200); // the second one is answered (and, naive, applied again)
      expect(await balanceOf(server.url)).toBe(18);
    } finally {
      await stop(server);
    }
  });

  it('refuses to start with a DROP_REPLIES value it does not understand', async () => {
    const proc = run('server.ts', { PORT: '0', DROP_REPLIES: 'sometimes' });
    expect(await exitCode(proc)).toBe(2);
    expect(proc.lines.join('\n')).toMatch(/DROP_REPLIES/);
  });
});

describe('client + server with lost replies', () => {
  for (const idempotent of [false, true]) {
    it(`${idempotent ? 'idempotent' : 'naive'} handler: ${idempotent ? 'balance is right' : 'retries become duplicates'}`, async () => {
      const server = await startServer({ IDEMPOTENT: idempotent ? '1' : '0', DROP_REPLIES: 'every-other' });
      try {
        const client = run('client.ts', { SERVER_URL: server.url, DEPOSITS: '3', AMOUNT: '7', TIMEOUT_MS: '20000' });
        expect(await exitCode(client)).toBe(0);
        const result = resultOf(client);
        expect(result.confirmed).toBe(3);
        expect(result.expected).toBe(21);
        expect(result.attempts).toBe(6); // every first attempt lost its reply, every retry got one
        const balance = await balanceOf(server.url);
        expect(result.actual).toBe(balance);
        expect(balance).toBe(idempotent ? 21 : 42);
      } finally {
        await stop(server);
      }
    });
  }
});

describe('npm run example:messages', () => {
  it('runs both scenarios, prints the comparison, exits 0 and leaves no process behind', async () => {
    const proc = run('run.ts', {});
    expect(await exitCode(proc)).toBe(0);
    const out = proc.lines.join('\n');
    expect(out).toMatch(/^naive\s+10\s+500\s+1000\s+5 duplicate deposit\(s\)!$/m);
    expect(out).toMatch(/^idempotent\s+10\s+500\s+500\s+correct$/m);
    // Every server it started announced itself and was stopped: no "listening" port still answers.
    const ports = [...out.matchAll(/listening on (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => m[1]!);
    expect(ports).toHaveLength(2);
    for (const url of ports) await expect(fetch(`${url}/balance`)).rejects.toThrow();
  });
});
