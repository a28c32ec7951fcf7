// The play/pause clock of an embedded example: frames of real time become simulated milliseconds. Shared by
// the live examples (QueueExample.vue, ClusterExample.vue); each keeps its own world and its own idea of a
// step, and hands this clock two callbacks: where the world's time is, and how to run it forward and redraw.
// Browser-only (requestAnimationFrame, performance, document) but no node: imports: it is bundled in the
// lazily loaded example chunks.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export interface PlaybackOptions {
  /** The world's simulated time as last drawn, in ms; undefined before the first drawing. */
  now: () => number | undefined;
  /** Run the world to simulated ms `until` (later than now()) and redraw it. */
  runTo: (until: number) => void;
}

export interface Playback {
  playing: Ref<boolean>;
  /** Simulated ms per real ms. */
  speed: Ref<number>;
  play: () => void;
  pause: () => void;
  togglePlay: () => void;
  /** Pause, let `move` advance the world and redraw it (a step, a jump), then set the clock to where it ended. */
  jump: (move: () => void) => void;
  /** A new run: the clock back to 0. */
  reset: () => void;
}

/** A long gap between frames (a slow frame, a backgrounded tab) moves the run at most this much real time. */
const MAX_FRAME_MS = 250;

export function usePlayback(options: PlaybackOptions): Playback {
  const playing = ref(false);
  const speed = ref(1);
  let simClock = 0; // simulated ms, fractional; the world is run to its floor
  let frame = 0;
  let lastFrameAt = 0;
  let resumeWhenVisible = false;

  function onFrame(at: number): void {
    if (!playing.value) return;
    const realMs = Math.min(MAX_FRAME_MS, Math.max(0, at - lastFrameAt));
    lastFrameAt = at;
    simClock += realMs * speed.value;
    const until = Math.floor(simClock);
    const now = options.now();
    if (now !== undefined && until > now) options.runTo(until);
    if (playing.value) frame = requestAnimationFrame(onFrame);
  }

  function play(): void {
    if (playing.value) return;
    playing.value = true;
    const now = options.now();
    if (now !== undefined) simClock = Math.max(simClock, now);
    lastFrameAt = performance.now();
    frame = requestAnimationFrame(onFrame);
  }

  function pause(): void {
    playing.value = false;
    cancelAnimationFrame(frame);
  }

  function togglePlay(): void {
    if (playing.value) pause();
    else play();
  }

  function jump(move: () => void): void {
    pause();
    move();
    simClock = options.now() ?? simClock;
  }

  function reset(): void {
    simClock = 0;
  }

  // A hidden tab pauses the run, and showing it again resumes it if it was playing.
  function onVisibility(): void {
    if (document.hidden && playing.value) {
      resumeWhenVisible = true;
      pause();
    } else if (!document.hidden && resumeWhenVisible) {
      resumeWhenVisible = false;
      play();
    }
  }
  onMounted(() => document.addEventListener('visibilitychange', onVisibility));
  onBeforeUnmount(() => {
    pause();
    document.removeEventListener('visibilitychange', onVisibility);
  });

  return { playing, speed, play, pause, togglePlay, jump, reset };
}
