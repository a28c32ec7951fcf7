// Guards on the site config that other checks rely on, and on the ```mermaid fence override.
import { describe, expect, test } from 'vitest';
import { compileTemplate } from 'vue/compiler-sfc';
import { createMarkdownRenderer } from 'vitepress';
import config from '../../.vitepress/config.ts';
import { mermaidFence } from '../../.vitepress/mermaid-fence.ts';
import { diagramLabel } from '../../.vitepress/theme/mermaid-runner.ts';
import { docsDir } from './markdown.ts';

test('dead links fail the build, pages come from docs/, URLs are clean, search is local', () => {
  expect(config.ignoreDeadLinks).toBe(false);
  expect(config.srcDir).toBe('docs');
  expect(config.cleanUrls).toBe(true);
  expect(config.themeConfig?.search?.provider).toBe('local');
});

describe('```mermaid fences', () => {
  const tricky = [
    'flowchart LR',
    '  A["Producer {{ job.id }}"] -->|"say \'hi\' & <b>go</b>"| B[(Broker)]',
    '  B --> C{{"hexagon"}}',
    '  %% a comment with `backticks` and </script>',
  ].join('\n');

  test('become <Mermaid code="..."> with the source intact and nothing Vue or HTML would interpret', async () => {
    const md = await createMarkdownRenderer(docsDir, { config: mermaidFence });
    const html = md.render(`# Page\n\n\`\`\`mermaid\n${tricky}\n\`\`\`\n\n\`\`\`ts\nconst a = 1;\n\`\`\`\n`);
    const m = /<Mermaid code="([^"]*)" \/>/.exec(html);
    expect(m, html).not.toBeNull();
    const encoded = m?.[1] ?? '';
    expect(encoded).toMatch(/^[\w.!~*'()%-]*$/);
    expect(decodeURIComponent(encoded)).toBe(`${tricky}\n`);
    // Other code blocks are still highlighted the normal way.
    expect(html).toMatch(/class="language-ts/);

    // The page is compiled as a Vue template: it must compile without errors.
    const compiled = compileTemplate({ source: `<div>${html}</div>`, filename: 'page.md', id: 'test' });
    expect(compiled.errors).toEqual([]);
  });
});

describe('diagram accessible names', () => {
  test('use the kind of diagram and its title when it has one', () => {
    expect(diagramLabel('---\ntitle: Producer to worker\n---\nflowchart LR\n  A --> B')).toBe('Flowchart: Producer to worker');
    expect(diagramLabel('sequenceDiagram\n  accTitle: Lease then ack\n  A->>B: x')).toBe('Sequence diagram: Lease then ack');
    expect(diagramLabel('%% Job states\nstateDiagram-v2\n  [*] --> A')).toBe('State diagram: Job states');
    expect(diagramLabel('flowchart TD\n  A --> B')).toBe('Flowchart');
    expect(diagramLabel('%%{init: {"theme": "dark"}}%%\nsomethingNew\n  x')).toBe('Diagram');
  });
});
