// axe-core on every page: no serious or critical accessibility violations, in light and in dark mode.
// Quiz pages are also checked with answers picked, so the right/wrong colours are checked for contrast too.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { distDir, HAS_QUIZ, listPages, newContext, pagesWhoseHtmlMatches, seriousViolations, settle, startSite, type Appearance, type Site } from './harness.ts';

const pages = existsSync(join(distDir, 'index.html')) ? listPages() : [];
const pagesWithQuiz = pagesWhoseHtmlMatches(HAS_QUIZ);

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

async function check(path: string, appearance: Appearance, answerQuiz: boolean): Promise<void> {
  const context = await newContext(site.browser, { appearance });
  try {
    const page = await context.newPage();
    await page.goto(site.server.url + path);
    await settle(page);
    if (answerQuiz) {
      // Pick every choice of the first question in turn, ending on the last, and the first of the others:
      // both the "right" and "wrong" styles end up on screen.
      const questions = page.locator('.quiz-question');
      const count = await questions.count();
      for (let q = 0; q < count; q++) {
        const choices = questions.nth(q).locator('button.quiz-choice');
        await choices.nth(q % (await choices.count())).click();
      }
    }
    const findings = await seriousViolations(page);
    const where = `${path} (${appearance}${answerQuiz ? ', quiz answered' : ''})`;
    expect(findings, `${where}:\n  ${findings.join('\n  ')}`).toEqual([]);
  } finally {
    await context.close();
  }
}

describe.each(pages)('accessibility of %s', (path) => {
  test('light mode', () => check(path, 'light', false));
  test('dark mode', () => check(path, 'dark', false));
});

describe.each(pagesWithQuiz)('accessibility of %s with quiz answers picked', (path) => {
  test('light mode', () => check(path, 'light', true));
  test('dark mode', () => check(path, 'dark', true));
});
