// A tiny static file server for the built site, with VitePress's `cleanUrls` rule:
// `/fundamentals/01-what-is-ds` is served from `fundamentals/01-what-is-ds.html`, `/` from `index.html`.
// Unknown paths get dist/404.html with status 404, as a static host would do.
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Map a URL path to a file under root, or undefined. Never escapes root. */
export async function resolveFile(root: string, urlPath: string): Promise<string | undefined> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(urlPath.split('?')[0]?.split('#')[0] ?? '/');
  } catch {
    return undefined;
  }
  const full = normalize(join(root, pathname));
  if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  const candidates = pathname.endsWith('/') ? [join(full, 'index.html')] : [full, `${full}.html`, join(full, 'index.html')];
  for (const c of candidates) if (await isFile(c)) return c;
  return undefined;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serve root on a free loopback port. `gzip: true` compresses text responses for clients that accept it, as
 * any real static host does (tests/perf/lighthouse.ts uses it: without it Lighthouse times uncompressed CSS/JS).
 */
export async function serveStatic(root: string, opts: { gzip?: boolean } = {}): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const file = await resolveFile(root, req.url ?? '/');
      const status = file ? 200 : 404;
      const path = file ?? join(root, '404.html');
      try {
        let body = await readFile(path);
        const type = TYPES[extname(path)] ?? 'application/octet-stream';
        const headers: Record<string, string | number> = { 'content-type': type, 'cache-control': 'no-store' };
        if (opts.gzip && /text|javascript|json|svg|xml/.test(type) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
          body = gzipSync(body);
          headers['content-encoding'] = 'gzip';
          headers.vary = 'accept-encoding';
        }
        headers['content-length'] = body.length;
        res.writeHead(status, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
