// The browser chat client's pure decisions (examples/chat/web/connection.ts) and its bundle (serve.ts).
// The client in a real browser against real servers is tested in browser.test.ts.

import fs from 'node:fs';
import { describe as group, expect, it } from 'vitest';
import { backoffMs, chooseServers, describe, nextServer, serverAddress, serverList, topologyPeers } from '../../examples/chat/web/connection.ts';
import { clientPage, PEERS_META, withPeers } from '../../examples/chat/web/serve.ts';

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

  it('reads a port alone as that port on the page’s own host', () => {
    expect(serverAddress('7502', 'http://localhost:7501')).toEqual({ http: 'http://localhost:7502', ws: 'ws://localhost:7502/ws' });
    expect(serverAddress(':7502', 'https://chat.example:7501')).toEqual({ http: 'https://chat.example:7502', ws: 'wss://chat.example:7502/ws' });
    expect(serverAddress('7502')).toBeNull();
    expect(serverAddress('99999', 'http://localhost:7501')).toBeNull();
  });

  it('uses the servers its own server listed (CHAT_PEERS) on any port, its own first; ?servers= overrides', () => {
    const from7502 = chooseServers('http://127.0.0.1:7502', null, '7501,7502');
    expect(from7502.map((s) => s.ws)).toEqual(['ws://127.0.0.1:7502/ws', 'ws://127.0.0.1:7501/ws']);
    expect(chooseServers('http://localhost:7501', '', 'localhost:7502').map((s) => s.http)).toEqual(['http://localhost:7501', 'http://localhost:7502']);
    // ?servers= wins: exactly those, the page's own first when it is one of them.
    expect(chooseServers('http://localhost:7502', 'localhost:7401,localhost:7502', '7501,7502').map((s) => s.http)).toEqual(['http://localhost:7502', 'http://localhost:7401']);
    expect(chooseServers('http://localhost:7502', 'h:1,h:2', '7501').map((s) => s.http)).toEqual(['http://h:1', 'http://h:2']);
    // No list at all: the local topology's ports, else only itself.
    expect(chooseServers('http://localhost:7301', null, '').map((s) => s.http)).toEqual(['http://localhost:7301', 'http://localhost:7302']);
    expect(chooseServers('http://localhost:7501', null, null).map((s) => s.http)).toEqual(['http://localhost:7501']);
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

  it('has a chat-peers meta tag the server fills in, escaped', async () => {
    const { html } = await clientPage();
    expect(html).toContain(PEERS_META);
    const filled = withPeers(html, ['7501', '7502']);
    expect(filled).toContain('<meta name="chat-peers" content="7501,7502">');
    expect(withPeers(html, ['"><script>'])).toContain('content="&quot;&gt;&lt;script&gt;"');
  });

  it('labels every input of the page', async () => {
    const { html } = await clientPage();
    const ids = [...html.matchAll(/<input id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(html).toContain(`<label for="${id}">`);
  });
});
