// The local topology of the store example: five nodes, n1..n5, each one `node --import tsx
// examples/store/node/server.ts` with its own name, port, peer list and data directory. Plain data, on
// purpose: the runner (run.ts) and the chaos command (chaos.ts) start exactly these processes, and the Docker
// compose file (docker/store/compose.yaml) is tested against this list (tests/topology/store-compose.test.ts),
// so the two cannot drift apart.
//
// What differs in Docker, and only that: every node is its own container, so each listens on 7100 inside it
// (STORE_HOST=0.0.0.0 there) and finds the others by service name (http://n2:7100); its data goes to its own
// named volume mounted at /data.

export interface StoreNodeSpec {
  /** The node's name (STORE_ID), also the compose service name and the runner's output prefix. */
  name: string;
  /** Where it listens on this machine (127.0.0.1). */
  port: number;
  /** Relative to the repository root; started as `node --import tsx <script>`. */
  script: string;
  /** Its environment, apart from STORE_DATA_DIR (the runner's or chaos command's directory + name). */
  env: Record<string, string>;
}

export const STORE_SCRIPT = 'examples/store/node/server.ts';
/** Node i listens on BASE_PORT + i (n1 = 7101 ... n5 = 7105). The runner's own control port is BASE_PORT. */
export const BASE_PORT = 7100;
export const NODE_NAMES = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
/** The port every node listens on inside its container. */
export const CONTAINER_PORT = 7100;

/** "n1=http://127.0.0.1:7101,n2=..." for nodes on this machine whose ports start at basePort + 1. */
export function peersFor(basePort: number, names: readonly string[] = NODE_NAMES): string {
  return names.map((n, i) => `${n}=http://127.0.0.1:${basePort + i + 1}`).join(',');
}

/** The five nodes, on ports basePort+1 .. basePort+5 (tests and a second cluster pass another base). */
export function storeTopology(basePort = BASE_PORT): StoreNodeSpec[] {
  const peers = peersFor(basePort);
  return NODE_NAMES.map((name, i) => ({
    name,
    port: basePort + i + 1,
    script: STORE_SCRIPT,
    env: { STORE_ID: name, STORE_PORT: String(basePort + i + 1), STORE_PEERS: peers },
  }));
}

export const topology: StoreNodeSpec[] = storeTopology();
