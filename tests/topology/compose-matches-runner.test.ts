// docker/queue/compose.yaml and `npm run example:queue` must describe the same system.
//
// The runner reads examples/queue/node/topology.ts; the compose file is written by hand. Without this test
// they drift: someone adds a worker or changes WORK_MS in one place, and the page that says "same thing,
// now in containers" quietly stops being true. The differences a container setup needs are listed below,
// explicitly; everything else must match, key for key and value for value.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { topology, BROKER_PORT } from '../../examples/queue/node/topology.ts';
import { envOf, expectBuildsFromRepo, interpolate, readCompose, REPO, serviceOf } from './compose.ts';

const COMPOSE_PATH = 'docker/queue/compose.yaml';

/**
 * The only legitimate differences between compose and the runner, each with its reason.
 * BROKER_URL: in compose every process is its own container and finds the broker by service name.
 * DATA_DIR:   the broker's log goes to the named volume mounted at /data (the runner uses the default dir).
 * HOST:       the broker listens on 127.0.0.1 unless told otherwise, so that a local run is not open to
 *             the network. In a container, 127.0.0.1 is the container itself: the workers, and the port
 *             Docker publishes, could not reach it. So compose says HOST=0.0.0.0, for the broker only,
 *             and the runner must not say it (the tests below hold both).
 */
const COMPOSE_BROKER_URL = `http://broker:${BROKER_PORT}`;
const DIFFERENT_VALUE: Record<string, string> = { BROKER_URL: COMPOSE_BROKER_URL };
const COMPOSE_ONLY: Record<string, Record<string, string>> = { broker: { DATA_DIR: '/data', HOST: '0.0.0.0' } };

const compose = readCompose(COMPOSE_PATH);
const services = compose.services;

describe('docker/queue/compose.yaml matches the runner topology (examples/queue/node/topology.ts)', () => {
  it('has the same set of processes', () => {
    expect(Object.keys(services).sort()).toEqual(topology.map((p) => p.name).sort());
  });

  it('uses no `version:` key (Compose Specification, read by docker compose v2 and docker-compose 1.29)', () => {
    expect(Object.keys(compose)).not.toContain('version');
  });

  for (const proc of topology) {
    describe(proc.name, () => {
      const service = () => serviceOf(compose, proc.name);

      it('runs the same script the same way', () => {
        expect(service().command).toEqual(['node', '--import', 'tsx', proc.script]);
        expect(existsSync(join(REPO, proc.script))).toBe(true);
      });

      it('has the same environment, apart from the listed container differences', () => {
        const expected: Record<string, string> = { ...proc.env, ...(COMPOSE_ONLY[proc.name] ?? {}) };
        for (const [key, value] of Object.entries(DIFFERENT_VALUE)) if (key in expected) expected[key] = value;
        expect(envOf(service())).toEqual(expected);
      });

      it('builds docker/Dockerfile from the repo root and tags it ds-course/queue:local', () => {
        expectBuildsFromRepo(service(), COMPOSE_PATH, 'ds-course/queue:local');
      });

      if (proc.role !== 'broker') {
        it('waits for a healthy broker before starting', () => {
          expect(service().depends_on).toEqual({ broker: { condition: 'service_healthy' } });
        });
      }
    });
  }

  it('publishes the broker on the runner port, on loopback only, and keeps its log in the queue-data volume', () => {
    const broker = services.broker;
    const brokerEnv = envOf(broker ?? {});
    expect(brokerEnv.PORT).toBe(String(BROKER_PORT));
    // HOST=0.0.0.0 opens the broker inside its container; the host side stays 127.0.0.1, as in a local run.
    expect((broker?.ports ?? []).map(interpolate)).toEqual([`127.0.0.1:${BROKER_PORT}:${brokerEnv.PORT}`]);
    expect(broker?.volumes).toEqual([`queue-data:${brokerEnv.DATA_DIR}`]);
    expect(Object.keys(compose.volumes ?? {})).toEqual(['queue-data']);
    expect(broker?.healthcheck?.test?.join(' ')).toContain(`http://localhost:${brokerEnv.PORT}/health`);
  });

  it('sets a compose-only variable only where it is listed, and the runner never sets it', () => {
    for (const proc of topology) {
      const composeOnly = Object.keys(COMPOSE_ONLY[proc.name] ?? {});
      // Otherwise a compose-only difference could hide the same setting creeping into local runs.
      for (const key of composeOnly) expect(proc.env, `${proc.name} in topology.ts sets ${key}`).not.toHaveProperty(key);
    }
  });

  it('opens only the broker to other machines (HOST=0.0.0.0 on the broker, on no other service)', () => {
    expect(envOf(services.broker ?? {}).HOST).toBe('0.0.0.0');
    for (const [name, service] of Object.entries(services)) if (name !== 'broker') expect(envOf(service)).not.toHaveProperty('HOST');
  });

  it('interpolates like Compose does', () => {
    expect(interpolate('${JOBS:-60}')).toBe('60');
    expect(interpolate('${JOBS-7}')).toBe('7');
    expect(interpolate('${UNSET}')).toBe('');
    expect(interpolate('a$$b')).toBe('a$b');
  });
});
