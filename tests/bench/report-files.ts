// Where a benchmark keeps its figures: a JSON file of results and the Markdown part its session page includes.
// Shared by bench:queue (report.ts) and bench:store (store-report.ts).
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/processes.ts';

export interface ReportFiles<R> {
  results: string; // relative to the repository root, e.g. tests/bench/results/queue.json
  fragment: string; // the page part, e.g. docs/fundamentals/parts/queue-bench.md
  render: (report: R) => string; // the page part's Markdown for a report
}

/** Writes both files; returns their paths relative to the repository root. */
export function writeReportFiles<R>(files: ReportFiles<R>, report: R): string[] {
  for (const [file, text] of [
    [files.results, JSON.stringify(report, null, 2) + '\n'],
    [files.fragment, files.render(report)],
  ] as const) {
    const full = path.join(REPO_ROOT, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return [files.results, files.fragment];
}

/** The saved JSON of the last run, or null when there is none yet. */
export function readSavedReport<R>(files: ReportFiles<R>): R | null {
  const full = path.join(REPO_ROOT, files.results);
  return fs.existsSync(full) ? (JSON.parse(fs.readFileSync(full, 'utf8')) as R) : null;
}

/** Regenerates the page part from the saved JSON (after a change to its rendering; no measuring). */
export function renderSavedReportFiles<R>(files: ReportFiles<R>): string {
  const report = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, files.results), 'utf8')) as R;
  fs.writeFileSync(path.join(REPO_ROOT, files.fragment), files.render(report));
  return files.fragment;
}
