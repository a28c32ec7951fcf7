/// <reference types="vite/client" />
// The embedded runnable examples: which page component runs which system, loaded only when started.
//
// Each entry is an adapter in examples/<system>/browser/ that drives the system's REAL core (and its seeded
// simulator) inside the page. `import.meta.glob` makes one lazy chunk per file, so the core and the component
// are fetched only when a learner presses "Start" (or follows a link that starts one), never on page load.
import type { Component } from 'vue';

const modules = import.meta.glob<{ default: Component }>('../../examples/*/browser/*Example.vue');

/** name used in <LiveExample name="..."> and in the `?example=` link  ->  the component file. */
export const liveExamples: Readonly<Record<string, string>> = {
  deposits: '../../examples/messaging/browser/DepositsExample.vue',
  queue: '../../examples/queue/browser/QueueExample.vue',
  ring: '../../examples/store/browser/RingExample.vue',
  cluster: '../../examples/store/browser/ClusterExample.vue',
  chat: '../../examples/chat/browser/ChatExample.vue',
  raft: '../../examples/raft/browser/RaftExample.vue',
};

export async function loadLiveExample(name: string): Promise<Component> {
  const path = liveExamples[name];
  const load = path === undefined ? undefined : modules[path];
  if (load === undefined) {
    throw new Error(`no live example is registered under "${name}" (see .vitepress/theme/live-examples.ts)`);
  }
  return (await load()).default;
}
