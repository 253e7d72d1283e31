// Runs suites one after another against one server and builds the report. Used by run.ts (the CLI) and by
// the smoke test, so both exercise the same path.
import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import { describeMachine, measureCommitLatency } from './machine.js';
import { createScratchDatabase, dropScratchDatabase, openSql, buildDatabaseUrl } from './pg.js';
import { findPostmasterPid } from './proc-cpu.js';
import { writeReportFiles } from './files.js';
import { buildRunReport, renderMarkdown, type RunReport, type SuiteOutcome } from './report.js';
import { createResourceMeter, PER_JOB_METHOD } from './resources.js';
import { SIZES, type BenchMode, type ResourceMeter, type Suite, type SuiteContext } from './suite.js';

export interface RunBenchOptions {
  mode: BenchMode;
  /** Maintenance database URL of the server. */
  adminUrl: string;
  /** How the server was obtained, for the report (`embedded` or `DATABASE_URL`). */
  server: string;
  suites: readonly Suite[];
  /** Where the JSON and SVG go; omitted: nothing is written. */
  outDir?: string;
  log: (line: string) => void;
}

export interface BenchRun {
  report: RunReport;
  markdown: string;
  files?: { json: string; svg: string };
}

export async function runBench(options: RunBenchOptions): Promise<BenchRun> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const admin = openSql(options.adminUrl);
  try {
    const machine = await describeMachine(admin, options.server);
    const postmasterPid = await locatePostmaster(admin);
    if (postmasterPid === undefined)
      options.log('PostgreSQL is not on this machine (or not readable): no PostgreSQL CPU figures');
    const calibration = await withScratchDatabase(admin, options.adminUrl, 'calibration', (url) =>
      measureCommitLatency(url, options.mode === 'smoke' ? 20 : 50),
    );
    options.log(`calibration: one durable commit p50 ${calibration.summary.p50.toFixed(2)} ms`);
    const resources = createResourceMeter(admin, postmasterPid);
    const outcomes: SuiteOutcome[] = [];
    for (const suite of options.suites) outcomes.push(await runSuite(suite, options, admin, resources));
    const report = buildRunReport({
      startedAt,
      mode: options.mode,
      durationMs: performance.now() - started,
      machine,
      calibration,
      methods: [PER_JOB_METHOD],
      suites: outcomes,
    });
    const markdown = renderMarkdown(report);
    if (options.outDir === undefined) return { report, markdown };
    return { report, markdown, files: await writeReportFiles(report, options.outDir) };
  } finally {
    await admin.end();
  }
}

async function runSuite(
  suite: Suite,
  options: RunBenchOptions,
  admin: Sql,
  resources: ResourceMeter,
): Promise<SuiteOutcome> {
  const created: string[] = [];
  const started = performance.now();
  const log = (message: string): void => options.log(`[${suite.name}] ${message}`);
  const ctx: SuiteContext = {
    mode: options.mode,
    quick: options.mode !== 'full',
    sizes: SIZES[options.mode],
    adminUrl: options.adminUrl,
    async createDatabase(name) {
      const database = makeDatabaseName(`${suite.name}_${name}`);
      await createScratchDatabase(admin, database);
      created.push(database);
      return buildDatabaseUrl(options.adminUrl, database);
    },
    log,
    resources,
  };
  log('start');
  try {
    const { figures } = await suite.run(ctx);
    log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { name: suite.name, durationMs: performance.now() - started, figures };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`FAILED: ${err instanceof Error ? (err.stack ?? message) : message}`);
    return { name: suite.name, durationMs: performance.now() - started, figures: [], error: message };
  } finally {
    for (const database of created) await dropScratchDatabase(admin, database);
  }
}

async function withScratchDatabase<T>(
  admin: Sql,
  adminUrl: string,
  name: string,
  use: (url: string) => Promise<T>,
): Promise<T> {
  const database = makeDatabaseName(name);
  await createScratchDatabase(admin, database);
  try {
    return await use(buildDatabaseUrl(adminUrl, database));
  } finally {
    await dropScratchDatabase(admin, database);
  }
}

/** `tasker_bench_<name>_<8 hex>`: unique, so a run never collides with another on a shared server. */
function makeDatabaseName(name: string): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 40);
  return `tasker_bench_${clean}_${randomBytes(4).toString('hex')}`;
}

/** The postmaster's pid via our backend's parent; needs the data directory (superuser or pg_read_all_settings). */
async function locatePostmaster(admin: Sql): Promise<number | undefined> {
  try {
    const [row] = await admin<
      { pid: number; dir: string }[]
    >`SELECT pg_backend_pid() AS pid, current_setting('data_directory') AS dir`;
    return row === undefined ? undefined : await findPostmasterPid(row.pid, row.dir);
  } catch {
    return undefined;
  }
}
