// docker/Dockerfile cannot be built in CI (no registry for `FROM node:20-slim`), so its static check
// (tests/docker/dockerfile.ts) is what stands between a typo and a learner's failed `docker compose up`.
// These tests make sure that check passes the real file and catches the mistakes it claims to catch.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDockerfile, parseDockerfile, targetOf } from '../docker/dockerfile.ts';
import { librariesFromLdd } from '../docker/base-image.ts';

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

describe('fixture image: libraries from ldd', () => {
  it('reads both the "name => path" and the bare loader lines', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f)',
    ].join('\n');
    expect(librariesFromLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
});
