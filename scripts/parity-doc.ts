#!/usr/bin/env -S npx tsx
// Writes docs/parity.md from the parity suite's scenario list. `--check` only compares and exits 1 when the
// file is stale (the parity test does the same).
//
//   npx tsx scripts/parity-doc.ts           regenerate docs/parity.md
//   npx tsx scripts/parity-doc.ts --check   fail if docs/parity.md differs from the scenario list
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderParityDoc } from '../packages/orchestration/test/integration/parity/doc.js';
import { NOT_COMPARABLE, SCENARIOS } from '../packages/orchestration/test/integration/parity/scenarios/index.js';

export const PARITY_DOC_PATH = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'docs', 'parity.md');

function main(): void {
  const rendered = renderParityDoc(SCENARIOS, NOT_COMPARABLE);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(PARITY_DOC_PATH, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== rendered) {
      process.stderr.write('docs/parity.md is stale: run `npx tsx scripts/parity-doc.ts`\n');
      process.exit(1);
    }
    return;
  }
  writeFileSync(PARITY_DOC_PATH, rendered);
  process.stdout.write(`wrote ${PARITY_DOC_PATH} (${SCENARIOS.length} scenarios)\n`);
}

main();
