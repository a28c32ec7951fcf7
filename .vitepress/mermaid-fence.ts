// Turns each ```mermaid fence into a picture drawn at build time, or, when it has none yet, into
// <Mermaid code="..."/>, which draws it in the browser.
//
// Drawn at build time (the usual case): `npm run diagrams` (.vitepress/diagrams/) keeps two SVG files per
// diagram in docs/public/diagrams/, named by a hash of the source. The page gets a <figure> with both as
// <img>, light and dark, and custom.css shows the one that matches the page's mode. No JavaScript: the page
// loads no Mermaid, and the diagram shows even with JavaScript off.
//
// WHY <img> and not the SVG inline: VitePress compiles each page's HTML into that page's JavaScript chunk (to
// hydrate it), so two inline SVGs of ~20-30 KB each would be JavaScript too. As <img> they are plain files the
// browser fetches when they scroll into view, and only the one for the current mode.
//
// Not drawn yet (a diagram being edited under `npm run docs`, or a machine without Chromium): the lazy
// <Mermaid> component, as before. WHY encodeURIComponent there: the page is compiled as a Vue template. Raw
// diagram text may contain `{{ }}` (Vue interpolation), quotes and `<`/`>` that would break the template or be
// mangled. Percent-encoding leaves only [A-Za-z0-9-_.!~*'()%] — none of which mean anything inside a
// double-quoted attribute. The component decodes it with decodeURIComponent.
import type { MarkdownRenderer } from 'vitepress';
import { DEFAULT_CACHE_DIR, findCached, PUBLIC_PATH, svgFileName, type CachedDiagram } from './diagrams/cache.ts';
import { diagramDescription, diagramLabel, MIN_SCALE, PHONE_COLUMN, THEMES } from './diagrams/describe.ts';

export function encodeDiagram(source: string): string {
  return encodeURIComponent(source);
}

export interface FenceOptions {
  /** Where the drawn pictures are; docs/public/diagrams by default (tests point it elsewhere). */
  cacheDir?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The static HTML of a drawn diagram. `v-pre`: Vue copies it as it is, so `{{ }}` in a label or the source
 * stays text. `id` must be unique on the page (it ties the pictures to their description).
 */
export function staticDiagram(source: string, cached: CachedDiagram, id: string): string {
  const label = escapeHtml(diagramLabel(source));
  const description = diagramDescription(source);
  const minWidth = Math.round(cached.width * MIN_SCALE);
  // A box that can scroll must be reachable by keyboard to scroll it (WCAG 2.1.1). Without JavaScript we
  // cannot know whether it scrolls, so: focusable when it would scroll on a phone. Focused, a screen reader
  // reads the picture's name. (No role or aria-label on it: Vue then keeps the figure a static string, which
  // VitePress leaves out of the page's JavaScript; `role` is not on Vue's list of attributes it may do that with.)
  const scrolls = minWidth > PHONE_COLUMN ? ' tabindex="0"' : '';
  const described = description ? ` aria-describedby="${id}"` : '';
  const img = (theme: (typeof THEMES)[number]): string =>
    `<img class="mermaid-img mermaid-${theme}" src="${PUBLIC_PATH}${svgFileName(cached.hash, theme)}" alt="${label}"${described}` +
    ` width="${cached.width}" height="${cached.height}" style="min-width:${minWidth}px" loading="lazy" decoding="async">`;
  return [
    `<figure v-pre class="mermaid-diagram" data-diagram-hash="${cached.hash}">`,
    // On a phone a wide diagram is cut at the screen's edge with nothing to say there is more: say so. (CSS
    // shows the hint only on narrow screens; it is visual guidance, so screen readers skip it.)
    scrolls ? '<p class="mermaid-scroll-hint" aria-hidden="true">Wide diagram: swipe sideways to see all of it →</p>' : '',
    `<div class="mermaid-scroll"${scrolls}>${THEMES.map(img).join('')}</div>`,
    // The description twice: hidden, for the pictures' aria-describedby (Chromium computes no description
    // from the content of a closed <details>), and visible to everyone in "Diagram as text".
    description ? `<span id="${id}" hidden>${escapeHtml(description)}</span>` : '',
    '<details class="mermaid-text"><summary>Diagram as text</summary>',
    description ? `<p>${escapeHtml(description)}</p>` : '',
    `<p class="mermaid-source-label">Mermaid source:</p><pre class="mermaid-source"><code>${escapeHtml(source.replace(/\n$/, ''))}</code></pre>`,
    '</details></figure>\n',
  ].join('');
}

export function mermaidFence(md: MarkdownRenderer, options: FenceOptions = {}): void {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const fallback = md.renderer.rules.fence;
  md.renderer.rules.fence = (tokens, idx, opts, env, self) => {
    const token = tokens[idx];
    const lang = token?.info.trim().split(/\s+/)[0];
    if (token && lang === 'mermaid') {
      const cached = findCached(token.content, cacheDir);
      if (cached) return staticDiagram(token.content, cached, `diagram-${cached.hash.slice(0, 8)}-${idx}`);
      return `<Mermaid code="${encodeDiagram(token.content)}" />\n`;
    }
    return fallback ? fallback(tokens, idx, opts, env, self) : self.renderToken(tokens, idx, opts);
  };
}
