// What the compose-file tests share: reading a compose file the way Compose does (its interpolation with an
// empty shell environment, environment as a map or a list) and the checks every service of ours must pass.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse } from 'yaml';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The parts of a compose service the tests read. */
export interface Service {
  build?: { context?: string; dockerfile?: string };
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean> | string[];
  ports?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] };
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
}

/** Compose's interpolation with an empty shell environment: `${X:-d}` and `${X-d}` give d, `${X}` gives "". */
export function interpolate(value: string): string {
  return value
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback?: string) => fallback ?? '')
    .replace(/\$\$/g, '$');
}

/** A service's environment as Compose hands it to the process, interpolated. */
export function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env)
    ? env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const)
    : Object.entries(env).map(([k, v]) => [k, String(v)] as const);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v)]));
}

/** The compose file at `path` (from the repository root), parsed. */
export function readCompose(path: string): ComposeFile {
  return parse(readFileSync(join(REPO, path), 'utf8')) as ComposeFile;
}

/** The service `name` of a compose file, for a test to read; a clear error if compose has none. */
export function serviceOf(compose: ComposeFile, name: string): Service {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`compose has no service ${name}`);
  return s;
}

/** Expect `service` to build docker/Dockerfile from the repository root and tag it `image`. */
export function expectBuildsFromRepo(service: Service, composePath: string, image: string): void {
  expect(service.image).toBe(image);
  expect(service.build?.dockerfile).toBe('docker/Dockerfile');
  const context = resolve(dirname(join(REPO, composePath)), service.build?.context ?? '.');
  expect(context).toBe(REPO);
  expect(existsSync(join(context, service.build?.dockerfile ?? ''))).toBe(true);
}
