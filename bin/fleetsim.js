#!/usr/bin/env node
// Entry point for `npx fleetsim`: runs the compiled CLI (built by `npm install` via the prepare script).
import process from 'node:process';
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv);
// The command is done and its files are written (a server, `view`, has stopped): exit once stdout and
// stderr are flushed rather than when the event loop empties, which after a GPU run waits for the
// driver's teardown (70–150 ms on lavapipe).
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
