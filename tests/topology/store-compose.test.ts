// docker/store/compose.yaml and `npm run example:store` must describe the same five-node store.
//
// The runner and the chaos command read examples/store/node/topology.ts; the compose file is written by
// hand. Only the differences containers need are allowed, each listed below with its reason; everything else
// (node names, program, environment) must match key for key.

import { describe, expect, it } from 'vitest';
import { CONTAINER_PORT, NODE_NAMES, topology } from '../../examples/store/node/topology.ts';
import { envOf, expectBuildsFromRepo, interpolate, readCompose, serviceOf } from './compose.ts';

const COMPOSE_PATH = 'docker/store/compose.yaml';

/**
 * The container differences, each with its reason.
 * STORE_PORT:     every node listens on the same port inside its own container (7100), not 7101..7105.
 * STORE_PEERS:    peers are found by service name on the compose network (http://n2:7100), not 127.0.0.1.
 * STORE_HOST:     a local node listens on 127.0.0.1 only; in a container that would reach nobody, so
 *                 compose says 0.0.0.0 (and the runner must not say it).
 * STORE_DATA_DIR: the node's own named volume at /data (the runner gives each node a directory of its own).
 */
const COMPOSE_PEERS = NODE_NAMES.map((n) => `${n}=http://${n}:${CONTAINER_PORT}`).join(',');
const COMPOSE_VALUES: Record<string, string> = { STORE_PORT: String(CONTAINER_PORT), STORE_PEERS: COMPOSE_PEERS };
const COMPOSE_ONLY: Record<string, string> = { STORE_HOST: '0.0.0.0', STORE_DATA_DIR: '/data' };

const compose = readCompose(COMPOSE_PATH);
const services = compose.services;

describe('docker/store/compose.yaml matches the store topology (examples/store/node/topology.ts)', () => {
  it('has the same five nodes', () => {
    expect(Object.keys(services).sort()).toEqual(topology.map((p) => p.name).sort());
    expect(topology.map((p) => p.name)).toEqual([...NODE_NAMES]);
  });

  it('uses no `version:` key (Compose Specification, read by docker compose v2 and docker-compose 1.29)', () => {
    expect(Object.keys(compose)).not.toContain('version');
  });

  for (const node of topology) {
    describe(node.name, () => {
      const service = () => serviceOf(compose, node.name);

      it('runs the same script the same way', () => {
        expect(service().command).toEqual(['node', '--import', 'tsx', node.script]);
      });

      it('has the same environment, apart from the listed container differences', () => {
        const expected: Record<string, string> = { ...node.env, ...COMPOSE_VALUES, ...COMPOSE_ONLY };
        expect(envOf(service())).toEqual(expected);
        for (const key of Object.keys(COMPOSE_ONLY)) expect(node.env, `topology.ts sets ${key} for ${node.name}`).not.toHaveProperty(key);
        // The local peer list names the same nodes in the same order, only at other addresses.
        const names = (peers: string) => peers.split(',').map((p) => p.split('=')[0]);
        expect(names(envOf(service()).STORE_PEERS!)).toEqual(names(node.env.STORE_PEERS!));
      });

      it('publishes its container port on loopback at the runner port, keeps its data in its own volume, sits on the one network', () => {
        const s = service();
        expect((s.ports ?? []).map(interpolate)).toEqual([`127.0.0.1:${node.port}:${CONTAINER_PORT}`]);
        expect(s.volumes).toEqual([`${node.name}-data:${COMPOSE_ONLY.STORE_DATA_DIR}`]);
        expect(s.networks).toEqual(['store']);
        expect(s.healthcheck?.test?.join(' ')).toContain(`http://localhost:${CONTAINER_PORT}/status`);
        expect(s.restart).toBe('no');
      });

      it('builds docker/Dockerfile from the repo root and tags it ds-course/store:local', () => {
        expectBuildsFromRepo(service(), COMPOSE_PATH, 'ds-course/store:local');
      });
    });
  }

  it('declares one volume per node and exactly one network', () => {
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(NODE_NAMES.map((n) => `${n}-data`));
    expect(Object.keys(compose.networks ?? {})).toEqual(['store']);
  });

  it('the runner ports are 7101..7105', () => {
    expect(topology.map((n) => n.port)).toEqual([7101, 7102, 7103, 7104, 7105]);
    expect(topology.every((n) => n.env.STORE_PORT === String(n.port))).toBe(true);
  });

  it('interpolates like Compose does', () => {
    expect(interpolate('${STORE_N1_PORT:-7101}')).toBe('7101');
    expect(interpolate('${X-7}')).toBe('7');
    expect(interpolate('${UNSET}')).toBe('');
    expect(interpolate('a$$b')).toBe('a$b');
  });
});
