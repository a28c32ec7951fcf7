// Page-wide helpers for components/Mermaid.vue, the fallback that draws a diagram in the browser when it has
// no picture drawn at build time (see ../mermaid-fence.ts). They live in a module (not in the component) so that every
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

// The accessible name is shared with the build-time pictures (../mermaid-fence.ts).
export { diagramDescription, diagramLabel } from '../diagrams/describe.ts';
