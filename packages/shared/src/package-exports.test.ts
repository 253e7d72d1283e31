// The package's `exports` list exactly the entry points the monorepo imports: a new `@tasker/shared/...` import
// needs its entry here (or it will not resolve), and an entry nobody imports any more is dropped.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SCANNED = ['packages', 'bench', 'scripts', 'examples'];
const SKIPPED = new Set(['node_modules', 'dist', 'gen', '.git']);
const SPECIFIER = /(?:from\s+|import\s*\(\s*|import\s+|require\s*\(\s*)['"](@tasker\/shared(?:\/[^'"]*)?)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIPPED.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(name) ? [path] : [];
  });
}

function importedEntryPoints(): string[] {
  const found = new Set<string>();
  for (const file of SCANNED.flatMap((d) => sourceFiles(join(root, d)))) {
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      found.add(`.${m[1]!.slice('@tasker/shared'.length)}`);
    }
  }
  return [...found].sort();
}

describe('@tasker/shared exports', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'packages/shared/package.json'), 'utf8')) as {
    exports: Record<string, string>;
  };

  it('lists exactly the entry points imported across the packages, bench, scripts and examples', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(importedEntryPoints());
  });

  it('points each entry at an existing source file', () => {
    for (const target of Object.values(pkg.exports)) {
      expect(statSync(join(root, 'packages/shared', target)).isFile(), target).toBe(true);
    }
  });
});
