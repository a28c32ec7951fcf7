// The hand-kept sidebar and nav match the pages: no link to a missing page, no page left out.
// (VitePress checks links in Markdown, but NOT sidebar, nav or home-page hero links.)
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { DefaultTheme } from 'vitepress';
import { nav, sidebar } from '../../.vitepress/site-map.ts';
import { docsDir, listPages } from './markdown.ts';

/** All links in a sidebar, depth first. */
export function sidebarLinks(items: DefaultTheme.SidebarItem[]): string[] {
  return items.flatMap((i) => [...(i.link ? [i.link] : []), ...sidebarLinks(i.items ?? [])]);
}

function sidebarEntries(items: DefaultTheme.SidebarItem[]): { text: string; link: string }[] {
  return items.flatMap((i) => [...(i.link ? [{ text: i.text ?? '', link: i.link }] : []), ...sidebarEntries(i.items ?? [])]);
}

/**
 * A session's sidebar label "Session N · X" must agree with the page's H1 "Session N — X…": same number,
 * and X is the page title or its start (the sidebar may shorten "What is a distributed system? Message passing").
 */
export function labelProblem(label: string, page: string): string | undefined {
  const side = /^Session (\d+) · (.+)$/.exec(label);
  if (!side) return undefined; // not a session entry
  const h1 = /^# +(.+?)\s*$/m.exec(page.replace(/^---\n[\s\S]*?\n---\n/, ''))?.[1] ?? '';
  const own = /^Session (\d+) — (.+)$/.exec(h1);
  if (!own) return `the page's H1 "${h1}" is not "Session N — title"`;
  if (own[1] !== side[1] || !(own[2] ?? '').startsWith(side[2] ?? '')) return `sidebar says "${label}" but the page is "${h1}"`;
  return undefined;
}

function navLinks(items: DefaultTheme.NavItem[]): string[] {
  return items.flatMap((i) => ('link' in i && i.link ? [i.link] : 'items' in i ? navLinks(i.items as DefaultTheme.NavItem[]) : []));
}

/** '/fundamentals/01-what-is-ds' -> docs/fundamentals/01-what-is-ds.md; '/' or '/x/' -> index.md. */
export function pageFileFor(link: string): string {
  const path = link.split('#')[0]?.split('?')[0] ?? '';
  const clean = path.replace(/^\//, '').replace(/\.(html|md)$/, '');
  return join(docsDir, clean === '' || clean.endsWith('/') ? `${clean}index.md` : `${clean}.md`);
}

const isInternal = (link: string): boolean => link.startsWith('/');
const pageLink = (page: string): string => '/' + relative(docsDir, page).split(sep).join('/').replace(/\.md$/, '');

describe('sidebar', () => {
  const links = sidebarLinks(sidebar);

  test('every sidebar link points to an existing page', () => {
    const missing = links.filter((l) => isInternal(l) && !existsSync(pageFileFor(l)));
    expect(missing, `sidebar links with no page in docs/: ${missing.join(', ')}`).toEqual([]);
  });

  test('every page is in the sidebar (index pages excepted)', () => {
    const listed = new Set(links.map((l) => pageFileFor(l)));
    const missing = listPages().filter((p) => !p.endsWith(`${sep}index.md`) && !listed.has(p)).map(pageLink);
    expect(missing, `pages missing from the sidebar (.vitepress/site-map.ts): ${missing.join(', ')}`).toEqual([]);
  });

  test("a session's sidebar label names the page's own title (\"Session 2 · The queue system\")", () => {
    const problems = sidebarEntries(sidebar)
      .filter((e) => isInternal(e.link) && existsSync(pageFileFor(e.link)))
      .map((e) => ({ ...e, problem: labelProblem(e.text, readFileSync(pageFileFor(e.link), 'utf8')) }))
      .filter((e) => e.problem !== undefined)
      .map((e) => `${e.link}: ${e.problem}`);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  test('no page is listed twice', () => {
    expect(links.filter((l, i) => links.indexOf(l) !== i)).toEqual([]);
  });
});

test('every nav link points to an existing page', () => {
  const missing = navLinks(nav).filter((l) => isInternal(l) && !existsSync(pageFileFor(l)));
  expect(missing, `nav links with no page: ${missing.join(', ')}`).toEqual([]);
});

test('the home page hero and feature links point to existing pages', () => {
  const home = join(docsDir, 'index.md');
  expect(existsSync(home), 'docs/index.md is missing').toBe(true);
  const fm = /^---\n([\s\S]*?)\n---/.exec(readFileSync(home, 'utf8').replace(/\r\n/g, '\n'))?.[1] ?? '';
  const data = (parse(fm) ?? {}) as { hero?: { actions?: { link?: string }[] }; features?: { link?: string }[] };
  const links = [...(data.hero?.actions ?? []), ...(data.features ?? [])].map((a) => a.link).filter((l): l is string => !!l);
  const missing = links.filter((l) => isInternal(l) && !existsSync(pageFileFor(l)));
  expect(missing, `docs/index.md front matter links with no page: ${missing.join(', ')}`).toEqual([]);
});

test('the label check rejects a sidebar name the page does not use', () => {
  const page = '---\ntitle: x\n---\n\n# Session 2 — The queue system\n';
  expect(labelProblem('Session 2 · The queue system', page)).toBeUndefined();
  expect(labelProblem('Session 2 · The queue', page)).toBeUndefined();
  expect(labelProblem('Session 2 · A work queue', page)).toMatch(/sidebar says/);
  expect(labelProblem('Session 3 · The queue system', page)).toMatch(/sidebar says/);
  expect(labelProblem('Docker setup', page)).toBeUndefined();
});

test('link-to-file mapping follows cleanUrls', () => {
  expect(pageFileFor('/fundamentals/01-what-is-ds')).toBe(join(docsDir, 'fundamentals', '01-what-is-ds.md'));
  expect(pageFileFor('/')).toBe(join(docsDir, 'index.md'));
  expect(pageFileFor('/reference/')).toBe(join(docsDir, 'reference', 'index.md'));
  expect(pageFileFor('/reference/docker-setup#linux')).toBe(join(docsDir, 'reference', 'docker-setup.md'));
});
