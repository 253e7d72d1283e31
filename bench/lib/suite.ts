// What a suite is and what it gets. A suite measures one system (a baseline or Tasker) in databases of its
// own on the shared server and returns figures; the harness runs suites one after another (WAL and CPU are
// server-wide) and renders every figure in one report.

export type FigureUnit = 'ms' | 'per_s' | 'rows' | 'bytes' | 'ms_cpu' | 'count';

export interface Figure {
  /** Stable id other suites compare against, e.g. `floor.chain4.latency`. */
  id: string;
  label: string;
  unit: FigureUnit;
  /** A distribution (the report shows p50/p95/p99/n)… */
  samples?: number[];
  /** …or a single measured value. */
  value?: number;
  /** Id(s) of the figure(s) this one is divided by in the ratio column (p50 for distributions). */
  baseline?: string | string[];
  /** What exactly was measured, shown under the table. */
  notes?: string;
}

export interface SuiteResult {
  figures: Figure[];
}

/** smoke: the test's smallest run; quick: about a minute for the baselines; full: the published sizes. */
export type BenchMode = 'smoke' | 'quick' | 'full';

export interface BenchSizes {
  /** Measured 4-job chains, after `chainWarmup` unmeasured ones. */
  chainSamples: number;
  chainWarmup: number;
  /** Jobs inserted before each throughput run. */
  throughputJobs: number;
  /** Safety bound of one throughput run; a run that hits it reports the jobs done by then. */
  throughputCapMs: number;
  /** Window for configurations whose rate is bounded by a poll interval (pg-boss defaults: 1 job / 2 s). */
  pollBoundWindowMs: number;
}

export const SIZES: Readonly<Record<BenchMode, BenchSizes>> = {
  smoke: { chainSamples: 5, chainWarmup: 1, throughputJobs: 200, throughputCapMs: 20_000, pollBoundWindowMs: 3_000 },
  quick: { chainSamples: 50, chainWarmup: 5, throughputJobs: 4_000, throughputCapMs: 60_000, pollBoundWindowMs: 5_000 },
  full: {
    chainSamples: 200,
    chainWarmup: 10,
    throughputJobs: 20_000,
    throughputCapMs: 180_000,
    pollBoundWindowMs: 20_000,
  },
};

export interface SuiteContext {
  mode: BenchMode;
  /** true for quick and smoke runs. */
  quick: boolean;
  sizes: BenchSizes;
  /** Maintenance database URL of the server (CREATE/DROP DATABASE). */
  adminUrl: string;
  /** Creates an empty database named after the suite and `name`, dropped by the harness after the suite. */
  createDatabase(name: string): Promise<string>;
  log(message: string): void;
  resources: ResourceMeter;
}

export interface Suite {
  name: string;
  run(ctx: SuiteContext): Promise<SuiteResult>;
}

// The resource meter's contract (resources.ts implements it): per-job figures of one processing window.
export interface ResourceUsage {
  /** Jobs the window processed; every figure below is divided by it. */
  jobs: number;
  elapsedMs: number;
  rows: number;
  walBytes: number;
  xacts: number;
  cpuBenchMs: number;
  /** undefined when the server is not on this machine (no /proc of its postmaster). */
  cpuPostgresMs: number | undefined;
  /** Transactions other databases ran meanwhile: > 0 means WAL and PostgreSQL CPU include foreign work. */
  foreignXacts: number;
  /** CPU ms of processes the suite ran (name → ms), as it passed them to end(). */
  processCpuMs: Record<string, number>;
}

export interface EndWindowOptions {
  jobs: number;
  /**
   * Transactions the suite itself ran on the peer's database inside the window (completion polls), each a
   * single read-only statement: subtracted from the transaction count.
   */
  observerXacts?: number;
  /**
   * CPU ms that processes the suite runs (e.g. a server it spawned) used inside the window: its
   * readProcessTreeCpuMs just before stopping them, minus its reading at begin (0 when started inside the
   * window). Each becomes a `.cpu_ms.<name>` figure.
   */
  processCpuMs?: Record<string, number>;
}

export interface ResourceWindow {
  end(options: EndWindowOptions): Promise<ResourceUsage>;
}

export interface ResourceMeter {
  /** Opens a window on the database at `databaseUrl`; waits until the peer has no connection open. */
  begin(databaseUrl: string): Promise<ResourceWindow>;
}
