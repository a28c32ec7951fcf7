// Building the learners' image the learners' way: `compose build` on docker/queue/compose.yaml, which runs
// docker/Dockerfile from the repository root with the root .dockerignore, exactly as `up --build` does.
//
// The one addition is a second compose file, written to a temporary directory, that changes only how each
// service's build reaches a registry: `network: host` (so `npm ci` in the build can reach 127.0.0.1) and the
// build argument NPM_CONFIG_REGISTRY pointing at tests/docker/npm-cache-registry.ts. Compose merges the two
// files; context, Dockerfile, image name and everything else stay the learners'.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComposeProject } from './compose.ts';

/** The compose file that points every service's build at `registry` through the host network. */
export function offlineBuildOverride(services: string[], registry: string): string {
  const lines = ['# Written by tests/docker/build.ts for one test run; merged over docker/queue/compose.yaml.', 'services:'];
  for (const s of services) {
    lines.push(`  ${s}:`, '    build:', '      network: host', '      args:', `        NPM_CONFIG_REGISTRY: "${registry}"`);
  }
  return lines.join('\n') + '\n';
}

/** Build-context sizes in bytes, as the builder printed them (classic builder or BuildKit). */
export function contextSizes(output: string): number[] {
  const units: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
  const sizes: number[] = [];
  const re = /(?:Sending build context to Docker daemon|transferring context:)\s+([\d.]+)\s*([kKMG]?B)/g;
  for (const m of output.matchAll(re)) sizes.push(Number(m[1]) * (units[m[2] ?? 'B'] ?? 1));
  return sizes;
}

export interface BuildOutcome {
  code: number;
  output: string;
  contextBytes: number[]; // one per service built
}

export async function buildWithCompose(project: ComposeProject, services: string[], registry: string, tempDir: string): Promise<BuildOutcome> {
  const override = join(tempDir, 'compose.offline-build.yaml');
  writeFileSync(override, offlineBuildOverride(services, registry));
  // --force-rm: no intermediate container is left behind even when a step fails.
  const r = await project.composeWith([override], ['build', '--force-rm'], true);
  const output = r.stdout + r.stderr;
  return { code: r.code, output, contextBytes: contextSizes(output) };
}
