// Every ```mermaid fence under docs/, read with VitePress's own Markdown parser.
//
// WHY VitePress's parser and not a regex: the cache is keyed by a hash of the fence's exact content as the
// page build sees it (markdown-it strips a list item's indentation, ends the content with "\n", knows front
// matter and ::: containers). Parsing the same way here gives the same bytes, so the same hash.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMarkdownRenderer } from 'vitepress';

export const DEFAULT_DOCS_DIR = fileURLToPath(new URL('../../docs/', import.meta.url));

export interface FoundDiagram {
  /** Path relative to the docs folder's parent (the repo root), with forward slashes, for messages. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's content exactly as the page build passes it to mermaid-fence.ts. */
  source: string;
}

/** Every .md file under dir, sorted; skips dot-folders, node_modules and docs/public (copied as is). */
function markdownFiles(docsDir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules' || (d === docsDir && name === 'public')) continue;
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.md')) out.push(full);
    }
  };
  walk(docsDir);
  return out;
}

/**
 * The diagrams of every Markdown file under docsDir (all of them, also pages left out of the site by
 * srcExclude: a page may @include one). Files in order, diagrams in page order.
 */
export async function findDiagrams(docsDir: string = DEFAULT_DOCS_DIR): Promise<FoundDiagram[]> {
  const md = await createMarkdownRenderer(docsDir);
  const root = join(docsDir, '..');
  return markdownFiles(docsDir).flatMap((path) => {
    const relativePath = relative(docsDir, path).split(sep).join('/');
    const tokens = md.parse(readFileSync(path, 'utf8'), { path, relativePath, cleanUrls: true });
    return tokens
      .filter((t) => t.type === 'fence' && t.info.trim().split(/\s+/)[0] === 'mermaid')
      .map((t) => ({ file: relative(root, path).split(sep).join('/'), line: (t.map?.[0] ?? 0) + 1, source: t.content }));
  });
}
