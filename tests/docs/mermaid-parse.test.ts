// Every ```mermaid block on every page parses. Mermaid's parser runs in Node; only its text sanitiser
// (DOMPurify) needs a browser, and parsing does not need sanitising, so it is stubbed out HERE ONLY.
// Drawing is checked in a real browser by tests/site/mermaid.test.ts.
import { readFileSync } from 'node:fs';
import DOMPurify from 'dompurify';
import { beforeAll, describe, expect, test } from 'vitest';
import { listPages, rel, scanMarkdown } from './markdown.ts';

type Mermaid = (typeof import('mermaid'))['default'];
let mermaid: Mermaid;

beforeAll(async () => {
  const purify = DOMPurify as unknown as Record<string, unknown>;
  if (typeof purify.addHook !== 'function') {
    // Without a DOM, dompurify exports an object without its methods.
    purify.addHook = () => undefined;
    purify.removeHook = () => undefined;
    purify.removeHooks = () => undefined;
    purify.sanitize = (s: unknown) => String(s);
  }
  mermaid = (await import('mermaid')).default;
});

async function parseProblem(source: string): Promise<string | undefined> {
  try {
    await mermaid.parse(source);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const diagrams = listPages().flatMap((page) =>
  scanMarkdown(readFileSync(page, 'utf8')).fences.filter((f) => f.lang === 'mermaid').map((f) => ({ page, line: f.line, source: f.content })),
);

test(`every Mermaid diagram on the pages parses (found ${diagrams.length})`, async () => {
  expect(diagrams.length, 'the course pages have no Mermaid diagrams at all').toBeGreaterThan(0);
  const problems: string[] = [];
  for (const d of diagrams) {
    const problem = await parseProblem(d.source);
    if (problem) problems.push(`${rel(d.page)}:${d.line}: ${problem}`);
  }
  expect(problems, problems.join('\n\n')).toEqual([]);
});

describe('the parser check itself', () => {
  test('accepts good diagrams of several kinds and rejects broken ones', async () => {
    expect(await parseProblem('flowchart LR\n  A["{{ x }}"] -->|"say \'hi\'"| B')).toBeUndefined();
    expect(await parseProblem('sequenceDiagram\n  A->>B: POST /jobs {"x": 1}')).toBeUndefined();
    expect(await parseProblem('stateDiagram-v2\n  [*] --> pending\n  pending --> leased: lease')).toBeUndefined();
    expect(await parseProblem('flowchart LR\n  A -->')).toMatch(/Parse error/);
    expect(await parseProblem('sequenceDiagram\n  A->>')).toBeDefined();
    expect(await parseProblem('not a diagram')).toMatch(/No diagram type detected/);
  });
});
