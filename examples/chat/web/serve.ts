// The browser chat client as two strings a chat server can answer with: the page (`GET /`) and its script
// (`GET /app.js`, app.ts and the client core bundled by esbuild). Bundled once per process, on first use.
//
//   const { html, js } = await clientPage();

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface ClientPage {
  html: string;
  js: string;
}

let cached: Promise<ClientPage> | null = null;

/** The page and its script, bundled on the first call and kept (a failed build is tried again next time). */
export function clientPage(): Promise<ClientPage> {
  cached ??= bundle().catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

async function bundle(): Promise<ClientPage> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./app.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild produced no output for examples/chat/web/app.ts');
  return { html: PAGE, js };
}

// #region page
// The script may talk to any chat server (ws: to another port), but runs only our own code: no inline
// scripts, no inline event handlers. Even if a message were ever put into the page as HTML, the browser would
// refuse to run its onerror=... — the first defence is still that app.ts writes user content as text.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  "connect-src 'self' ws: wss: http: https:",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Where the chat server writes the list of chat servers the page may use (its CHAT_PEERS), as data: the
 * strict CSP above allows no inline script, and the page needs none to read a meta tag.
 */
export const PEERS_META = '<meta name="chat-peers" content="">';

/** The page with `peers` ("7301,7302", "host:7301,...") in its chat-peers meta tag, escaped for an attribute. */
export function withPeers(html: string, peers: readonly string[]): string {
  const value = peers.join(',').replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return html.replace(PEERS_META, `<meta name="chat-peers" content="${value}">`);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="color-scheme" content="light dark">
${PEERS_META}
<title>Course chat</title>
<style>
  :root {
    color-scheme: light dark;
    --bg: #ffffff; --fg: #1b1b1f; --muted: #545459; --line: #c9c9cf; --panel: #f4f4f6;
    --accent: #2e4fc4; --on-accent: #ffffff; --warn: #7a4d00; --bad: #b3261e; --good: #1f6b35;
    font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.45;
  }
  @media (prefers-color-scheme: dark) {
    :root {
      --bg: #1b1b1f; --fg: #e9e9ec; --muted: #b4b4bc; --line: #45454d; --panel: #26262b;
      --accent: #9db4ff; --on-accent: #111114; --warn: #f2c261; --bad: #ff9a90; --good: #86d69a;
    }
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--fg); }
  main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
  h2 { font-size: 1.15rem; margin: 0; overflow-wrap: anywhere; }
  h3 { font-size: .95rem; margin: 0 0 .25rem; color: var(--muted); }
  label { display: block; font-weight: 600; margin: .5rem 0 .2rem; }
  input { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
    padding: .45rem .6rem; width: 100%; min-width: 0; }
  button { font: inherit; border: 1px solid var(--accent); border-radius: 6px; padding: .45rem .9rem;
    background: var(--accent); color: var(--on-accent); cursor: pointer; white-space: nowrap; flex: none; }
  button.secondary { background: transparent; color: var(--accent); }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  .row { display: flex; gap: .5rem; align-items: center; }
  #status { margin: 0 0 1rem; padding: .5rem .75rem; border-radius: 6px; background: var(--panel);
    border-left: 4px solid var(--muted); }
  #status[data-state="caught-up"] { border-left-color: var(--good); }
  #status[data-state="reconnecting"] { border-left-color: var(--warn); }
  .who { color: var(--muted); margin: 0 0 .5rem; }
  .error { color: var(--bad); min-height: 1em; margin: .25rem 0; }
  #login button { margin-top: .75rem; }
  .room { border: 1px solid var(--line); border-radius: 8px; padding: .75rem; margin: 1rem 0; }
  .room-head { display: flex; justify-content: space-between; align-items: center; gap: .5rem; flex-wrap: wrap; }
  .online-box { margin: .5rem 0; }
  .online { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .35rem; }
  .online li { background: var(--panel); border-radius: 999px; padding: .1rem .6rem; overflow-wrap: anywhere; }
  .messages { list-style: none; padding: 0; margin: .5rem 0; max-height: 50vh; overflow-y: auto;
    border-top: 1px solid var(--line); }
  .messages li { padding: .3rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; white-space: pre-wrap; }
  .messages .seq { color: var(--muted); font-size: .8rem; margin-right: .4rem; font-variant-numeric: tabular-nums; }
  .messages .from { font-weight: 600; margin-right: .4rem; }
  .messages .notice { color: var(--warn); font-style: italic; }
  .pending { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; min-height: 1em; }
</style>
<script type="module" src="/app.js"></script>
</head>
<body>
<main>
  <h1>Course chat</h1>
  <p id="status" role="status" aria-live="polite" data-state="idle">Not connected yet: pick a name and rooms.</p>
  <form id="login" novalidate>
    <label for="name">Your name</label>
    <input id="name" name="name" autocomplete="nickname" maxlength="32" required>
    <label for="rooms">Rooms (separated by commas)</label>
    <input id="rooms" name="rooms" autocomplete="off" value="lobby" required>
    <p id="login-error" class="error" role="alert"></p>
    <button type="submit">Join</button>
  </form>
  <div id="chat" hidden>
    <p class="who">Chatting as <strong id="who"></strong></p>
    <form id="add-room" novalidate>
      <label for="new-room">Join another room</label>
      <div class="row"><input id="new-room" name="room" autocomplete="off" maxlength="32"><button type="submit">Join room</button></div>
      <p id="add-room-error" class="error" role="alert"></p>
    </form>
    <div id="rooms-view"></div>
  </div>
  <p id="errors" class="error" aria-live="polite"></p>
  <noscript><p>This chat needs JavaScript: it talks to the chat server over a WebSocket.</p></noscript>
</main>
</body>
</html>
`;
// #endregion page
