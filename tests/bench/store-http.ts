// One bench client's HTTP connection, shared by both systems the store bench measures (our store's JSON API
// and etcd's v3 HTTP/JSON gateway), so the client side costs the same on both: node:http, keep-alive, one
// socket per client, JSON in and out, a timeout per request.
//
// Errors are answers here, not throws: a request that timed out or whose connection failed comes back as
// status 0 with the reason, because the availability phase counts those as "not answered".

import http from 'node:http';

export interface HttpAnswer {
  status: number; // 0: no HTTP answer at all (timeout, connection refused or reset)
  body: unknown; // parsed JSON, or the raw text if it was not JSON, or null
  error?: string; // why there was no answer (status 0)
}

export class HttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve) => {
      let settled = false;
      const done = (answer: HttpAnswer) => {
        if (settled) return;
        settled = true;
        resolve(answer);
      };
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: {
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length }),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            try {
              parsed = text === '' ? null : JSON.parse(text);
            } catch {
              parsed = text;
            }
            done({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', (err) => done({ status: 0, body: null, error: err.message }));
        },
      );
      // A timed-out request is abandoned, and so is its socket (the agent opens a new one next time).
      req.setTimeout(this.timeoutMs, () => {
        done({ status: 0, body: null, error: `no answer within ${this.timeoutMs} ms` });
        req.destroy();
      });
      req.on('error', (err) => done({ status: 0, body: null, error: err.message }));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
