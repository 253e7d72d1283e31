#!/usr/bin/env node
// Packs @tasker/client and @tasker/shared for installation outside this repository.
//
// Inside the workspace both packages export their TypeScript sources (`./src/*.ts`, run by tsx and vitest).
// A package installed elsewhere needs JavaScript and declarations instead, so this script compiles them
// (`tsc -b packages/client`, which builds @tasker/shared too), stages each package with a package.json whose
// `exports` point at dist/, exact dependency versions taken from the root package.json, and runs `npm pack`.
// Install both tarballs together: @tasker/client depends on @tasker/shared at the same version.
//
//   node packages/client/scripts/pack.mjs [out-dir]     → prints {"client": "<tgz>", "shared": "<tgz>"}
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = process.argv[2] ?? join(tmpdir(), `tasker-pack-${process.pid}`);
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const rootPkg = readJson(join(root, 'package.json'));
const versions = { ...rootPkg.devDependencies, ...rootPkg.dependencies };

/** Compiled files a consumer needs: JS and declarations, without tests, source maps or build info. */
function shipped(path) {
  const name = path.split('/').pop();
  if (statSync(path).isDirectory()) return true;
  if (/\.test\.(js|d\.ts)$/.test(name) || name.endsWith('.map') || name === '.tsbuildinfo') return false;
  return name.endsWith('.js') || name.endsWith('.d.ts');
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? listFiles(path) : [path];
  });
}

/**
 * Bare npm packages imported by the compiled JS and declarations of `dir` (a consumer's type check resolves
 * the declarations' imports too); node builtins and relative paths excluded.
 */
function importedPackages(dir) {
  const found = new Set();
  for (const file of listFiles(dir).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"./][^'"]*)['"]/g)) {
      const spec = m[1];
      if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
      found.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return [...found].sort();
}

function dependencies(dir, workspace) {
  const deps = {};
  for (const name of importedPackages(dir)) {
    if (workspace[name] !== undefined) deps[name] = workspace[name];
    else if (versions[name] !== undefined) deps[name] = versions[name];
    else throw new Error(`${relative(root, dir)} imports ${name}, which the root package.json does not pin`);
  }
  return deps;
}

/**
 * Copies `from/dist` (shipped files only, without the `serverOnly` folders) and `extra` entries into `to`,
 * writes the package.json, packs.
 */
function stage(packageDir, name, extra, manifest, serverOnly = []) {
  const to = join(out, name.replace('@tasker/', ''));
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  const excluded = serverOnly.map((folder) => join(packageDir, 'dist', folder));
  const filter = (path) =>
    !excluded.some((folder) => path === folder || path.startsWith(`${folder}/`)) && shipped(path);
  cpSync(join(packageDir, 'dist'), join(to, 'dist'), { recursive: true, filter });
  for (const entry of extra) cpSync(join(packageDir, entry), join(to, entry), { recursive: true });
  writeFileSync(join(to, 'package.json'), `${JSON.stringify(manifest(to), null, 2)}\n`);
  const file = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: to, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  return join(out, file);
}

const distExports = {
  '.': { types: './dist/index.d.ts', default: './dist/index.js' },
  './*': { types: './dist/*.d.ts', default: './dist/*.js' },
};

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', join(root, 'packages/client')], {
  stdio: 'inherit',
});
mkdirSync(out, { recursive: true });

const sharedDir = join(root, 'packages/shared');
const clientDir = join(root, 'packages/client');
const sharedPkg = readJson(join(sharedDir, 'package.json'));
const clientPkg = readJson(join(clientDir, 'package.json'));

const shared = stage(
  sharedDir,
  '@tasker/shared',
  [],
  (to) => ({
    name: sharedPkg.name,
    version: sharedPkg.version,
    description: 'Tasker domain types, conversions, generated protocol code and the error model',
    type: 'module',
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: distExports,
    engines: { node: '>=20' },
    dependencies: dependencies(join(to, 'dist'), {}),
    // The gRPC server kit (shared by orchestration and the worker) is no part of what an SDK user installs.
  }),
  ['grpc'],
);

const client = stage(clientDir, '@tasker/client', ['bin'], (to) => ({
  name: clientPkg.name,
  version: clientPkg.version,
  description: clientPkg.description,
  type: 'module',
  main: './dist/index.js',
  types: './dist/index.d.ts',
  exports: distExports,
  bin: clientPkg.bin,
  engines: clientPkg.engines,
  dependencies: dependencies(join(to, 'dist'), { '@tasker/shared': sharedPkg.version }),
}));

if (!existsSync(client) || !existsSync(shared)) throw new Error('npm pack produced no tarball');
process.stdout.write(`${JSON.stringify({ client, shared, dir: dirname(client) })}\n`);
