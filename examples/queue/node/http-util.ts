// Small HTTP helpers for the broker: read a bounded body, send JSON, send errors in one shape.
//
// Every error the broker sends looks like {"error": "<code>", "message": "<human text>"}: the code is for
// programs (a worker checks for "lease-expired"), the message is for the human reading the terminal.

import type http from 'node:http';

/** The largest request body the broker accepts. Documented on the Session 2 page; bigger bodies get a 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Thrown by handlers to answer with a 4xx; anything else that is thrown becomes a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// #region read-body
/**
 * Reads the request body as text, but never more than MAX_BODY_BYTES. A client that announces a bigger
 * body (Content-Length) is refused before we read a byte; one that keeps streaming is cut off as soon as
 * it crosses the limit. Either way memory use stays bounded: a broker that buffers whatever it is sent
 * can be knocked over by a single request.
 */
export function readBody(req: http.IncomingMessage): Promise<string> {
  const tooLarge = () => new HttpError(413, 'body-too-large', `request body is over the ${MAX_BODY_BYTES}-byte limit`);
  const announced = Number(req.headers['content-length'] ?? 0);
  if (announced > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData); // stop keeping what arrives; Node discards the rest of the body
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
// #endregion read-body

export function sendJson(res: http.ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent || res.destroyed) return; // the client may have gone away while we waited
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  sendJsonText(res, status, JSON.stringify(body));
}

/** Sends JSON that was serialised earlier (a snapshot taken before waiting for something). */
export function sendJsonText(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, error: string, message: string): void {
  // After a 413 the rest of the body is still on its way; closing the connection stops it.
  if (status === 413 && !res.headersSent) res.setHeader('connection', 'close');
  sendJson(res, status, { error, message });
}
