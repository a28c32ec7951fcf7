// The static check of docker/Dockerfile (tests/docker/dockerfile.ts) runs without Docker, in every
// `npm test`, before `npm run test:docker` builds the file for real. These tests make sure that check passes
// the real file and catches the mistakes it claims to catch, and that the root .dockerignore lets through
// exactly what the Dockerfile copies.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkDockerfile, instructions, parseDockerfile, targetOf } from '../docker/dockerfile.ts';
import { librariesFromLdd } from '../docker/base-image.ts';
import { contextSizes, offlineBuildOverride } from '../docker/build.ts';
import { cacheKeyFor } from '../docker/npm-cache-registry.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const real = readFileSync(resolve(REPO, 'docker/Dockerfile'), 'utf8');

describe('docker/Dockerfile static check', () => {
  it('passes the learners\' Dockerfile', () => {
    expect(checkDockerfile(real, REPO, 'node:20-slim')).toEqual([]);
  });

  it('puts each copied path where Docker would', () => {
    const df = parseDockerfile(real);
    expect(df.workdir).toBe('/app');
    const targets = df.copies.flatMap((c) => c.sources.map((s) => targetOf(c, s)));
    expect(targets).toEqual(['/app/package.json', '/app/package-lock.json', '/app/tsconfig.json', '/app/examples']);
  });

  it('catches a missing COPY source, a wrong base image, a typo and a missing npm ci', () => {
    const broken = 'FROM node:18\nWORKDIR /app\nCOPY package.json ./\nCOPY no-such-dir ./x\nRUNN npm ci\n';
    const problems = checkDockerfile(broken, REPO, 'node:20-slim').join('\n');
    expect(problems).toMatch(/FROM is "node:18"/);
    expect(problems).toMatch(/no-such-dir does not exist/);
    expect(problems).toMatch(/unknown instruction RUNN/);
    expect(problems).toMatch(/no RUN npm ci/);
  });

  it('joins continuation lines and skips comments', () => {
    const df = parseDockerfile('# c\nFROM node:20-slim\nRUN npm ci \\\n  --no-audit\n');
    expect(df.instructions.map((i) => `${i.keyword} ${i.args}`)).toEqual(['FROM node:20-slim', 'RUN npm ci --no-audit']);
  });
});

describe('base image stand-in: libraries from ldd', () => {
  it('reads both the "name => path" and the bare loader lines', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f)',
    ].join('\n');
    expect(librariesFromLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
});

describe('the build context (.dockerignore at the repository root)', () => {
  const ignore = (): string[] =>
    readFileSync(resolve(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));

  it('is a root file, the one every builder reads (Compose v1 and the classic builder skip docker/Dockerfile.dockerignore)', () => {
    expect(existsSync(resolve(REPO, '.dockerignore'))).toBe(true);
    // BuildKit would prefer this file over the root one, so two files could silently disagree.
    expect(existsSync(resolve(REPO, 'docker/Dockerfile.dockerignore'))).toBe(false);
  });

  it('leaves out everything, then lets in exactly what the Dockerfile copies', () => {
    const patterns = ignore();
    expect(patterns[0]).toBe('*');
    const letIn = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
    const copied = parseDockerfile(real).copies.flatMap((c) => c.sources.map((s) => s.replace(/^\.\//, '').replace(/\/$/, '')));
    expect(letIn.sort()).toEqual(copied.sort());
  });

  it('keeps installed packages and broker data out even inside a copied directory', () => {
    const patterns = ignore();
    const lastLetIn = Math.max(...patterns.map((p, i) => (p.startsWith('!') ? i : -1)));
    // Later patterns win, so these must come after the last `!`.
    expect(patterns.indexOf('**/node_modules')).toBeGreaterThan(lastLetIn);
    expect(patterns.indexOf('**/.data')).toBeGreaterThan(lastLetIn);
  });
});

describe('docker/Dockerfile installs from a registry it is told', () => {
  it('takes NPM_CONFIG_REGISTRY as a build argument that defaults to the public registry, declared before npm ci', () => {
    const list = instructions(real);
    const arg = list.findIndex((i) => i.keyword === 'ARG' && i.args === 'NPM_CONFIG_REGISTRY=https://registry.npmjs.org/');
    const ci = list.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(arg).toBeGreaterThan(0); // after FROM: an ARG before FROM is not visible to RUN
    expect(ci).toBeGreaterThan(arg);
  });
});

describe('test:docker helpers', () => {
  it('reads the context size from the classic builder and from BuildKit', () => {
    expect(contextSizes('Sending build context to Docker daemon  478.2kB\nStep 1/7')).toEqual([478200]);
    expect(contextSizes('Sending build context to Docker daemon  375.2MB')).toEqual([375.2e6]);
    expect(contextSizes('#5 transferring context: 452B done')).toEqual([452]);
    expect(contextSizes('Successfully built abc')).toEqual([]);
  });

  it('the build override changes only how each service reaches a registry', () => {
    const doc = parse(offlineBuildOverride(['broker', 'worker-1'], 'http://127.0.0.1:4873/')) as {
      services: Record<string, { build: Record<string, unknown> }>;
    };
    expect(Object.keys(doc)).toEqual(['services']);
    expect(Object.keys(doc.services)).toEqual(['broker', 'worker-1']);
    for (const service of Object.values(doc.services)) {
      expect(service).toEqual({ build: { network: 'host', args: { NPM_CONFIG_REGISTRY: 'http://127.0.0.1:4873/' } } });
    }
  });

  it('maps a request to the key npm cached the registry response under, and nothing outside it', () => {
    expect(cacheKeyFor('/@types%2fnode')).toBe('make-fetch-happen:request-cache:https://registry.npmjs.org/@types%2fnode');
    expect(cacheKeyFor('/tsx/-/tsx-4.23.15.tgz')).toBe('make-fetch-happen:request-cache:https://registry.npmjs.org/tsx/-/tsx-4.23.15.tgz');
    expect(cacheKeyFor('/../etc/passwd')).toBeUndefined();
    expect(cacheKeyFor('/')).toBeUndefined();
    expect(cacheKeyFor('http://evil.example/x')).toBeUndefined();
  });
});
