#!/usr/bin/env node
// The worker runs from TypeScript sources: register tsx's loader first, so cli.ts and the user's handler
// modules (often .ts) import without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main(process.argv);
