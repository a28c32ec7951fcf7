// A few lines of HTTP for the runner, the `npm run store` command and the chaos command: one request, with a
// timeout, and a clear account of what happened when there was no answer. (client.ts is the store's typed
// client; this file only needs the raw status and body, and to know whether a request could have been
// applied, which is what the chaos history records.)

export interface HttpAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed JSON, or { raw } if not JSON
}

/**
 * Why there was no answer.
 * - `refused`: the connection was refused; nothing was sent, so nothing can have been applied.
 * - `timeout`: we stopped waiting; the request may have been applied, or may still be.
 * - `dropped`: the connection broke after the request was sent (the node died?): it may have been applied.
 */
export class NoAnswer extends Error {
  constructor(
    readonly kind: 'refused' | 'timeout' | 'dropped',
    readonly url: string,
    detail: string,
  ) {
    super(`${kind === 'refused' ? 'connection refused' : kind === 'timeout' ? 'no answer in time' : 'connection dropped'} (${url}): ${detail}`);
  }
}

export async function http(method: string, url: string, body?: unknown, timeoutMs = 5_000): Promise<HttpAnswer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw classify(err, url);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw classify(err, url);
  }
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

function classify(err: unknown, url: string): NoAnswer {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new NoAnswer('timeout', url, e.message ?? 'timeout');
  const code = e.cause?.code;
  // ECONNREFUSED happens while connecting, before a byte of the request left: it cannot have been applied.
  if (code === 'ECONNREFUSED') return new NoAnswer('refused', url, code);
  return new NoAnswer('dropped', url, code ?? e.cause?.message ?? e.message ?? String(err));
}
