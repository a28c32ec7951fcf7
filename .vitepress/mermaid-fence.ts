// Turns ```mermaid fences into <Mermaid code="..."/> so diagrams render in the browser, lazily.
//
// WHY encodeURIComponent: the page is compiled as a Vue template. Raw diagram text may contain `{{ }}`
// (Vue interpolation), quotes and `<`/`>` that would break the template or be mangled. Percent-encoding
// leaves only [A-Za-z0-9-_.!~*'()%] — none of which mean anything inside a double-quoted attribute.
// The component decodes it with decodeURIComponent. (We avoid vitepress-plugin-mermaid: it loads
// mermaid on every page; see Mermaid.vue.)
import type { MarkdownRenderer } from 'vitepress';

export function encodeDiagram(source: string): string {
  return encodeURIComponent(source);
}

export function mermaidFence(md: MarkdownRenderer): void {
  const fallback = md.renderer.rules.fence;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    const lang = token?.info.trim().split(/\s+/)[0];
    if (token && lang === 'mermaid') {
      return `<Mermaid code="${encodeDiagram(token.content)}" />\n`;
    }
    return fallback ? fallback(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options);
  };
}
