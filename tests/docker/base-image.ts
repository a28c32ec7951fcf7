// A stand-in for the learners' base image, `node:20-slim`, made without any registry.
//
// CI here reaches no image registry, so `FROM node:20-slim` cannot be pulled. This test fixture makes an
// image with the same name from what the machine already has: its own Node (the very one running this
// test), the npm that comes with it, a shell (Docker runs a shell-form `RUN` as `/bin/sh -c`; npm runs
// install scripts the same way), `/usr/bin/env` (npm's `#!/usr/bin/env node` line), the shared libraries
// `ldd` says these need, and a few files from /etc. Paths follow the official image: node and npm under
// /usr/local. Everything after `FROM` in docker/Dockerfile then runs for real on top of it, `npm ci` included
// (tests/docker/npm-cache-registry.ts says where its packages come from).

import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { run, pipe } from './exec.ts';
import { hostNpmDir } from './npm-cache-registry.ts';

/** Absolute library paths from `ldd` output, e.g. `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)`. */
export function librariesFromLdd(output: string): string[] {
  const libs = new Set<string>();
  for (const line of output.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return [...libs];
}

export async function buildBaseImage(opts: { docker: string; env: NodeJS.ProcessEnv; tag: string }): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'course-docker-rootfs-'));
  try {
    // 1. Programs, each at its place in the official image, and every library at the path ldd names.
    const put = (from: string, to: string): void => {
      mkdirSync(join(root, dirname(to)), { recursive: true });
      copyFileSync(from, join(root, to)); // copyFileSync follows symlinks: we get the real file
    };
    const programs: [string, string][] = [
      [process.execPath, '/usr/local/bin/node'],
      ['/bin/sh', '/bin/sh'],
      ['/usr/bin/env', '/usr/bin/env'],
    ];
    const libs = new Set<string>();
    for (const [from, to] of programs) {
      put(from, to);
      for (const lib of librariesFromLdd((await run('ldd', [from])).stdout)) libs.add(lib);
    }
    for (const lib of libs) put(lib, lib);

    // 2. npm, as the official image installs it: the package under lib/node_modules, links in bin.
    const npmDir = join(root, 'usr/local/lib/node_modules/npm');
    cpSync(hostNpmDir(), npmDir, { recursive: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));

    // 3. The little of /etc that Node, npm and glibc read; /tmp for npm and tsx.
    mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    writeFileSync(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
    try {
      copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));
    } catch {
      // no CA bundle on this host; nothing in the build or the examples makes a TLS call
    }
    for (const dir of ['tmp', 'root', 'home/node']) mkdirSync(join(root, dir), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);

    // 4. One layer, streamed from tar into `docker import`, with the official image's PATH and CMD.
    const changes = [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `ENV NODE_VERSION=${process.versions.node}`,
      'CMD ["node"]',
    ];
    const tarArgs = ['--create', '--file', '-', '--owner=0', '--group=0', '--numeric-owner', '-C', root, '.'];
    const importArgs = ['import', ...changes.flatMap((c) => ['--change', c]), '-', opts.tag];
    await pipe({ cmd: 'tar', args: tarArgs }, { cmd: opts.docker, args: importArgs, env: opts.env });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
