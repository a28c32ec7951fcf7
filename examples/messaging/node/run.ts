// `npm run example:messages`: the Session 1 demo, two real processes talking over HTTP.
//
// It runs the same scenario twice. Each time it starts the account server (every other reply is dropped
// after the deposit has been applied) and a client that makes 5 deposits of 100 with timeouts and retries:
//   1. the naive handler: every retry is applied again, so the balance ends too high;
//   2. the idempotent handler: retries are recognised by their request id, so the balance is right.
// Then it prints both results side by side and stops every process it started (Ctrl-C included).

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const serverFile = fileURLToPath(new URL('./server.ts', import.meta.url));
const clientFile = fileURLToPath(new URL('./client.ts', import.meta.url));
const children = new Set<ChildProcess>();

interface Result {
  expected: number;
  actual: number;
  attempts: number;
}

/** Start `node --import tsx <file>`, printing each line of its output with a prefix. */
function start(file: string, prefix: string, env: Record<string, string>, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (!line.startsWith('RESULT ')) console.log(`${prefix.padEnd(19)} ${line}`);
      onLine?.(line);
    });
  }
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function scenario(name: string, idempotent: boolean): Promise<Result> {
  console.log(`\n=== ${name} handler, every other reply lost ===`);
  let onPort: (port: string) => void = () => {};
  const portKnown = new Promise<string>((resolve) => (onPort = resolve));
  const server = start(serverFile, `[server ${name}]`, { PORT: '0', IDEMPOTENT: idempotent ? '1' : '0', DROP_REPLIES: 'every-other' }, (line) => {
    const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (match) onPort(match[1]!);
  });
  const port = await Promise.race([
    portKnown,
    exited(server).then((code) => Promise.reject(new Error(`the server exited early (code ${code})`))),
  ]);

  let result: Result | undefined;
  const client = start(clientFile, '[client]', { SERVER_URL: `http://127.0.0.1:${port}`, DEPOSITS: '5', AMOUNT: '100', TIMEOUT_MS: '5000' }, (line) => {
    if (line.startsWith('RESULT ')) result = JSON.parse(line.slice('RESULT '.length)) as Result;
  });
  const code = await exited(client);
  server.kill('SIGTERM');
  await exited(server);
  if (code !== 0 || result === undefined) throw new Error(`the client failed (exit code ${code})`);
  return result;
}

function stopAll(): void {
  for (const child of children) child.kill('SIGTERM');
}

// Ctrl-C (SIGINT) or a polite kill (SIGTERM): stop the children too, then leave.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopAll();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

async function main(): Promise<void> {
  const naive = await scenario('naive', false);
  const idempotent = await scenario('idempotent', true);

  const row = (name: string, r: Result) =>
    `${name.padEnd(11)} ${String(r.attempts).padStart(8)} ${String(r.expected).padStart(9)} ${String(r.actual).padStart(7)}   ${
      r.actual === r.expected ? 'correct' : `${(r.actual - r.expected) / 100} duplicate deposit(s)!`
    }`;
  console.log('\n=== comparison: 5 deposits of 100, every other reply lost ===');
  console.log('handler     attempts  expected  actual   verdict');
  console.log(row('naive', naive));
  console.log(row('idempotent', idempotent));
  console.log('\nSame network, same retries. Only the server changed: it remembers request ids.');

  // The demo is only honest if it showed what it claims; otherwise fail loudly.
  if (!(naive.actual > naive.expected && idempotent.actual === idempotent.expected)) {
    console.error('unexpected result: the naive run should show duplicates and the idempotent run none');
    process.exitCode = 1;
  }
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  })
  .finally(stopAll);
