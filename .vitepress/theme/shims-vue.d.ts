// Lets `tsc` (which cannot read .vue files) type the imports of single-file components in theme/index.ts.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
