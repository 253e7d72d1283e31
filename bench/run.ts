// `npm run bench [-- --quick] [-- --only floor,graphile] [-- --out dir]`: the baselines (and whatever else
// suites/index.ts registers) against one PostgreSQL server, one suite at a time, in databases of their own.
// DATABASE_URL: a maintenance database URL of the server to use (scratch databases are created and dropped
// on it). Without it an embedded PostgreSQL with default, durable settings is started in a temp dir.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { allowPostgresUserToEnter, startEmbeddedPostgres } from '../packages/orchestration/src/db/embedded.js';
import { runBench } from './lib/harness.js';
import type { BenchMode } from './lib/suite.js';
import { SUITES } from './suites/index.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), 'results') },
  },
});

function selectSuites(only: string | undefined): typeof SUITES {
  if (only === undefined) return SUITES;
  const names = only
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length > 0)
    throw new Error(`unknown suite(s) ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
  return SUITES.filter((s) => names.includes(s.name));
}

async function main(): Promise<number> {
  const mode: BenchMode = args.smoke ? 'smoke' : args.quick ? 'quick' : 'full';
  const suites = selectSuites(args.only);
  const cleanups: (() => Promise<unknown>)[] = [];
  const log = (line: string): void => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
  try {
    let adminUrl = process.env['DATABASE_URL'];
    let server = 'DATABASE_URL';
    if (adminUrl === undefined || adminUrl === '') {
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'tasker-bench-'));
      cleanups.push(() => rm(tmp, { recursive: true, force: true }));
      await allowPostgresUserToEnter(tmp);
      log('starting embedded PostgreSQL (durable default settings)');
      const embedded = await startEmbeddedPostgres({
        dataDir: path.join(tmp, 'pg'),
        port: 0,
        database: 'postgres',
        settings: { max_connections: '100' },
      });
      cleanups.push(() => embedded.stop());
      adminUrl = embedded.adminUrl;
      server = 'embedded';
    }
    const run = await runBench({ mode, adminUrl, server, suites, outDir: args.out, log });
    console.log(run.markdown);
    if (run.files !== undefined) console.log(`raw figures: ${run.files.json}\nlatency plot: ${run.files.svg}`);
    return run.report.suites.some((s) => s.error !== undefined) ? 1 : 0;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error(err));
  }
}

process.exitCode = await main();
