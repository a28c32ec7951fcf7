// Two things every live example needs beside its clock (playback.ts): a status line a screen reader can keep
// up with, and the reader's wish for less motion. Shared by ClusterExample.vue and ChatExample.vue.
// Browser-only (performance, setTimeout, matchMedia) but no node: imports: it is bundled in the lazily loaded
// example chunks.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

/**
 * The text of an aria-live status line, and `say` to change it. A screen reader reads every change, so while
 * the example runs the line changes at most once every `everyMs`: a message that comes sooner waits, and only
 * the newest waiting one is said. `now` says it at once (an answer to what the learner just did).
 */
export function useAnnouncer(everyMs: number): { announcement: Ref<string>; say: (message: string, now?: boolean) => void } {
  const announcement = ref('');
  let lastSaidAt = -Infinity;
  let waiting: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function say(message: string, now = false): void {
    const t = performance.now();
    if (now || t - lastSaidAt >= everyMs) {
      clearTimeout(timer);
      timer = undefined;
      waiting = null;
      announcement.value = message;
      lastSaidAt = t;
      return;
    }
    waiting = message;
    if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        if (waiting !== null) say(waiting, true);
      }, lastSaidAt + everyMs - t);
    }
  }

  onBeforeUnmount(() => clearTimeout(timer));
  return { announcement, say };
}

/** True while the reader asks for reduced motion (prefers-reduced-motion), following changes as they come. */
export function useReducedMotion(): Ref<boolean> {
  const still = ref(false);
  let query: MediaQueryList | undefined;
  const update = (): void => {
    still.value = query?.matches ?? false;
  };
  onMounted(() => {
    query = window.matchMedia('(prefers-reduced-motion: reduce)');
    update();
    query.addEventListener('change', update);
  });
  onBeforeUnmount(() => query?.removeEventListener('change', update));
  return still;
}
