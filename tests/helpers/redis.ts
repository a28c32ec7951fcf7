// A throwaway redis-server for tests and benchmarks: a free loopback port, no persistence (--save '' and
// --appendonly no: it writes nothing to disk), stopped by `stop()` or, as a last resort, by processes.ts's
// stopAll() and exit hook like every other process a test starts.
//
//   if (!redisAvailable()) describe.skip(`... ${REDIS_MISSING}`)
//   const redis = await startRedis();   // { url: 'redis://127.0.0.1:<port>', stop }

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { freePort, startCommand } from './processes.ts';

export const REDIS_MISSING = 'redis-server is not installed (Debian/Ubuntu: apt-get install redis-server; .ci/run installs it)';

let available: boolean | null = null;

/** True if `redis-server` can be run here. */
export function redisAvailable(): boolean {
  available ??= spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  return available;
}

export interface RedisHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts redis-server on a free 127.0.0.1 port and resolves once it accepts connections. */
export async function startRedis(): Promise<RedisHandle> {
  if (!redisAvailable()) throw new Error(REDIS_MISSING);
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(); // another process may take it before redis does: then try another
    const proc = startCommand(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir()],
      {},
      `redis-${port}`,
    );
    try {
      await proc.waitForLine(/Ready to accept connections/, 20_000);
    } catch (err) {
      lastError = err;
      await proc.kill('SIGKILL');
      continue;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      stop: async () => {
        await proc.kill('SIGKILL');
      },
    };
  }
  throw new Error(`could not start redis-server: ${String(lastError)}`);
}
