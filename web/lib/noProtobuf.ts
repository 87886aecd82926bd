/**
 * Stands in for `protobufjs/minimal` in the page's bundle. `@datadog/sketches-js` (src/stats/sketch.ts
 * uses its key mapping) requires it only inside DDSketch.toProto/fromProto, which fleetsim never calls,
 * and the package is not installed; the alias in web/vite.config.ts points the bundler here.
 */
export default {};
