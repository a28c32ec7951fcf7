// The course theme: VitePress's default theme plus two global components that pages use directly:
// <Mermaid> (emitted by the ```mermaid fence override in ../mermaid-fence.ts) and <Quiz>.
import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import Mermaid from './components/Mermaid.vue';
import Quiz from './components/Quiz.vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('Mermaid', Mermaid);
    app.component('Quiz', Quiz);
  },
} satisfies Theme;
