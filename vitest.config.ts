import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn logs to XDG_RUNTIME_DIR; the Vulkan driver itself is whatever the loader finds (lavapipe in CI).
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // GPU test files each open a device; on a 2-core machine running them one at a time is faster.
    fileParallelism: false,
  },
});
