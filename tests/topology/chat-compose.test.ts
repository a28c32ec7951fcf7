// docker/chat/compose.yaml and `npm run example:chat` must describe the same chat system: the course bus and
// two chat servers.
//
// The runner reads examples/chat/node/topology.ts; the compose file is written by hand. Only the differences
// containers need are allowed, each listed below with its reason; everything else (process names, program,
// environment, ports) must match key for key.

import { describe, expect, it } from 'vitest';
import { BASE_PORT, BUS_NAME, SERVER_NAMES, chatPeers, topology } from '../../examples/chat/node/topology.ts';
import { envOf, expectBuildsFromRepo, interpolate, readCompose, serviceOf } from './compose.ts';

const COMPOSE_PATH = 'docker/chat/compose.yaml';

/**
 * The container differences, each with its reason.
 * BUS:      a chat server finds the bus by its service name on the compose network (ws://bus:7300), not at
 *           127.0.0.1, which inside a container is that container alone.
 * HOST:     a local process listens on 127.0.0.1 only (so a local run is not open to the network); in a
 *           container that would reach nobody, neither the other containers nor the published port, so
 *           compose says 0.0.0.0 for every process (and the runner must not say it).
 * DATA_DIR: the bus keeps its log in the named volume bus-data at /data (the runner passes a directory of
 *           its own, .data/chat/bus, when it starts the bus, so topology.ts does not list it).
 * CHAT_PEERS: the chat servers a browser page may fail over to, as the host ports compose publishes them on
 *           (they move with CHAT_S1_PORT / CHAT_S2_PORT, and the page must follow); the runner sets it from the
 *           ports it uses when it starts each server, so topology.ts does not list it.
 * The ports are NOT a difference: each process listens inside its container on its runner port, and is
 * published on loopback at that same port, so the URLs to open are the same.
 */
const BUS_IN_COMPOSE = `ws://${BUS_NAME}:${BASE_PORT}`;
const DIFFERENT_VALUE: Record<string, Record<string, string>> = Object.fromEntries(SERVER_NAMES.map((s) => [s, { BUS: BUS_IN_COMPOSE }]));
const COMPOSE_ONLY: Record<string, Record<string, string>> = {
  [BUS_NAME]: { HOST: '0.0.0.0', DATA_DIR: '/data' },
  ...Object.fromEntries(SERVER_NAMES.map((s) => [s, { HOST: '0.0.0.0', CHAT_PEERS: chatPeers().join(',') }])),
};
/** The host-port variables compose reads, per process (the default is the runner's port). */
const PORT_VARIABLE: Record<string, string> = { bus: 'CHAT_BUS_PORT', s1: 'CHAT_S1_PORT', s2: 'CHAT_S2_PORT' };

const compose = readCompose(COMPOSE_PATH);
const services = compose.services;

describe('docker/chat/compose.yaml matches the chat topology (examples/chat/node/topology.ts)', () => {
  it('has the same processes: the bus and the two chat servers', () => {
    expect(Object.keys(services).sort()).toEqual(topology.map((p) => p.name).sort());
    expect(topology.map((p) => p.name)).toEqual([BUS_NAME, ...SERVER_NAMES]);
  });

  it('uses no `version:` key (Compose Specification, read by docker compose v2 and docker-compose 1.29)', () => {
    expect(Object.keys(compose)).not.toContain('version');
  });

  for (const proc of topology) {
    describe(proc.name, () => {
      const service = () => serviceOf(compose, proc.name);

      it('runs the same script the same way', () => {
        expect(service().command).toEqual(['node', '--import', 'tsx', proc.script]);
      });

      it('has the same environment, apart from the listed container differences', () => {
        const expected: Record<string, string> = { ...proc.env, ...(DIFFERENT_VALUE[proc.name] ?? {}), ...COMPOSE_ONLY[proc.name] };
        expect(envOf(service())).toEqual(expected);
        for (const key of Object.keys(DIFFERENT_VALUE[proc.name] ?? {})) expect(proc.env, `topology.ts sets ${key} for ${proc.name}`).toHaveProperty(key);
        for (const key of Object.keys(COMPOSE_ONLY[proc.name] ?? {})) expect(proc.env, `topology.ts must not set ${key} for ${proc.name}`).not.toHaveProperty(key);
      });

      it('publishes its runner port on loopback only, overridable, and listens on that same port inside', () => {
        const s = service();
        expect(s.ports).toEqual([`127.0.0.1:\${${PORT_VARIABLE[proc.name]}:-${proc.port}}:${proc.port}`]);
        expect((s.ports ?? []).map(interpolate)).toEqual([`127.0.0.1:${proc.port}:${proc.port}`]);
        expect(envOf(s).PORT).toBe(String(proc.port));
      });

      it('sits on the one network, has a healthcheck on its own /health, and is not restarted by Docker', () => {
        const s = service();
        expect(s.networks).toEqual(['chat']);
        expect(s.healthcheck?.test?.join(' ')).toContain(`http://localhost:${proc.port}/health`);
        expect(s.restart).toBe('no');
      });

      it('builds docker/Dockerfile from the repo root and tags it ds-course/chat:local', () => {
        expectBuildsFromRepo(service(), COMPOSE_PATH, 'ds-course/chat:local');
      });
    });
  }

  it('the bus keeps its log in the named volume; the chat servers keep nothing (history is in the bus)', () => {
    expect(serviceOf(compose, BUS_NAME).volumes).toEqual([`bus-data:${COMPOSE_ONLY[BUS_NAME]!.DATA_DIR}`]);
    for (const s of SERVER_NAMES) expect(serviceOf(compose, s).volumes, s).toBeUndefined();
    expect(Object.keys(compose.volumes ?? {})).toEqual(['bus-data']);
    expect(Object.keys(compose.networks ?? {})).toEqual(['chat']);
  });

  it('the chat servers start once the bus is healthy', () => {
    for (const s of SERVER_NAMES) expect(serviceOf(compose, s).depends_on, s).toEqual({ [BUS_NAME]: { condition: 'service_healthy' } });
  });

  it('the runner ports are 7300 (bus), 7301 (s1), 7302 (s2), and the servers use the runner bus at 7300', () => {
    expect(topology.map((p) => p.port)).toEqual([7300, 7301, 7302]);
    expect(topology.every((p) => p.env.PORT === String(p.port))).toBe(true);
    for (const p of topology.slice(1)) expect(p.env.BUS).toBe(`ws://127.0.0.1:${BASE_PORT}`);
  });
});
