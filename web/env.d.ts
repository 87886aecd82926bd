/** WGSL files imported as text through Vite's `?raw` suffix (the browser's ShaderSources). */
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
declare module '*.css';
