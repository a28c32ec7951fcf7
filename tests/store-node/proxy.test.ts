// How a node judges a forward that failed: a write forwarded to a leader that is killed (or resets the
// connection) after reading it may have been applied, so the client must hear 504 "outcome unknown", never
// 503 "nothing was changed". Only errors that prove no connection was ever made count as 'refused'.
// (npm run chaos:store -- --seed 7 found the old rule, "refused unless the socket fired 'connect'", wrong: a
// reused keep-alive socket never fires 'connect', so a reset after the leader applied the write read as 503.)
import { describe, expect, it } from 'vitest';
import { proxyFailure } from '../../examples/store/node/server.ts';

describe('proxyFailure', () => {
  it('no connection was ever made: refused (nothing reached the target)', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']) {
      expect(proxyFailure(false, code), code).toBe('refused');
    }
  });

  it('a reset, a closed socket or a timeout may come after the target read the request: sent', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'UND_ERR_SOCKET']) {
      expect(proxyFailure(false, code), code).toBe('sent');
    }
    expect(proxyFailure(false, undefined)).toBe('sent'); // our own timeout: an Error without a code
  });

  it('once connected, every failure counts as sent, whatever its code', () => {
    expect(proxyFailure(true, 'ECONNREFUSED')).toBe('sent');
    expect(proxyFailure(true, 'ECONNRESET')).toBe('sent');
  });
});
