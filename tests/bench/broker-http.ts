// The bench's client for our broker: the three calls of a job's life (enqueue, lease, ack) over
// node:http with a keep-alive Agent. examples/queue/node/client.ts uses fetch, which is right for the
// course's programs; here we want to measure the queue, not TCP connection set-up or fetch's overhead,
// so every bench client keeps one connection open and sends its requests on it one after another.

import http from 'node:http';

export interface LeasedJob {
  id: string;
  token: string;
}

export class BrokerHttp {
  readonly agent: http.Agent;

  constructor(
    private readonly port: number,
    connections: number,
    private readonly host = '127.0.0.1',
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /** POST /jobs: returns the new job's id. */
  async enqueue(payload: unknown): Promise<string> {
    const { status, body } = await this.request('POST', '/jobs', { payload });
    if (status !== 201) throw new Error(`enqueue: HTTP ${status} ${body}`);
    return (JSON.parse(body) as { job: { id: string } }).job.id;
  }

  /** POST /jobs/lease: the oldest ready job and its lease token, or null when none turned up within waitMs. */
  async lease(workerId: string, waitMs: number): Promise<LeasedJob | null> {
    const { status, body } = await this.request('POST', '/jobs/lease', { workerId, waitMs });
    if (status === 204) return null;
    if (status !== 200) throw new Error(`lease: HTTP ${status} ${body}`);
    const { job } = JSON.parse(body) as { job: { id: string; lease: { token: string } } };
    return { id: job.id, token: job.lease.token };
  }

  /** POST /jobs/:id/ack with the lease's token. */
  async ack(job: LeasedJob): Promise<void> {
    const { status, body } = await this.request('POST', `/jobs/${encodeURIComponent(job.id)}/ack`, { token: job.token });
    if (status !== 200) throw new Error(`ack ${job.id}: HTTP ${status} ${body}`);
  }

  async stats(): Promise<Record<string, number>> {
    const { status, body } = await this.request('GET', '/stats');
    if (status !== 200) throw new Error(`stats: HTTP ${status} ${body}`);
    return JSON.parse(body) as Record<string, number>;
  }

  /** True once the broker answers GET /health (false while it is still starting). */
  async healthy(): Promise<boolean> {
    try {
      return (await this.request('GET', '/health')).status === 200;
    } catch {
      return false;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, json?: unknown): Promise<{ status: number; body: string }> {
    const data = json === undefined ? undefined : JSON.stringify(json);
    const headers: http.OutgoingHttpHeaders = data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) };
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }
}
