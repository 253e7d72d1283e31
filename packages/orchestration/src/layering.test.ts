// The layers of docs/architecture.md, held against the imports of every source file (tests may import anything):
// a file imports from its own layer or a lower one, and a few pairs never meet at all.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));

/** Top first. A path names a file or, ending in `/`, a folder. */
const LAYERS: readonly (readonly string[])[] = [
  ['main.ts', 'migrate-cli.ts'],
  ['runtime.ts'],
  ['rest/', 'grpc/'],
  ['metrics/'],
  ['services/'],
  ['engine/', 'auth/'],
  ['repositories/'],
  ['db/'],
];

/** Pairs that never import each other, whatever their layers. */
const NEVER: readonly (readonly [string, string, string])[] = [
  ['rest/', 'repositories/', 'transports reach data through services only'],
  ['grpc/', 'repositories/', 'transports reach data through services only'],
  ['rest/', 'db/', 'transports reach data through services only'],
  ['grpc/', 'db/', 'transports reach data through services only'],
  ['auth/', 'repositories/', 'authentication takes its key lookup as a function'],
  ['repositories/', 'auth/', 'stored keys are domain types of @tasker/shared'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function partOf(file: string, part: string): boolean {
  return part.endsWith('/') ? file.startsWith(part) : file === part;
}

function layerOf(file: string): number {
  const layer = LAYERS.findIndex((parts) => parts.some((p) => partOf(file, p)));
  if (layer < 0) throw new Error(`${file} is on no layer: add it to LAYERS and docs/architecture.md`);
  return layer;
}

/** src-relative paths of the files `file` imports from this package. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
  return specifiers.map((s) =>
    path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), s)).replace(/\.js$/, '.ts'),
  );
}

const edges = sourceFiles(SRC)
  .map((full) => path.relative(SRC, full))
  .flatMap((from) => importsOf(from).map((to) => ({ from, to })));

describe('orchestration layers', () => {
  it('reads the imports of every layer', () => {
    for (const parts of LAYERS) {
      for (const part of parts)
        expect(
          edges.some((e) => partOf(e.from, part)),
          part,
        ).toBe(true);
    }
  });

  it('no file imports from a layer above its own', () => {
    const upward = edges.filter((e) => layerOf(e.to) < layerOf(e.from)).map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it.each(NEVER)('%s never imports %s (%s)', (from, to) => {
    expect(edges.filter((e) => partOf(e.from, from) && partOf(e.to, to)).map((e) => `${e.from} -> ${e.to}`)).toEqual(
      [],
    );
  });
});
