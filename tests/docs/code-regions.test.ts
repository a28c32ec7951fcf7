// Every `<<<` code import on every page points at a real file and a real region, with a blank line before it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { docsDir, listPages, rel } from './markdown.ts';
import { checkPageImports, codeImports, findRegion, regionMarkerProblems } from './regions.ts';

describe('code imports on the course pages', () => {
  const pages = listPages();

  test('the docs folder has pages', () => {
    expect(pages.length).toBeGreaterThan(0);
  });

  test('every <<< import names an existing file and region, with a blank line before it', () => {
    const problems = pages.flatMap((page) =>
      checkPageImports(readFileSync(page, 'utf8'), page, docsDir).map((p) => `${rel(page)} ${p}`),
    );
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

// The checks above pass on good pages; these prove they FAIL on bad ones (a checker that never fails is no check).
describe('the import checker itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'code-regions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const code = join(dir, 'code.ts');
  writeFileSync(
    code,
    ['// #region outer', 'const a = 1;', '// #region inner', 'const b = 2;', '// #endregion inner', '// #endregion outer', 'export { a, b };'].join('\n'),
  );
  const page = join(dir, 'page.md');
  const check = (md: string): string[] => checkPageImports(md, page, dir);

  test('accepts an existing region, relative or from @ (the docs folder)', () => {
    expect(check('Text.\n\n<<< ./code.ts#inner\n')).toEqual([]);
    expect(check('# T\n\n<<< @/code.ts#outer{2} [code.ts]\n')).toEqual([]);
    expect(codeImports('\n<<< @/code.ts#inner\n', page, dir).imports[0]).toMatchObject({ file: code, region: 'inner' });
  });

  test('rejects a missing region, a missing file, and a missing blank line', () => {
    expect(check('\n<<< ./code.ts#nope\n').join()).toMatch(/no region "nope"/);
    expect(check('\n<<< ./missing.ts#inner\n').join()).toMatch(/file not found/);
    expect(check('Some text\n<<< ./code.ts#inner\n').join()).toMatch(/needs a blank line/);
  });

  test('ignores <<< inside code blocks', () => {
    expect(check('```md\n<<< ./missing.ts#x\n```\n')).toEqual([]);
  });

  test('finds regions the way VitePress does (the end marker must repeat the name)', () => {
    expect(findRegion(['// #region a', 'x', '// #endregion a'], 'a')).toEqual({ start: 1, end: 2 });
    expect(findRegion(['// #region a', 'x', '// #endregion'], 'a')).toBeNull();
    expect(findRegion(['// #region ab', 'x', '// #endregion ab'], 'a')).toBeNull();
  });

  test('reports unbalanced region markers in an imported file', () => {
    expect(regionMarkerProblems('// #region a\n// #endregion a\n')).toEqual([]);
    expect(regionMarkerProblems('// #region a\nx\n').join()).toMatch(/never closed/);
    expect(regionMarkerProblems('x\n// #endregion a\n').join()).toMatch(/closes no open region/);
    expect(regionMarkerProblems('// #region a\n// #region b\n// #endregion a\n// #endregion b\n').join()).toMatch(/innermost open region is "b"/);
    expect(regionMarkerProblems('// #region a\n// #endregion\n').join()).toMatch(/no region name/);
    expect(regionMarkerProblems('// #region a\n// #endregion a\n// #region a\n// #endregion a\n').join()).toMatch(/already defined/);
    const broken = join(dir, 'broken.ts');
    writeFileSync(broken, '// #region ok\n// #endregion ok\n// #region open\n');
    expect(check('\n<<< ./broken.ts#ok\n').join()).toMatch(/unbalanced region markers.*never closed/);
  });
});
