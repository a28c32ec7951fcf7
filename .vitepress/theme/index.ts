// The course theme: VitePress's default theme plus global components that pages use directly:
// <Mermaid> (emitted by the ```mermaid fence override in ../mermaid-fence.ts), <Quiz>, and <LiveExample>
// (the frame of an embedded runnable example; the example itself loads only when started).
// Perf: the default theme without the Inter web font. Text uses the system UI font (Roboto on Android, San
// Francisco on Apple, Segoe UI on Windows). Inter cost 68-143 KB per first visit, a high-priority preload that
// competed with the CSS and JS on a slow phone link, and a layout shift when it replaced the fallback font
// (Lighthouse: CLS up to 0.17 on /reference/queue-http-api). See "Page speed" in the README.
import DefaultTheme from 'vitepress/theme-without-fonts';
import type { Theme } from 'vitepress';
import { defineAsyncComponent } from 'vue';
import Quiz from './components/Quiz.vue';
import LiveExample from './components/LiveExample.vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    // Diagrams are images drawn at build time; <Mermaid> draws in the browser only a diagram that has no
    // picture yet (one being edited in `npm run docs`), so its code loads only on such a page.
    app.component('Mermaid', defineAsyncComponent(() => import('./components/Mermaid.vue')));
    app.component('Quiz', Quiz);
    app.component('LiveExample', LiveExample);
  },
} satisfies Theme;
