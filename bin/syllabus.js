#!/usr/bin/env node
// The `syllabus` command: runs the compiled CLI (built by `npm install` / `npm run build`).
import '../dist/src/cli/main.js';
