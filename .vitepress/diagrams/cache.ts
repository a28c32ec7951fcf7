// The cache of drawn diagrams: docs/public/diagrams/<hash>-light.svg and <hash>-dark.svg, committed to git.
// VitePress copies docs/public to the site as it is, so the pictures are served as /diagrams/<hash>-light.svg.
//
// WHY a content hash: the file name says exactly which source (and which Mermaid settings) a picture was drawn
// from. A changed diagram gets a new name, so a stale picture can never be shown for it; the page falls back
// to drawing it in the browser until `npm run diagrams` has drawn it (see mermaid-fence.ts).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mermaidTheme, THEMES, type DiagramTheme } from './describe.ts';

export const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../docs/public/diagrams/', import.meta.url));
/** Where the cached pictures are served from on the site. */
export const PUBLIC_PATH = '/diagrams/';

/**
 * Bump when the way a picture is made changes without the source or the Mermaid settings changing (e.g. the
 * post-processing in render.ts): every diagram then gets a new hash and is drawn again.
 */
const DRAWING_VERSION = 'mermaid-isomorphic-3/img-1';

/** 16 hex digits of sha256 over the exact source, the Mermaid settings of both themes and DRAWING_VERSION. */
export function diagramHash(source: string): string {
  const settings = JSON.stringify(THEMES.map((t) => mermaidTheme(t)));
  return createHash('sha256').update(`${DRAWING_VERSION}\n${settings}\n${source}`).digest('hex').slice(0, 16);
}

export function svgFileName(hash: string, theme: DiagramTheme): string {
  return `${hash}-${theme}.svg`;
}

/** The names render.ts writes, and the only files in the cache folder it ever deletes. */
export const CACHE_FILE = /^([0-9a-f]{16})-(light|dark)\.svg$/;

/** The natural size of an SVG: its root's width and height attributes, else its viewBox. */
export function svgSize(svg: string): { width: number; height: number } | undefined {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  if (!root) return undefined;
  const attr = (name: string): number => Number.parseFloat(new RegExp(`\\s${name}="([^"]*)"`).exec(root)?.[1] ?? '');
  let width = attr('width');
  let height = attr('height');
  if (!(width > 0 && height > 0)) {
    const box = /\sviewBox="([^"]*)"/.exec(root)?.[1]?.trim().split(/[\s,]+/).map(Number);
    width = box?.[2] ?? NaN;
    height = box?.[3] ?? NaN;
  }
  return width > 0 && height > 0 ? { width: Math.round(width), height: Math.round(height) } : undefined;
}

export interface CachedDiagram {
  hash: string;
  /** Natural size of the light picture (the dark one is drawn from the same source, same layout). */
  width: number;
  height: number;
}

/** The cached pictures of a diagram, if BOTH themes are there and readable; undefined otherwise. */
export function findCached(source: string, dir: string = DEFAULT_CACHE_DIR): CachedDiagram | undefined {
  const hash = diagramHash(source);
  const files = THEMES.map((t) => join(dir, svgFileName(hash, t)));
  if (!files.every((f) => existsSync(f))) return undefined;
  const size = svgSize(readFileSync(files[0] ?? '', 'utf8'));
  return size ? { hash, ...size } : undefined;
}
