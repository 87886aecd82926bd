/** The browser page: `npm run web` serves web/, `npm run build:web` writes web/dist/ (relative URLs, so any folder can host it). */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: { outDir: 'dist', emptyOutDir: true },
  // src/stats imports @datadog/sketches-js, whose never-called protobuf export requires a package that is not installed
  resolve: { alias: { 'protobufjs/minimal': fileURLToPath(new URL('./lib/noProtobuf.ts', import.meta.url)) } },
});
