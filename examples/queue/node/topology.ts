// The local topology of the queue example: which processes run, which program each one is, and its
// environment. Plain data, on purpose: the runner (run.ts) starts exactly these processes, and the Docker
// compose file (docker/queue/compose.yaml) is tested against this list, so the two cannot drift apart.
//
// The one value that differs between the two is the broker's address: here every process runs on this
// machine and reaches the broker at 127.0.0.1, where it listens by default; in compose each one is a
// container and reaches the broker by its service name (http://broker:7700).
//
// JOBS=300 at RATE=5: the producer runs for a minute and the three workers (about 2 jobs a second) for
// about two and a half, long enough to crash a worker and then the broker by hand while jobs still flow.
// Tests that start the runner or compose set JOBS themselves, to stay fast.

export interface ProcessSpec {
  /** Also the compose service name and the runner's output prefix. */
  name: string;
  role: 'broker' | 'producer' | 'worker';
  /** Relative to the repository root; started as `node --import tsx <script>`. */
  script: string;
  env: Record<string, string>;
}

export const BROKER_PORT = 7700;
export const BROKER_URL = `http://127.0.0.1:${BROKER_PORT}`;

const worker = (n: number): ProcessSpec => ({
  name: `worker-${n}`,
  role: 'worker',
  script: 'examples/queue/node/worker.ts',
  env: { BROKER_URL, WORKER_ID: `worker-${n}`, WORK_MS: '1500', FAIL_RATE: '0.1' },
});

export const topology: ProcessSpec[] = [
  {
    name: 'broker',
    role: 'broker',
    script: 'examples/queue/node/broker.ts',
    env: { PORT: String(BROKER_PORT), VISIBILITY_TIMEOUT_MS: '10000', MAX_ATTEMPTS: '5' },
  },
  {
    name: 'producer',
    role: 'producer',
    script: 'examples/queue/node/producer.ts',
    env: { BROKER_URL, JOBS: '300', RATE: '5', PRODUCER_ID: 'producer-1' },
  },
  worker(1),
  worker(2),
  worker(3),
];
