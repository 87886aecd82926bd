/** WGSL files imported as text through Vite's `?raw` suffix (the browser's ShaderSources). */
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
declare module '*.css';
/** JSON files as text (the shipped studies in sweeps/, shown in the Sweep view's editor). */
declare module '*.json?raw' {
  const text: string;
  export default text;
}
