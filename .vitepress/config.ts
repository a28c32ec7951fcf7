import { defineConfig } from 'vitepress';
import { mermaidFence } from './mermaid-fence.ts';
import { nav, sidebar, srcExclude } from './site-map.ts';

// https://vitepress.dev/reference/site-config
export default defineConfig({
  srcDir: 'docs',
  srcExclude,
  title: 'Distributed Systems Course',
  description:
    'Learn distributed systems by building them in TypeScript: a work queue, a replicated store, a chat system and a Raft database.',
  lang: 'en-US',
  cleanUrls: true,
  lastUpdated: false,
  // VitePress prefetches the JS of every page linked from the viewport (the whole sidebar): ~500 KB on each
  // visit, mostly highlighted code of pages the learner may never open. On a phone that is a poor trade; a
  // page's JS is fetched when the learner clicks through instead. (tests/site/pages.test.ts counts all JS.)
  router: { prefetchLinks: false },
  vite: {
    // mermaid (and the diagram types it loads) are big chunks. They are built for the in-browser fallback only
    // (a diagram with no picture drawn at build time, see .vitepress/diagrams/), and no built page loads them.
    build: { chunkSizeWarningLimit: 1000 },
    css: {
      postcss: {
        plugins: [
          // Perf: VitePress's theme CSS has `:lang(es)`, `:lang(zh)`, ... rules (the "Copied" label and a
          // Chinese font in other languages). With any :lang() rule in the page, Chromium must re-check every
          // element when <html lang> is set, and VitePress sets it (to the same "en-US") once the app mounts:
          // on Session 2 that is ~6,000 style invalidations and a restyle of each element inside hydration
          // (Lighthouse: TBT ~400 ms -> see README "Page speed"). The course is English only, so the rules
          // never match; drop them. If the site is ever translated, remove this plugin.
          { postcssPlugin: 'drop-lang-rules', Rule: (rule) => { if (rule.selector.includes(':lang(')) rule.remove(); } },
        ],
      },
    },
  },
  // Dead internal links must fail the build: a learner should never click into a 404.
  ignoreDeadLinks: false,
  // Light by default, follows the OS preference, with a toggle (as `appearance: true`).
  // disableTransition: false (perf): with the default (true), VueUse's useDark inserts `*{transition:none}`,
  // sets the class on <html> and reads getComputedStyle when the app starts, forcing a full style recalc and
  // layout of the page inside the hydration script (~20 ms CPU, ~80 ms on Lighthouse's 4x-slowed phone), then
  // another when the rule is removed. Cost: colours fade instead of switching when the learner toggles dark mode.
  appearance: { disableTransition: false },
  head: [
    // An inline icon: no extra request, and no 404 for /favicon.ico in the browser console.
    [
      'link',
      {
        rel: 'icon',
        type: 'image/svg+xml',
        href:
          "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E" +
          "%3Cg fill='%233451b2'%3E%3Ccircle cx='6' cy='16' r='5'/%3E%3Ccircle cx='26' cy='6' r='5'/%3E" +
          "%3Ccircle cx='26' cy='26' r='5'/%3E%3C/g%3E%3Cpath d='M6 16L26 6M6 16l20 10' stroke='%233451b2' " +
          "stroke-width='2'/%3E%3C/svg%3E",
      },
    ],
  ],
  markdown: {
    // The high-contrast GitHub themes keep every token above WCAG AA (4.5:1) on VitePress's code background;
    // the default github-light has orange/red tokens around 3.2:1 (the axe test in tests/site catches this).
    theme: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' },
    config: (md) => {
      mermaidFence(md);
    },
  },
  themeConfig: {
    nav,
    sidebar,
    // Local search: an index built at build time, loaded only when the search box opens. The shortcut hint
    // on its button is restyled in theme/custom.css for accessibility.
    search: { provider: 'local' },
    outline: { level: [2, 3], label: 'On this page' },
    docFooter: { prev: 'Previous session', next: 'Next session' },
  },
});
