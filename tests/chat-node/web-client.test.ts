// The browser chat client's pure decisions (examples/chat/web/connection.ts) and its bundle (serve.ts).
// The client in a real browser against real servers is tested in browser.test.ts.

import fs from 'node:fs';
import { describe as group, expect, it } from 'vitest';
import { backoffMs, describe, nextServer, serverAddress, serverList, topologyPeers } from '../../examples/chat/web/connection.ts';
import { clientPage } from '../../examples/chat/web/serve.ts';

group('servers', () => {
  it('reads a server written three ways as the same HTTP origin and WebSocket URL', () => {
    for (const text of ['127.0.0.1:7301', 'http://127.0.0.1:7301', 'ws://127.0.0.1:7301/ws', ' http://127.0.0.1:7301/ ']) {
      expect(serverAddress(text)).toEqual({ http: 'http://127.0.0.1:7301', ws: 'ws://127.0.0.1:7301/ws' });
    }
    expect(serverAddress('https://chat.example')).toEqual({ http: 'https://chat.example', ws: 'wss://chat.example/ws' });
    expect(serverAddress('')).toBeNull();
    expect(serverAddress('ftp://x')).toBeNull();
  });

  it('puts the page’s own server first and lists each server once', () => {
    const list = serverList('http://localhost:7302', ['http://localhost:7301', 'localhost:7302', 'ws://localhost:7301/ws']);
    expect(list.map((s) => s.ws)).toEqual(['ws://localhost:7302/ws', 'ws://localhost:7301/ws']);
  });

  it('knows the other local server when the page came from a topology port, and only its own otherwise', () => {
    expect(topologyPeers('http://localhost:7302')).toEqual(['http://localhost:7301', 'http://localhost:7302']);
    expect(serverList('http://localhost:7302', topologyPeers('http://localhost:7302')).map((s) => s.http)).toEqual(['http://localhost:7302', 'http://localhost:7301']);
    expect(topologyPeers('http://127.0.0.1:40123')).toEqual([]);
  });
});

group('reconnect', () => {
  it('goes to the other server after a connection is lost, and round-robin beyond two', () => {
    expect(nextServer(2, 0)).toBe(1);
    expect(nextServer(2, 1)).toBe(0);
    expect(nextServer(3, 2)).toBe(0);
    expect(nextServer(1, 0)).toBe(0);
  });

  it('waits longer after each failed attempt, up to a ceiling, spread by the random number', () => {
    expect(backoffMs(1, 0)).toBe(125);
    expect(backoffMs(1, 0.999)).toBeLessThanOrEqual(250);
    expect(backoffMs(2, 0)).toBe(250);
    expect(backoffMs(3, 0)).toBe(500);
    expect(backoffMs(50, 0.999)).toBeLessThanOrEqual(8000);
    expect(backoffMs(50, 0)).toBe(4000);
  });

  it('says which server, which attempt and whether it has caught up', () => {
    expect(describe({ phase: 'reconnecting', server: 's2', attempt: 3 })).toBe('Connection lost. Reconnecting to s2 (attempt 3)…');
    expect(describe({ phase: 'caught-up', server: 's2', attempt: 0 })).toBe('Caught up on s2.');
    expect(describe({ phase: 'connected', server: 's1', attempt: 0 })).toContain('s1');
  });
});

group('the served page', () => {
  it('bundles app.ts with the client core, once', async () => {
    const first = await clientPage();
    expect(first.html).toContain('<script type="module" src="/app.js">');
    expect(first.js).toContain('function acceptGap'); // the receiver core is in the bundle, not re-implemented
    expect(await clientPage()).toBe(first);
  });

  it('never writes HTML from strings: no innerHTML, outerHTML, insertAdjacentHTML or document.write', () => {
    const source = fs.readFileSync(new URL('../../examples/chat/web/app.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write/);
  });

  it('labels every input of the page', async () => {
    const { html } = await clientPage();
    const ids = [...html.matchAll(/<input id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(html).toContain(`<label for="${id}">`);
  });
});
