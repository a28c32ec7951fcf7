// The course's navigation, kept by hand so the reading order is a teaching decision, not a file-name accident.
// Kept apart from config.ts so tests (tests/docs/sidebar.test.ts) can check it without loading VitePress.
// Rule: list ONLY pages that exist. The test fails on a link to a missing page and on a page left out.
import type { DefaultTheme } from 'vitepress';

// No `collapsed` option on purpose: a collapsible group header is a role="button" that contains links,
// which axe reports as nested interactive controls (serious). The course is short enough to show whole.
export const sidebar: DefaultTheme.SidebarItem[] = [
  {
    text: 'Part I · Fundamentals',
    items: [
      { text: 'Session 1 · What is a distributed system?', link: '/fundamentals/01-what-is-ds' },
      { text: 'Session 2 · The queue system', link: '/fundamentals/02-queue-system' },
    ],
  },
  {
    text: 'Part II · Data store',
    items: [
      { text: 'Session 3 · Partitioning and CAP', link: '/data-store/03-partitioning-cap' },
      { text: 'Session 4 · Replication and leader election', link: '/data-store/04-replication' },
      { text: 'Session 5 · Consistency models', link: '/data-store/05-consistency' },
    ],
  },
  {
    text: 'Part III · Real-time',
    items: [
      { text: 'Session 6 · WebSockets and pub/sub', link: '/real-time/06-websockets-pubsub' },
      { text: 'Session 7 · The chat system', link: '/real-time/07-chat-system' },
    ],
  },
  {
    text: 'Part IV · Consensus',
    items: [
      { text: 'Session 8 · Consensus and leader election', link: '/consensus/08-raft-leader-election' },
      { text: 'Session 9 · Log replication', link: '/consensus/09-log-replication' },
      { text: 'Session 10 · The consensus system', link: '/consensus/10-consensus-system' },
    ],
  },
  {
    text: 'Reference',
    items: [
      { text: "The queue's HTTP API", link: '/reference/queue-http-api' },
      { text: "The store's HTTP API", link: '/reference/store-http-api' },
      { text: "The chat's WebSocket protocol", link: '/reference/chat-protocol' },
      { text: "The Raft KV's HTTP API", link: '/reference/raft-http-api' },
      { text: 'Docker setup', link: '/reference/docker-setup' },
      { text: 'Troubleshooting', link: '/reference/troubleshooting' },
    ],
  },
];

export const nav: DefaultTheme.NavItem[] = [
  { text: 'Home', link: '/' },
  { text: 'Fundamentals', link: '/fundamentals/01-what-is-ds', activeMatch: '^/fundamentals/' },
  { text: 'Data store', link: '/data-store/03-partitioning-cap', activeMatch: '^/data-store/' },
  { text: 'Real-time', link: '/real-time/06-websockets-pubsub', activeMatch: '^/real-time/' },
  { text: 'Consensus', link: '/consensus/08-raft-leader-election', activeMatch: '^/consensus/' },
  { text: 'Reference', link: '/reference/docker-setup', activeMatch: '^/reference/' },
];

/**
 * Markdown under docs/ that is NOT a page: partials meant for `<!--@include: -->` start with `_` or live in a
 * `parts/` folder (e.g. fundamentals/parts/queue-bench.md, which the queue benchmark writes), and READMEs are
 * notes for contributors. (Quiz data files are .ts, so VitePress never treats them as pages.)
 */
export const srcExclude: string[] = ['**/_*.md', '**/parts/**', '**/README.md'];
