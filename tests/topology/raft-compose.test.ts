// docker/raft/compose.yaml and `npm run example:raft` must describe the same five-node Raft cluster.
//
// The runner and the chaos command read examples/raft/node/topology.ts; the compose file is written by hand.
// Only the differences containers need are allowed, each listed below with its reason; everything else (node
// names, program, environment) must match key for key.

import { describe, expect, it } from 'vitest';
import { BASE_PORT, CONTAINER_PORT, NODE_NAMES, RAFT_SCRIPT, topology } from '../../examples/raft/node/topology.ts';
import { envOf, expectBuildsFromRepo, interpolate, readCompose, serviceOf } from './compose.ts';

const COMPOSE_PATH = 'docker/raft/compose.yaml';

/**
 * The container differences, each with its reason.
 * PORT:       every node listens on the same port inside its own container (7400), not 7401..7405.
 * RAFT_PEERS: peers are found by service name on the compose network (http://n2:7400), not at 127.0.0.1,
 *             which inside a container is that container alone.
 * HOST:       a local node listens on 127.0.0.1 only; in a container that would reach nobody, so compose
 *             says 0.0.0.0 (and the runner must not say it).
 * RAFT_DATA:  the node's own named volume at /data (the runner gives each node a directory of its own).
 */
const COMPOSE_PEERS = NODE_NAMES.map((n) => `${n}=http://${n}:${CONTAINER_PORT}`).join(',');
const COMPOSE_VALUES: Record<string, string> = { PORT: String(CONTAINER_PORT), RAFT_PEERS: COMPOSE_PEERS };
const COMPOSE_ONLY: Record<string, string> = { HOST: '0.0.0.0', RAFT_DATA: '/data' };

const compose = readCompose(COMPOSE_PATH);

describe('docker/raft/compose.yaml matches the Raft topology (examples/raft/node/topology.ts)', () => {
  it('has the same five nodes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(topology.map((p) => p.name).sort());
    expect(topology.map((p) => p.name)).toEqual([...NODE_NAMES]);
  });

  it('uses no `version:` key (Compose Specification, read by docker compose v2 and docker-compose 1.29)', () => {
    expect(Object.keys(compose)).not.toContain('version');
  });

  for (const node of topology) {
    describe(node.name, () => {
      const service = () => serviceOf(compose, node.name);

      it('runs the same script the same way', () => {
        expect(node.script).toBe(RAFT_SCRIPT);
        expect(service().command).toEqual(['node', '--import', 'tsx', node.script]);
      });

      it('has the same environment, apart from the listed container differences', () => {
        const expected: Record<string, string> = { ...node.env, ...COMPOSE_VALUES, ...COMPOSE_ONLY };
        expect(envOf(service())).toEqual(expected);
        for (const key of Object.keys(COMPOSE_VALUES)) expect(node.env, `topology.ts sets ${key} for ${node.name}`).toHaveProperty(key);
        for (const key of Object.keys(COMPOSE_ONLY)) expect(node.env, `topology.ts must not set ${key} for ${node.name}`).not.toHaveProperty(key);
        // The peer list names the same members in the same order, only at other addresses.
        const names = (peers: string) => peers.split(',').map((p) => p.split('=')[0]);
        expect(names(envOf(service()).RAFT_PEERS!)).toEqual(names(node.env.RAFT_PEERS!));
      });

      it('publishes its container port on loopback at the runner port, keeps its data in its own volume, sits on the one network', () => {
        const s = service();
        expect(s.ports).toEqual([`127.0.0.1:\${RAFT_${node.name.toUpperCase()}_PORT:-${node.port}}:${CONTAINER_PORT}`]);
        expect((s.ports ?? []).map(interpolate)).toEqual([`127.0.0.1:${node.port}:${CONTAINER_PORT}`]);
        expect(s.volumes).toEqual([`${node.name}-data:${COMPOSE_ONLY.RAFT_DATA}`]);
        expect(s.networks).toEqual(['raft']);
        expect(s.healthcheck?.test?.join(' ')).toContain(`http://localhost:${CONTAINER_PORT}/health`);
        expect(s.restart).toBe('no');
      });

      it('builds docker/Dockerfile from the repo root and tags it ds-course/raft:local', () => {
        expectBuildsFromRepo(service(), COMPOSE_PATH, 'ds-course/raft:local');
      });
    });
  }

  it('declares one volume per node and exactly one network', () => {
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(NODE_NAMES.map((n) => `${n}-data`));
    expect(Object.keys(compose.networks ?? {})).toEqual(['raft']);
  });

  it('the runner ports are 7401..7405 (node i on 7400 + i) and every node is told all five members', () => {
    expect(BASE_PORT).toBe(7400);
    expect(topology.map((n) => n.port)).toEqual([7401, 7402, 7403, 7404, 7405]);
    expect(topology.every((n) => n.env.PORT === String(n.port))).toBe(true);
    expect(new Set(topology.map((n) => n.env.RAFT_PEERS)).size).toBe(1);
    expect(topology[0]!.env.RAFT_PEERS).toBe('n1=http://127.0.0.1:7401,n2=http://127.0.0.1:7402,n3=http://127.0.0.1:7403,n4=http://127.0.0.1:7404,n5=http://127.0.0.1:7405');
  });
});
