// Runs the `tasker` CLI as a subprocess. The CLI source is bundled once per test file with esbuild (the
// bundler tsx itself runs on), workspace code inlined and npm dependencies left to node_modules, so each
// command starts as plain node instead of compiling the TypeScript sources again through tsx.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const CLI_SOURCE = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
/** Inside the repository's node_modules so the bundle's imports of npm packages resolve as usual. */
const BUNDLE_DIR = fileURLToPath(new URL('../../../../../node_modules/.cache/tasker-cli-tests/', import.meta.url));
export const BIN = fileURLToPath(new URL('../../../bin/tasker.mjs', import.meta.url));

/** Bundles src/cli.ts; returns the path of the runnable bundle. */
export async function bundleCli(name: string): Promise<string> {
  mkdirSync(`${BUNDLE_DIR}bin`, { recursive: true });
  // @tasker/shared reads its version from `../package.json` next to its module, as it would when installed.
  writeFileSync(
    `${BUNDLE_DIR}package.json`,
    JSON.stringify({ name: 'tasker-cli-test-bundle', version: '0.0.0-test', private: true, type: 'module' }),
  );
  const outfile = `${BUNDLE_DIR}bin/${name}-${process.pid}.mjs`;
  await build({
    entryPoints: [CLI_SOURCE],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Workspace packages are TypeScript sources: inline them. Everything else stays an import.
    plugins: [
      {
        name: 'external-npm',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@tasker/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
    logLevel: 'error',
  });
  return outfile;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs `node <script> ...args`; resolves with exit code and output (never rejects on a non-zero exit). */
export function runNode(script: string, args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  return runCommand(process.execPath, [script, ...args], options);
}

/** Runs a program; resolves with exit code and output (never rejects on a non-zero exit). */
export function runCommand(file: string, args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(file, [...args], { cwd: options.cwd ?? process.cwd(), env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A CLI bound to one bundle and environment: `cli('task', 'get', uuid)`. */
export function cliRunner(script: string, base: CliRunOptions) {
  const run = (args: readonly string[], extra: CliRunOptions = {}) =>
    runNode(script, args, { ...base, ...extra, env: { ...base.env, ...extra.env } });
  return {
    run,
    /** Runs with `--output json`, expects exit 0 and parses stdout. */
    async json(args: readonly string[], extra: CliRunOptions = {}): Promise<unknown> {
      const result = await run([...args, '--output', 'json'], extra);
      if (result.code !== 0) throw new Error(`tasker ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout) as unknown;
    },
  };
}
