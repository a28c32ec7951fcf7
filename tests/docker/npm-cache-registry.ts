// A read-only npm registry on 127.0.0.1 that answers from this machine's own npm cache.
//
// Why: the test builds the learners' docker/Dockerfile for real, and its `RUN npm ci` needs a registry.
// CI reaches none from inside a build. But the host has just run `npm ci` itself, and npm keeps every
// response it fetched (package documents and tarballs) in its cache, ~/.npm/_cacache, under the key
// `make-fetch-happen:request-cache:<url>`. This server hands those same bytes back, so the `npm ci` in the
// image does all its own work (resolves each package, downloads it, checks it against the lockfile's
// integrity hash, runs install scripts) and only the transport is local. What the host's cache does not
// hold is a 404, so a build can never quietly get something the host did not fetch from the real registry.
//
// npm rewrites tarball URLs that name registry.npmjs.org to the configured registry (its default
// `replace-registry-host=npmjs`), so the documents need no rewriting. The build points npm here with
// `--build-arg NPM_CONFIG_REGISTRY=http://127.0.0.1:<port>/` and `--network host`.

import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import type { AddressInfo } from 'node:net';

const UPSTREAM = 'https://registry.npmjs.org';
const KEY_PREFIX = 'make-fetch-happen:request-cache:';

interface CacheInfo {
  size: number;
  metadata?: { resHeaders?: Record<string, string> };
}
interface Cacache {
  get: {
    info(cache: string, key: string): Promise<CacheInfo | null>;
    stream(cache: string, key: string): NodeJS.ReadableStream;
  };
}

/** npm's own install directory, next to the Node running this test (…/bin/node → …/lib/node_modules/npm). */
export function hostNpmDir(): string {
  const dir = process.env.NPM_DIR ?? join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  if (!existsSync(join(dir, 'package.json'))) {
    throw new Error(`npm not found at ${dir}; set NPM_DIR to the directory of the npm that comes with your Node`);
  }
  return dir;
}

/** The cache key npm stored a registry response under, for a request path such as `/@types%2fnode`. */
export function cacheKeyFor(path: string): string | undefined {
  const clean = path.split('?')[0] ?? '';
  if (!clean.startsWith('/') || clean.includes('..') || clean.length < 2) return undefined;
  return KEY_PREFIX + UPSTREAM + clean;
}

export interface CacheRegistry {
  url: string; // http://127.0.0.1:<port>/
  served: number; // responses answered from the cache
  missing: string[]; // paths the cache did not hold (answered 404)
  close(): Promise<void>;
}

export async function startCacheRegistry(cacheDir = join(process.env.npm_config_cache ?? join(homedir(), '.npm'), '_cacache')): Promise<CacheRegistry> {
  if (!existsSync(cacheDir)) throw new Error(`no npm cache at ${cacheDir}: run \`npm ci\` on this machine first`);
  // npm bundles cacache; using it (instead of a copy from node_modules) reads the cache exactly as npm wrote it.
  const cacache = createRequire(join(hostNpmDir(), 'package.json'))('cacache') as Cacache;

  const state = { served: 0, missing: [] as string[] };
  const server: Server = createServer((req, res) => {
    const key = req.method === 'GET' || req.method === 'HEAD' ? cacheKeyFor(req.url ?? '') : undefined;
    void (async () => {
      const info = key ? await cacache.get.info(cacheDir, key).catch(() => null) : null;
      if (!key || !info) {
        state.missing.push(`${req.method} ${req.url}`);
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not in this machine\'s npm cache"}');
        return;
      }
      const type = info.metadata?.resHeaders?.['content-type'] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'content-length': String(info.size) });
      if (req.method === 'HEAD') return void res.end();
      state.served++;
      const body = cacache.get.stream(cacheDir, key);
      body.on('error', (err: Error) => res.destroy(err));
      body.pipe(res);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve); // loopback only: reachable from the host and a --network host build
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    get served() {
      return state.served;
    },
    missing: state.missing,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
