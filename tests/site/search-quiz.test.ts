// Local search finds Session 2, and quizzes answer back with an explanation. A quiz shows its choices in
// the seeded order of choiceOrder, the same in the server-rendered HTML and after hydration.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { choiceOrder } from '../../.vitepress/theme/quiz-order.ts';
import type { QuizQuestion } from '../../.vitepress/theme/quiz-types.ts';
import { distDir, HAS_QUIZ, newContext, pagesWhoseHtmlMatches, repoRoot, report, settle, startSite, watchProblems, type Site } from './harness.ts';

const SESSION_2 = '/fundamentals/02-queue-system';

const pagesWithQuiz = pagesWhoseHtmlMatches(HAS_QUIZ);

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

describe('local search', () => {
  test.each(['visibility timeout', 'dead-letter'])('finds "%s" on the Session 2 page and goes there', async (term) => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      const errors = watchProblems(page);
      await page.goto(site.server.url + '/');
      await settle(page);
      await page.locator('.VPNavBarSearch button').first().click();
      const input = page.locator('#localsearch-input');
      await input.waitFor({ state: 'visible', timeout: 30_000 });
      await input.fill(term);
      const results = page.locator('.VPLocalSearchBox a.result');
      await results.first().waitFor({ timeout: 30_000 });
      const hrefs = await results.evaluateAll((els) => els.map((el) => el.getAttribute('href') ?? ''));
      const hit = hrefs.findIndex((h) => h.startsWith(SESSION_2));
      expect(hit, `search for "${term}" returned ${JSON.stringify(hrefs)}, none on ${SESSION_2}`).toBeGreaterThanOrEqual(0);

      await results.nth(hit).click();
      await page.waitForURL((url) => url.pathname === SESSION_2, { timeout: 30_000 });
      await settle(page);
      expect(errors, report({ [`search "${term}"`]: errors })).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

test('the site has at least one quiz', () => {
  expect(pagesWithQuiz.length, 'no built page contains a <Quiz>').toBeGreaterThan(0);
});

/** The choice texts a page's quiz should show, in order: its quiz file's questions through choiceOrder. */
async function expectedChoices(path: string): Promise<string[]> {
  const file = join(repoRoot, 'docs', `${path.replace(/\/$/, '/index').slice(1)}.quiz.ts`);
  const { questions } = (await import(pathToFileURL(file).href)) as { questions: QuizQuestion[] };
  return questions.flatMap((q) => choiceOrder(q).map((i) => q.choices[i]!.text));
}

/** The choice texts in a built page's HTML, as the server rendered them (before any script runs). */
function serverRenderedChoices(path: string): string[] {
  const html = readFileSync(join(distDir, `${path.replace(/\/$/, '/index').slice(1)}.html`), 'utf8');
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };
  return [...html.matchAll(/<span[^>]*class="quiz-choice-text"[^>]*>([\s\S]*?)<\/span>/g)].map((m) =>
    m[1]!.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (e) => entities[e]!),
  );
}

describe.each(pagesWithQuiz)('quiz on %s', (path) => {
  test('choices come in the seeded order, the same in the server HTML and after hydration (no mismatch)', async () => {
    const expected = await expectedChoices(path);
    expect(serverRenderedChoices(path), `${path}: server-rendered choices`).toEqual(expected);
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      const errors = watchProblems(page);
      const logged: string[] = []; // Vue reports a hydration mismatch on the console, in production as an error
      page.on('console', (msg) => logged.push(msg.text()));
      await page.goto(site.server.url + path);
      await settle(page);
      // Hydrated: clicking a choice now shows feedback, which only the client-side component can do.
      const first = page.locator('.quiz .quiz-question').first();
      await first.locator('button.quiz-choice').first().click();
      await first.locator('.quiz-feedback').waitFor({ state: 'visible', timeout: 10_000 });
      const shown = await page.locator('.quiz .quiz-choice-text').allInnerTexts();
      expect(shown.map((t) => t.trim()), `${path}: choices after hydration`).toEqual(expected);
      expect(logged.filter((t) => /hydration/i.test(t)), `${path}: hydration messages`).toEqual([]);
      expect(errors, report({ [path]: errors })).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('picking an answer shows its explanation; exactly one answer per question is right', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      const errors = watchProblems(page);
      await page.goto(site.server.url + path);
      await settle(page);
      const quiz = page.locator('.quiz').first();
      const question = quiz.locator('.quiz-question').first();
      const choices = question.locator('button.quiz-choice');
      const feedback = question.locator('.quiz-feedback');
      const n = await choices.count();
      expect(n, `${path}: first question has ${n} choices`).toBeGreaterThanOrEqual(2);
      await expect.poll(() => feedback.count()).toBe(0);

      const verdicts: string[] = [];
      for (let i = 0; i < n; i++) {
        // Mouse for the first choice, keyboard (focus + Enter) for the others: both must work.
        if (i === 0) await choices.nth(i).click();
        else {
          await choices.nth(i).focus();
          await page.keyboard.press('Enter');
        }
        await feedback.waitFor({ state: 'visible', timeout: 10_000 });
        const text = (await feedback.innerText()).trim();
        expect(await choices.nth(i).getAttribute('aria-pressed')).toBe('true');
        expect(text, `${path}: choice ${i + 1} shows no explanation`).toMatch(/^(Correct\.|Not quite\.)\s+\S/);
        verdicts.push(text.startsWith('Correct.') ? 'right' : 'wrong');
      }
      expect(verdicts.filter((v) => v === 'right'), `${path}: first question verdicts ${verdicts.join(', ')}`).toHaveLength(1);

      // Pick the right one again: the score line counts it.
      await choices.nth(verdicts.indexOf('right')).click();
      await expect.poll(() => quiz.locator('.quiz-score').innerText()).toMatch(/Score: 1 of \d+ correct \(1 answered\)/);
      expect(errors, report({ [path]: errors })).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
