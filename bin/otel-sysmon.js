#!/usr/bin/env node
// The CLI's front as one file (scripts/bundle-cli.ts); dist/src/cli/main.js is the same, unbundled.
import '../dist/src/cli/main.bundle.js';
