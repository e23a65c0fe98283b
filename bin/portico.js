#!/usr/bin/env node
// The one executable. Compiled code lives in dist/; `npm run build` makes it.
import '../dist/src/cmd/main.js';
