// `npm run diagrams`: draw every ```mermaid diagram under docs/ that has no cached picture yet, in light and
// dark, into docs/public/diagrams/ (commit those files), and delete the pictures no diagram uses any more.
//
// Without Chromium it says which diagrams it could not draw and exits 0: the site still builds, and those
// diagrams are drawn in the reader's browser instead. A diagram Mermaid cannot draw exits 1.
// CHROMIUM_PATH overrides /usr/bin/chromium (as in tests/site/harness.ts).
import { DEFAULT_CACHE_DIR } from './cache.ts';
import { DEFAULT_DOCS_DIR, findDiagrams } from './find.ts';
import { updateCache } from './update-cache.ts';

const result = await updateCache({
  diagrams: await findDiagrams(DEFAULT_DOCS_DIR),
  cacheDir: DEFAULT_CACHE_DIR,
  chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  log: (line) => console.log(line),
});
if (result.failed.length > 0) process.exitCode = 1;
