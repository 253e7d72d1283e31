#!/usr/bin/env node
// The `tasker` command. Installed from a package it runs the compiled CLI; inside the repository (where the
// TypeScript sources are present and tsx is installed) it runs the sources, so it never lags behind them.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli.js');
}
