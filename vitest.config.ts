import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn logs to XDG_RUNTIME_DIR; the Vulkan driver itself is whatever the loader finds (lavapipe in CI).
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    testTimeout: 300_000,
    // A GPU test file's beforeAll may run its first batch, and lavapipe compiles a pipeline at its first
    // dispatch: the plain narrow kernel with all ten policies took 331–869 s cold on a loaded 2-core
    // machine. Which file meets a pipeline first depends on vitest's file order, so every hook gets room.
    hookTimeout: 900_000,
    // GPU test files each open a device; on a 2-core machine running them one at a time is faster.
    fileParallelism: false,
  },
});
