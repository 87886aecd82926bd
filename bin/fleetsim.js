#!/usr/bin/env node
// Entry point for `npx fleetsim`: runs the compiled CLI (built by `npm install` via the prepare script).
import '../dist/src/cli/main.js';
