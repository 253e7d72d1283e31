#!/usr/bin/env node
// Regenerates everything derived from proto/: the ts-proto code and the reflection descriptor set in
// packages/shared/src/gen, plus (when asked, or when missing) the `buf breaking` baseline.
//
//   node scripts/gen.mjs                     regenerate packages/shared/src/gen in place
//   node scripts/gen.mjs --out-root DIR      write the same tree under DIR instead (used by the staleness test)
//   node scripts/gen.mjs --update-baseline   also rewrite proto/descriptor.binpb (after a deliberate release)
//
// The baseline is not rewritten on every run: `buf breaking --against proto/descriptor.binpb` would then only
// ever compare the contract with itself.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const genDir = join('packages', 'shared', 'src', 'gen');
const descriptorSetName = 'descriptor_set.bin';
const baselinePath = join('proto', 'descriptor.binpb');

function parseArgs(argv) {
  const args = { outRoot: repoRoot, updateBaseline: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--out-root') {
      const value = argv[i + 1];
      if (value === undefined) throw new Error('--out-root needs a directory');
      args.outRoot = resolve(value);
      i += 1;
    } else if (arg === '--update-baseline') {
      args.updateBaseline = true;
    } else {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  return args;
}

function buf(args) {
  // The pinned CLI from node_modules, never a globally installed one: output must not depend on the machine.
  const bin = join(repoRoot, 'node_modules', '.bin', process.platform === 'win32' ? 'buf.cmd' : 'buf');
  execFileSync(bin, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
}

function main() {
  const { outRoot, updateBaseline } = parseArgs(process.argv.slice(2));
  const inPlace = outRoot === repoRoot;

  // buf.gen.yaml has `clean: true`, so files of removed protos disappear instead of lingering.
  buf(inPlace ? ['generate'] : ['generate', '--output', outRoot]);

  // Source info stays in: reflection clients (grpcurl describe) then show the proto comments as docs.
  const outGenDir = join(outRoot, genDir);
  mkdirSync(outGenDir, { recursive: true });
  buf(['build', '--as-file-descriptor-set', '-o', join(outGenDir, descriptorSetName)]);

  if (inPlace && (updateBaseline || !existsSync(join(repoRoot, baselinePath)))) {
    // Without source info, comment edits never look like contract changes.
    buf(['build', '--exclude-source-info', '-o', baselinePath]);
  }
}

main();
