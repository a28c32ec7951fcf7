// Page-wide helpers for components/Mermaid.vue. They live in a module (not in the component) so that every
// diagram on a page shares ONE queue and ONE id counter.

type MermaidApi = (typeof import('mermaid'))['default'];

let api: Promise<MermaidApi> | undefined;
/** Load mermaid once, on first use (a dynamic import: pages without diagrams never fetch it). */
export function loadMermaid(): Promise<MermaidApi> {
  api ??= import('mermaid').then((m) => m.default);
  return api;
}

let queue: Promise<unknown> = Promise.resolve();
/**
 * Run jobs one after another. mermaid.initialize sets GLOBAL config (the theme), so each diagram's
 * initialize+render pair must not interleave with another's.
 */
export function serialized<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job, job);
  queue = run.catch(() => undefined);
  return run;
}

let counter = 0;
const prefix = `mermaid-${Math.random().toString(36).slice(2, 8)}`;
/** A fresh element id for mermaid.render (it adds a temporary element with that id to the document). */
export function nextId(): string {
  counter += 1;
  return `${prefix}-${counter}`;
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

/**
 * An accessible name for a diagram: its kind ("Sequence diagram") and, when it has one, its title
 * (front-matter `title:`, else `accTitle:`, else a `%%` comment line). Authors: give diagrams a title.
 */
export function diagramLabel(source: string): string {
  let lines = source.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let title: string | undefined;
  if (lines[0] === '---') {
    const end = lines.indexOf('---', 1);
    const front = end > 0 ? lines.slice(1, end) : [];
    title = front.map((l) => /^title:\s*(.+)$/.exec(l)?.[1]).find((t) => t !== undefined);
    lines = end > 0 ? lines.slice(end + 1) : lines;
  }
  const find = (re: RegExp): string | undefined => lines.map((l) => re.exec(l)?.[1]).find((t) => t !== undefined);
  title ??= find(/^accTitle\s*:\s*(.+)$/) ?? find(/^%%(?!\{)\s*(.+)$/);
  const first = lines.find((l) => !l.startsWith('%%')) ?? '';
  const kind = KINDS[first.split(/\s+/)[0] ?? ''] ?? 'Diagram';
  return title ? `${kind}: ${title.replace(/^["']|["']$/g, '').trim()}` : kind;
}
