// The static server the browser tests use must map URLs the way a cleanUrls host does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { resolveFile, serveStatic } from './serve.ts';

const root = mkdtempSync(join(tmpdir(), 'serve-test-'));
mkdirSync(join(root, 'part'));
writeFileSync(join(root, 'index.html'), 'home');
writeFileSync(join(root, '404.html'), 'not found page');
writeFileSync(join(root, 'part', 'page.html'), 'page');
writeFileSync(join(root, 'app.js'), 'console.log(1)');
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('maps clean URLs to .html files and refuses paths outside the root', async () => {
  expect(await resolveFile(root, '/')).toBe(join(root, 'index.html'));
  expect(await resolveFile(root, '/part/page')).toBe(join(root, 'part', 'page.html'));
  expect(await resolveFile(root, '/part/page.html?x=1#y')).toBe(join(root, 'part', 'page.html'));
  expect(await resolveFile(root, '/missing')).toBeUndefined();
  expect(await resolveFile(root, '/../../etc/passwd')).toBeUndefined();
  expect(await resolveFile(root, '/%2e%2e/%2e%2e/etc/passwd')).toBeUndefined();
});

test('serves files with their type, and 404.html with status 404', async () => {
  const server = await serveStatic(root);
  try {
    const page = await fetch(`${server.url}/part/page`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toBe('page');
    const js = await fetch(`${server.url}/app.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('not found page');
  } finally {
    await server.close();
  }
});
