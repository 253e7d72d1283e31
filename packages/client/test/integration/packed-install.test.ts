// The packed packages work outside this repository: `scripts/pack.mjs` packs @tasker/client and
// @tasker/shared, a scratch project in the temp dir installs both tarballs from npm's cache, type-checks the
// README's SDK example with tsc, runs it against a real server, and runs the README's CLI commands with the
// installed `tasker` bin (plain node: no tsx, no workspace sources).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runWorkerLoop } from '../../../orchestration/test/integration/helpers/runtime.js';
import { createClient } from '../../src/index.js';
import { TEST_API_KEY, startTestServers, type TestServers } from './helpers/servers.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../../', import.meta.url));
/** The SDK and CLI section of the README, between its markers. */
const readme = (() => {
  const text = readFileSync(join(repo, 'README.md'), 'utf8');
  const match = /<!-- sdk-cli:begin[^>]*-->([\s\S]*?)<!-- sdk-cli:end -->/.exec(text);
  if (!match?.[1]) throw new Error('README.md has no sdk-cli section');
  return match[1];
})();
const JWT_SECRET = 'packed-install-hs256-secret-0123456789';

/** The fenced code blocks of the README snippet in `language`. */
function blocks(language: string): string[] {
  return [...readme.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');
}

let servers: TestServers;
const scratch = mkdtempSync(join(tmpdir(), 'tasker-scratch-'));

/** The README's code with its default addresses pointed at the test servers. */
function localise(code: string): string {
  return code.replaceAll('localhost:9190', servers.address.grpc).replaceAll('localhost:8080', servers.address.rest);
}

async function sh(command: string, args: string[], cwd = scratch, env: Record<string, string> = {}) {
  return run(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });
}

beforeAll(async () => {
  const packing = (async () => {
    const { stdout } = await sh(
      process.execPath,
      [join(repo, 'packages/client/scripts/pack.mjs'), join(scratch, 'tarballs')],
      repo,
    );
    const packed = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { client: string; shared: string };
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    // Everything this workspace installed is in npm's cache; nothing needs the network.
    await sh('npm', [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      packed.shared,
      packed.client,
      'typescript@5.9.3',
      '@types/node@20.19.43',
    ]);
  })();
  [servers] = await Promise.all([
    startTestServers({ auth: true, config: { auth: { jwt: { hs256_secret: JWT_SECRET } } } }),
    packing,
  ]);
  const sdk = createClient({ transport: 'rest', address: servers.address.rest, apiKey: TEST_API_KEY });
  await sdk.templates.register([readFileSync(join(repo, 'examples/templates/linear.yaml'), 'utf8')]);
  await sdk.close();
  // The dev key file the README points at.
  mkdirSync(join(scratch, '.tasker'), { recursive: true });
  writeFileSync(join(scratch, '.tasker/dev-api-key'), `${TEST_API_KEY}\n`, { mode: 0o600 });
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        outDir: 'out',
        types: ['node'],
      },
      include: ['example.ts'],
    }),
  );
}, 600_000);

afterAll(async () => {
  await servers?.stop();
});

/** Runs `body` with a worker completing every step of the example templates. */
async function withWorker<T>(body: () => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const worker = runWorkerLoop(servers.services, {
    signal: stop.signal,
    concurrency: 2,
    waitMs: 200,
    handlers: { '*': () => ({ value: '36' }) },
  });
  try {
    return await body();
  } finally {
    stop.abort();
    await worker;
  }
}

it('type-checks the README SDK example against the installed declarations, and rejects a misuse', async () => {
  const [example] = blocks('ts');
  expect(example).toContain("from '@tasker/client'");
  writeFileSync(join(scratch, 'example.ts'), localise(example ?? ''));
  await sh(process.execPath, [join(scratch, 'node_modules/typescript/bin/tsc'), '-p', '.']);

  writeFileSync(
    join(scratch, 'misuse.ts'),
    "import { createClient } from '@tasker/client';\nawait createClient({ transport: 'rest', address: 'x' }).tasks.create({ name: 'n' });\n",
  );
  writeFileSync(
    join(scratch, 'tsconfig.misuse.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, include: ['misuse.ts'] }),
  );
  const failed = await sh(process.execPath, [
    join(scratch, 'node_modules/typescript/bin/tsc'),
    '-p',
    'tsconfig.misuse.json',
  ]).catch((e: { stdout: string }) => e);
  expect('stdout' in failed ? failed.stdout : '').toMatch(/misuse\.ts.*error TS2345/);
}, 240_000);

it('runs the README SDK example against a server', async () => {
  const { stdout } = await withWorker(() => sh(process.execPath, ['out/example.js']));
  expect(stdout).toMatch(/linear_step_4 → complete/);
  expect(stdout).toMatch(/task → complete/);
  expect(stdout).toContain('no such task');
}, 240_000);

it('runs the README CLI commands with the installed tasker bin', async () => {
  const [commands] = blocks('sh');
  const { stdout } = await withWorker(() =>
    sh('sh', ['-e', '-c', localise(commands ?? '')], scratch, {
      TASKER_ADDRESS: servers.address.rest,
      TASKER_JWT_HS256_SECRET: JWT_SECRET,
    }),
  );
  expect(stdout).toContain('mathematical_sequence');
  expect(stdout).toMatch(/task {2}complete/);
  const token = stdout.trim().split('\n').pop() ?? '';
  expect(token.split('.')).toHaveLength(3);
}, 240_000);
