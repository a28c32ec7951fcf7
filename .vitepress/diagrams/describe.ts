// What a diagram is called and what it shows, in words, read from its Mermaid source; and the Mermaid settings
// of each colour theme. Pure (no node: imports): the build (mermaid-fence.ts, render.ts) and the browser
// fallback (theme/components/Mermaid.vue) use the same names and the same colours.

/** The two pictures of every diagram: one for VitePress's light mode, one for its dark mode. */
export const THEMES = ['light', 'dark'] as const;
export type DiagramTheme = (typeof THEMES)[number];

/** Mermaid's settings for one theme (passed to mermaid.initialize, in the browser or at build time). */
export function mermaidTheme(theme: DiagramTheme): {
  theme: 'default' | 'dark';
  fontFamily: string;
  themeVariables: Record<string, string>;
} {
  return {
    theme: theme === 'dark' ? 'dark' : 'default',
    // Arial: the build measures label widths with Liberation Sans, which has Arial's metrics, so the labels
    // still fit their boxes where the picture is shown with real Arial (Windows, macOS, iOS).
    fontFamily: 'arial, sans-serif',
    // Mermaid's dark theme puts edge labels (#ccc) on #585858: 4.4:1, under WCAG AA. A darker label
    // background fixes it (tests/site/mermaid.test.ts runs axe over the drawn labels).
    themeVariables: theme === 'dark' ? { edgeLabelBackground: '#2f2f35' } : {},
  };
}

const KINDS: Record<string, string> = {
  flowchart: 'Flowchart',
  graph: 'Flowchart',
  sequenceDiagram: 'Sequence diagram',
  stateDiagram: 'State diagram',
  'stateDiagram-v2': 'State diagram',
  classDiagram: 'Class diagram',
  erDiagram: 'Entity-relationship diagram',
  gantt: 'Gantt chart',
  timeline: 'Timeline',
  pie: 'Pie chart',
  mindmap: 'Mind map',
  journey: 'User journey',
  gitGraph: 'Git graph',
};

/** The source's lines, trimmed and non-empty, and its front matter's title, if any. */
function split(source: string): { lines: string[]; frontTitle?: string } {
  let lines = source.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let frontTitle: string | undefined;
  if (lines[0] === '---') {
    const end = lines.indexOf('---', 1);
    const front = end > 0 ? lines.slice(1, end) : [];
    frontTitle = front.map((l) => /^title:\s*(.+)$/.exec(l)?.[1]).find((t) => t !== undefined);
    lines = end > 0 ? lines.slice(end + 1) : lines;
  }
  return { lines, frontTitle };
}

function firstMatch(lines: string[], re: RegExp): string | undefined {
  return lines.map((l) => re.exec(l)?.[1]).find((t) => t !== undefined);
}

/**
 * An accessible name for a diagram: its kind ("Sequence diagram") and, when it has one, its title
 * (front-matter `title:`, else `accTitle:`, else a `%%` comment line). Authors: give diagrams a title.
 */
export function diagramLabel(source: string): string {
  const { lines, frontTitle } = split(source);
  const title = frontTitle ?? firstMatch(lines, /^accTitle\s*:\s*(.+)$/) ?? firstMatch(lines, /^%%(?!\{)\s*(.+)$/);
  const first = lines.find((l) => !l.startsWith('%%')) ?? '';
  const kind = KINDS[first.split(/\s+/)[0] ?? ''] ?? 'Diagram';
  return title ? `${kind}: ${title.replace(/^["']|["']$/g, '').trim()}` : kind;
}

/**
 * What the diagram shows, in words: its `accDescr: ...` line or `accDescr { ... }` block; undefined if it has
 * none. Authors: give every diagram one; a reader who cannot see the picture gets this sentence.
 */
export function diagramDescription(source: string): string | undefined {
  const block = /^\s*accDescr\s*\{([\s\S]*?)\}/m.exec(source)?.[1];
  const text = block ?? firstMatch(split(source).lines, /^accDescr\s*:\s*(.+)$/);
  const words = text?.replace(/\s+/g, ' ').trim();
  return words ? words : undefined;
}

/**
 * A diagram shrinks to fit the column, but never below this share of its natural size (about 10px text):
 * past that it keeps its size and its box scrolls sideways. On a phone a wide sequence diagram would
 * otherwise shrink to an unreadable thumbnail.
 */
export const MIN_SCALE = 0.65;

/** The narrowest text column the site is laid out for: a 375px phone minus VitePress's 24px side padding. */
export const PHONE_COLUMN = 327;
