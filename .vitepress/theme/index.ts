// The course theme: VitePress's default theme plus global components that pages use directly:
// <Mermaid> (emitted by the ```mermaid fence override in ../mermaid-fence.ts), <Quiz>, and <LiveExample>
// (the frame of an embedded runnable example; the example itself loads only when started).
import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import Mermaid from './components/Mermaid.vue';
import Quiz from './components/Quiz.vue';
import LiveExample from './components/LiveExample.vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('Mermaid', Mermaid);
    app.component('Quiz', Quiz);
    app.component('LiveExample', LiveExample);
  },
} satisfies Theme;
