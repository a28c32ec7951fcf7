// A stand-in for the image docker/Dockerfile builds, made without any registry.
//
// `FROM node:20-slim` and `npm ci` both need the network, which CI here does not have. So this test fixture
// makes the same image another way: the machine's own /usr/bin/node and the shared libraries `ldd` says it
// needs, a few files from /etc, and exactly the repo paths the Dockerfile COPYs (read from the Dockerfile
// itself), plus the host's already-installed node_modules in place of `npm ci`. The tarball streams from
// `tar` into `docker import`. The compose file under test is the learners' one, unchanged.

import { copyFileSync, mkdirSync, writeFileSync, chmodSync, rmSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run, pipe } from './exec.ts';
import { parseDockerfile, targetOf } from './dockerfile.ts';

const STAGING = '/tmp/course-docker-rootfs';

/** Absolute library paths from `ldd` output, e.g. `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)`. */
export function librariesFromLdd(output: string): string[] {
  const libs = new Set<string>();
  for (const line of output.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return [...libs];
}

/** GNU tar name transform: the member `src` (and anything under it) becomes `target` (no leading /). */
function transform(src: string, target: string): string {
  const escaped = src.replace(/[.[\]*^$\\]/g, '\\$&').replace(/,/g, '\\,');
  return `s,^${escaped}\\(/\\|$\\),${target.replace(/^\//, '')}\\1,S`; // S: leave symlink targets alone
}

export interface BuildResult {
  tag: string;
  copied: string[]; // repo paths put into the image
}

export async function buildFixtureImage(opts: {
  docker: string;
  env: NodeJS.ProcessEnv;
  repoDir: string;
  dockerfile: string;
  tag: string;
}): Promise<BuildResult> {
  const df = parseDockerfile(readFileSync(opts.dockerfile, 'utf8'));
  const node = process.execPath; // the very Node running this test
  rmSync(STAGING, { recursive: true, force: true });
  try {
    // 1. The runtime: node at /usr/bin/node (on PATH) and each library at the path ldd names.
    const put = (from: string, to: string): void => {
      mkdirSync(join(STAGING, dirname(to)), { recursive: true });
      copyFileSync(from, join(STAGING, to)); // copyFileSync follows symlinks: we get the real file
    };
    put(node, '/usr/bin/node');
    const ldd = await run('ldd', [node]);
    for (const lib of librariesFromLdd(ldd.stdout)) put(lib, lib);
    // 2. The little of /etc that Node and glibc read; /tmp for tsx's compile cache.
    mkdirSync(join(STAGING, 'etc/ssl/certs'), { recursive: true });
    writeFileSync(join(STAGING, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
    writeFileSync(join(STAGING, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    writeFileSync(join(STAGING, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
    try {
      copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(STAGING, 'etc/ssl/certs/ca-certificates.crt'));
    } catch {
      // no CA bundle on this host; the examples make no TLS calls, so the image works without it
    }
    for (const dir of ['tmp', 'root', df.workdir.replace(/^\//, '')]) mkdirSync(join(STAGING, dir), { recursive: true });
    chmodSync(join(STAGING, 'tmp'), 0o1777);

    // 3. The repo: what the Dockerfile COPYs, each at its COPY destination, plus the installed node_modules
    //    where `npm ci` would have put them.
    const sources: string[] = [];
    const transforms: string[] = [];
    for (const copy of df.copies) {
      for (const src of copy.sources) {
        const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
        sources.push(clean);
        transforms.push('--transform', transform(clean, targetOf(copy, src)));
      }
    }
    sources.push('node_modules');
    transforms.push('--transform', transform('node_modules', join(df.workdir, 'node_modules')));

    const tarArgs = [
      '--create', '--file', '-', '--owner=0', '--group=0', '--numeric-owner',
      '--exclude=.data', '--exclude=node_modules/.cache', '--exclude=node_modules/.vite',
      '-C', STAGING, '.',
      '-C', opts.repoDir, ...transforms, ...sources,
    ];
    const changes = [
      `WORKDIR ${df.workdir}`,
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `ENV NODE_VERSION=${process.versions.node}`,
      'CMD ["node"]', // the official node image's default command; compose overrides it per service
    ];
    const importArgs = ['import', ...changes.flatMap((c) => ['--change', c]), '-', opts.tag];
    await pipe({ cmd: 'tar', args: tarArgs }, { cmd: opts.docker, args: importArgs, env: opts.env });
    return { tag: opts.tag, copied: sources };
  } finally {
    rmSync(STAGING, { recursive: true, force: true });
  }
}
