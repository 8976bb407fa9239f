#!/usr/bin/env node
import { main } from '../src/cli/main.js';

// A shim: all behaviour lives in src/cli; this only sets the exit code.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const debug = process.argv.includes('--debug');
    process.stderr.write(`graphlint: internal error: ${debug && e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  },
);
