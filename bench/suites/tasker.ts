// Tasker through real processes: an orchestration server and `tasker-worker` processes with a no-op handler,
// over gRPC and REST, on a database of its own on the shared server. Figures (ids at the top of index.ts):
// create → complete latency of four DAG shapes and the two dynamic ones (the reference's conditional approval
// and 1000-row batch) seen by a watcher, create latency per transport at 1 and 10
// concurrent clients, steps/s with 1 and 2 worker processes for single-step and 4-step tasks (defaults and
// tuned), commit → receipt latency of task events with 100 watchers, and per completed step the rows,
// WAL, transactions and CPU of every process.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { createClient, type TaskerClient } from '@tasker/client';
import { createSql } from '../../packages/orchestration/src/db/connect.js';
import { migrate } from '../../packages/orchestration/src/db/migrate.js';
import { openObserver } from '../lib/pg.js';
import { buildPerJobFigures } from '../lib/resources.js';
import type { Figure, Suite, SuiteContext } from '../lib/suite.js';
import {
  BENCH_API_KEY,
  BENCH_TEMPLATES,
  startOrchestration,
  startWorker,
  writeBenchConfig,
  type Orchestration,
  type RunningProcess,
} from '../tasker/processes.js';

type Transport = 'grpc' | 'rest';
const SHAPES = ['linear4', 'diamond4', 'dag7', 'tree8', 'conditional', 'batch1000'] as const;
type Shape = (typeof SHAPES)[number] | 'single';
/** Steps each task runs (conditional: 4 of its 6 declared at amount 500; batch1000: analyzer, 5 workers, aggregator). */
const STEPS_OF: Record<Shape, number> = {
  single: 1,
  linear4: 4,
  diamond4: 4,
  dag7: 7,
  tree8: 8,
  conditional: 4,
  batch1000: 7,
};
/** Shapes that grow while they run: their handlers return outcomes instead of nothing. */
const DYNAMIC_SHAPES: ReadonlySet<Shape> = new Set(['conditional', 'batch1000']);
/** The reference's published P50 range of the same shape (reference suite), as baselines of the ratio column. */
const PUBLISHED_BASELINES: Partial<Record<Shape, string[]>> = {
  linear4: ['graphile.chain4.latency', 'floor.chain4.latency'],
  conditional: ['reference.conditional.p50.low', 'reference.conditional.p50.high'],
  batch1000: ['reference.batch1000.p50.low', 'reference.batch1000.p50.high'],
};
const DEFAULT_CONCURRENCY = 10;
const TUNED_CONCURRENCY = 64;
const WATCHERS = 100;

function client(orchestration: Orchestration, transport: Transport): TaskerClient {
  return createClient({
    transport,
    address: transport === 'grpc' ? orchestration.grpcAddress : orchestration.restUrl,
    apiKey: BENCH_API_KEY,
  });
}

const taskInput = (shape: Shape, i: number) => ({
  namespace: 'bench',
  name: shape,
  version: '1.0.0',
  // conditional: the reference's measured path (amount 500 → one branch).
  context: shape === 'conditional' ? { i, amount: 500 } : { i },
  initiator: 'bench',
  sourceSystem: 'bench',
  reason: 'bench',
});

async function registerTemplates(c: TaskerClient): Promise<void> {
  const files = readdirSync(BENCH_TEMPLATES).filter((f) => f.endsWith('.yaml'));
  await c.templates.register(files.map((f) => readFileSync(path.join(BENCH_TEMPLATES, f), 'utf8')));
}

/** Runs `count` calls of `one`, `concurrency` at a time. */
async function pool(count: number, concurrency: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) await one(i);
    }),
  );
}

interface Run {
  ctx: SuiteContext;
  /** The measurement's own database (freshRun). */
  url: string;
  /** The config file every process of the run reads. */
  config: string;
}

/** A database of its own for one measurement (a backlog left by another never gets in its way), migrated. */
async function freshRun(run: Run, name: string): Promise<Run> {
  const url = await run.ctx.createDatabase(name);
  await prepareDatabase(url);
  return { ...run, url };
}

/** An orchestration process on the run's database with the bench templates registered. */
async function withOrchestration<T>(run: Run, body: (o: Orchestration) => Promise<T>): Promise<T> {
  const orchestration = await startOrchestration(run.url, run.config);
  try {
    const c = client(orchestration, 'grpc');
    try {
      await registerTemplates(c);
    } finally {
      await c.close();
    }
    return await body(orchestration);
  } finally {
    await orchestration.stop();
  }
}

/** create → task_complete on the task's event stream, one task at a time, per shape. */
async function measureShapeLatency(base: Run, transport: Transport): Promise<Figure[]> {
  const { sizes } = base.ctx;
  const run = await freshRun(base, `shapes_${transport}`);
  return withOrchestration(run, async (orchestration) => {
    const worker = await startWorker(orchestration, run.config, { transport, concurrency: DEFAULT_CONCURRENCY });
    const c = client(orchestration, transport);
    try {
      const figures: Figure[] = [];
      for (const shape of SHAPES) {
        const samples: number[] = [];
        for (let i = 0; i < sizes.chainWarmup + sizes.chainSamples; i += 1) {
          const started = performance.now();
          const task = await c.tasks.create(taskInput(shape, i));
          for await (const event of c.tasks.watch(task.taskUuid)) {
            if (event.type === 'task_complete') break;
            if (event.type === 'task_error' || event.type === 'task_cancelled')
              throw new Error(`${shape} task ended ${event.type}`);
          }
          if (i >= sizes.chainWarmup) samples.push(performance.now() - started);
        }
        figures.push({
          id: `tasker.${shape}.latency.${transport}`,
          label: `${STEPS_OF[shape]}-step ${shape} create → complete seen by a watcher, ${transport} worker`,
          unit: 'ms',
          samples,
          ...(PUBLISHED_BASELINES[shape] !== undefined ? { baseline: PUBLISHED_BASELINES[shape] } : {}),
          notes: `one task at a time; ${transport} SDK client creates it and watches its event stream; one ${transport} worker process (concurrency ${DEFAULT_CONCURRENCY}), ${DYNAMIC_SHAPES.has(shape) ? 'the least handlers that grow the graph (bench/tasker/handlers.ts)' : 'no-op handlers'}`,
        });
      }
      return figures;
    } finally {
      await c.close();
      await worker.stop();
    }
  });
}

/**
 * Per-call latency of task creation, with 1 and 10 clients creating at once. The two transports take turns
 * call by call (gRPC first on even rounds, REST first on odd ones), so both see the same machine and database.
 */
async function measureCreateLatency(base: Run): Promise<Figure[]> {
  const { sizes } = base.ctx;
  const run = await freshRun(base, 'create');
  return withOrchestration(run, async (orchestration) => {
    const figures: Figure[] = [];
    for (const concurrency of [1, 10]) {
      const transports = ['grpc', 'rest'] as const;
      const clients = Object.fromEntries(
        transports.map((t) => [t, Array.from({ length: concurrency }, () => client(orchestration, t))]),
      ) as Record<Transport, TaskerClient[]>;
      const samples: Record<Transport, number[]> = { grpc: [], rest: [] };
      const per = sizes.chainSamples + sizes.chainWarmup;
      try {
        await Promise.all(
          Array.from({ length: concurrency }, async (_, lane) => {
            for (let i = 0; i < per; i += 1) {
              for (const transport of i % 2 === 0 ? transports : [...transports].reverse()) {
                const started = performance.now();
                await clients[transport][lane]!.tasks.create(
                  taskInput('single', (lane * per + i) * 2 + (transport === 'grpc' ? 0 : 1)),
                );
                if (i >= sizes.chainWarmup) samples[transport].push(performance.now() - started);
              }
            }
          }),
        );
      } finally {
        await Promise.all(transports.flatMap((t) => clients[t].map((c) => c.close())));
      }
      for (const transport of transports) {
        figures.push({
          id: `tasker.create.latency.${transport}.c${concurrency}`,
          label: `task create (1 step) through the ${transport} SDK, ${concurrency} concurrent client${concurrency === 1 ? '' : 's'}`,
          unit: 'ms',
          samples: samples[transport],
          ...(transport === 'grpc' ? { baseline: `tasker.create.latency.rest.c${concurrency}` } : {}),
          notes: 'each client its own channel/connection, the transports taking turns call by call; no worker running',
        });
      }
    }
    // Figures in the order grpc.c1, grpc.c10, rest.c1, rest.c10.
    return figures.sort((a, b) => a.id.localeCompare(b.id));
  });
}

interface ThroughputSpec {
  id: string;
  label: string;
  shape: 'single' | 'linear4';
  transport: Transport;
  workers: number;
  concurrency: number;
  baseline: string;
}

/**
 * A backlog created first (its own orchestration run, outside the window), then processed by fresh processes
 * inside a resource window: steps/s from the first claim to the last task's completion (database clock), and
 * per completed step the rows, WAL, transactions and CPU of each process.
 */
async function measureThroughput(base: Run, spec: ThroughputSpec): Promise<Figure[]> {
  const steps = base.ctx.sizes.throughputJobs;
  const tasks = Math.ceil(steps / STEPS_OF[spec.shape]);
  const run = await freshRun(base, spec.id.replace('tasker.throughput.', '').replaceAll('.', '_'));
  const url = run.url;
  await withOrchestration(run, async (orchestration) => {
    const c = client(orchestration, 'grpc');
    try {
      await pool(tasks, 16, async (i) => void (await c.tasks.create(taskInput(spec.shape, i))));
    } finally {
      await c.close();
    }
  });

  const window = await run.ctx.resources.begin(url);
  const orchestration = await startOrchestration(url, run.config);
  const observer = openObserver(url);
  const workers: RunningProcess[] = [];
  // The backlog is held back until every worker is up (its claims wait on the table lock), so all of them
  // start on it together and the window's first claim is theirs, not the first worker's alone.
  const gate = await holdSteps(url);
  try {
    const orchestrationCpu0 = await orchestration.cpuMs();
    workers.push(
      ...(await Promise.all(
        Array.from({ length: spec.workers }, () =>
          startWorker(orchestration, run.config, { transport: spec.transport, concurrency: spec.concurrency }),
        ),
      )),
    );
    const workerCpu0 = await Promise.all(workers.map((w) => w.cpuMs()));
    await gate.release();
    const deadline = Date.now() + run.ctx.sizes.throughputCapMs;
    for (;;) {
      const [row] = await observer.sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM tasker.tasks WHERE state = 'complete'`;
      if ((row?.n ?? 0) >= tasks || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const processCpuMs: Record<string, number> = { orchestration: (await orchestration.cpuMs()) - orchestrationCpu0 };
    const workerCpu = await Promise.all(workers.map((w) => w.cpuMs()));
    processCpuMs['workers'] = workerCpu.reduce((sum, ms, i) => sum + ms - (workerCpu0[i] ?? 0), 0);
    const [span] = await observer.sql<{ done: number; seconds: number }[]>`
      SELECT count(*) FILTER (WHERE state = 'complete')::int AS done,
             extract(epoch FROM max(completed_at) - (SELECT min(claimed_at) FROM tasker.step_attempts))::float8 AS seconds
      FROM tasker.tasks`;
    const observerXacts = observer.transactions();
    await observer.end();
    for (const w of workers) await w.stop();
    await orchestration.stop();
    const completedSteps = (span?.done ?? 0) * STEPS_OF[spec.shape];
    const usage = await window.end({ jobs: completedSteps, observerXacts, processCpuMs });
    return [
      {
        id: spec.id,
        label: spec.label,
        unit: 'per_s',
        value: completedSteps / (span?.seconds ?? Number.NaN),
        baseline: spec.baseline,
        notes: `${completedSteps} steps of ${span?.done ?? 0} ${spec.shape} tasks; first claim → last task completion (database clock)`,
      },
      ...buildPerJobFigures(`${spec.id.replace('.throughput.', '.per_step.')}`, spec.label, usage),
    ];
  } catch (err) {
    await gate.release().catch(() => undefined);
    await observer.end().catch(() => undefined);
    for (const w of workers) await w.stop();
    await orchestration.stop();
    throw err;
  }
}

/**
 * Holds `tasker.steps` in EXCLUSIVE mode (plain reads pass; claims, which lock rows, wait) until `release()`.
 * Its one transaction is not subtracted from the per-step transaction count (1 in thousands).
 */
async function holdSteps(url: string): Promise<{ release(): Promise<void> }> {
  const sql = postgres(url, { max: 1, fetch_types: false, onnotice: () => undefined });
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const held = sql.begin(async (tx) => {
    await tx`LOCK TABLE tasker.steps IN EXCLUSIVE MODE`;
    locked();
    await opened;
  });
  await Promise.race([isLocked, held]);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      open();
      await held;
      await sql.end();
    },
  };
}

/**
 * Commit → receipt of task events by 100 watchers (half on gRPC streams, half on SSE): the watchers attach to a
 * created task, then the bench itself claims and completes its steps through the gRPC SDK. Latency = receipt
 * time − the event's timestamp (its transaction's start, so slightly more than commit → receipt).
 */
async function measureEventLatency(base: Run): Promise<Figure[]> {
  const rounds = Math.max(1, Math.round(base.ctx.sizes.chainSamples / 10));
  const run = await freshRun(base, 'events');
  return withOrchestration(run, async (orchestration) => {
    const driver = client(orchestration, 'grpc');
    const watchers = { grpc: client(orchestration, 'grpc'), rest: client(orchestration, 'rest') };
    const samples: Record<Transport, number[]> = { grpc: [], rest: [] };
    try {
      for (let round = 0; round < rounds; round += 1) {
        const task = await driver.tasks.create(taskInput('linear4', round));
        let attached = 0;
        let drivingSince = Number.POSITIVE_INFINITY;
        const streams = Array.from({ length: WATCHERS }, async (_, i) => {
          const transport: Transport = i % 2 === 0 ? 'grpc' : 'rest';
          let first = true;
          for await (const event of watchers[transport].tasks.watch(task.taskUuid, { includeSteps: true })) {
            if (event.type === 'keepalive') continue;
            // The first event (replayed creation) says the watcher is registered: what follows is live.
            if (first) {
              first = false;
              attached += 1;
            }
            if (event.occurredAt.getTime() >= drivingSince)
              samples[transport].push(Date.now() - event.occurredAt.getTime());
            if (event.type === 'task_complete') return;
          }
        });
        while (attached < WATCHERS) await new Promise((r) => setTimeout(r, 10));
        drivingSince = Date.now();
        for (let step = 0; step < 4; step += 1) {
          const claimed = await driver.workers.claim({
            workerId: 'bench-events',
            namespaces: ['bench'],
            handlerNames: [],
            maxSteps: 1,
            waitMs: 5_000,
          });
          await driver.workers.reportResults({
            workerId: 'bench-events',
            results: claimed.map((s) => ({
              kind: 'completed' as const,
              stepUuid: s.stepUuid,
              leaseToken: s.leaseToken,
              result: null,
              executionTimeMs: 0,
              metadata: null,
            })),
            claim: null,
          });
        }
        await Promise.all(streams);
      }
    } finally {
      await Promise.all([driver.close(), watchers.grpc.close(), watchers.rest.close()]);
    }
    return (['grpc', 'rest'] as const).map((transport) => ({
      id: `tasker.events.latency.${transport === 'grpc' ? 'grpc' : 'sse'}`,
      label: `task event commit → receipt, ${WATCHERS} watchers (${WATCHERS / 2} on ${transport === 'grpc' ? 'gRPC streams' : 'SSE'})`,
      unit: 'ms' as const,
      samples: samples[transport],
      notes: `${rounds} linear tasks driven by the bench; every live event of each watcher`,
    }));
  });
}

async function prepareDatabase(url: string): Promise<void> {
  const sql = createSql(url, { max: 1 });
  try {
    await migrate(sql);
  } finally {
    await sql.end();
  }
}

export const taskerSuite: Suite = {
  name: 'tasker',
  async run(ctx) {
    const run: Run = { ctx, url: '', config: await writeBenchConfig() };
    const figures: Figure[] = [];
    for (const transport of ['grpc', 'rest'] as const) {
      ctx.log(`shape latency through a ${transport} worker`);
      figures.push(...(await measureShapeLatency(run, transport)));
    }
    ctx.log('create latency');
    figures.push(...(await measureCreateLatency(run)));
    ctx.log('event latency');
    figures.push(...(await measureEventLatency(run)));
    const throughput: ThroughputSpec[] = [
      {
        id: 'tasker.throughput.grpc.w1.single',
        label: 'single-step tasks, 1 gRPC worker, defaults',
        shape: 'single',
        transport: 'grpc',
        workers: 1,
        concurrency: DEFAULT_CONCURRENCY,
        baseline: 'graphile.throughput.default',
      },
      {
        id: 'tasker.throughput.grpc.w2.single',
        label: 'single-step tasks, 2 gRPC workers, defaults',
        shape: 'single',
        transport: 'grpc',
        workers: 2,
        concurrency: DEFAULT_CONCURRENCY,
        baseline: 'graphile.throughput.default',
      },
      {
        id: 'tasker.throughput.grpc.w1.linear4',
        label: '4-step tasks, 1 gRPC worker, defaults',
        shape: 'linear4',
        transport: 'grpc',
        workers: 1,
        concurrency: DEFAULT_CONCURRENCY,
        baseline: 'graphile.throughput.default',
      },
      {
        id: 'tasker.throughput.grpc.w2.linear4',
        label: '4-step tasks, 2 gRPC workers, defaults',
        shape: 'linear4',
        transport: 'grpc',
        workers: 2,
        concurrency: DEFAULT_CONCURRENCY,
        baseline: 'graphile.throughput.default',
      },
      {
        id: 'tasker.throughput.rest.w1.single',
        label: 'single-step tasks, 1 REST worker, defaults',
        shape: 'single',
        transport: 'rest',
        workers: 1,
        concurrency: DEFAULT_CONCURRENCY,
        baseline: 'graphile.throughput.default',
      },
      {
        id: 'tasker.throughput.grpc.w1.single.tuned',
        label: `single-step tasks, 1 gRPC worker, concurrency ${TUNED_CONCURRENCY}`,
        shape: 'single',
        transport: 'grpc',
        workers: 1,
        concurrency: TUNED_CONCURRENCY,
        baseline: 'graphile.throughput.tuned',
      },
      {
        id: 'tasker.throughput.grpc.w2.single.tuned',
        label: `single-step tasks, 2 gRPC workers, concurrency ${TUNED_CONCURRENCY}`,
        shape: 'single',
        transport: 'grpc',
        workers: 2,
        concurrency: TUNED_CONCURRENCY,
        baseline: 'graphile.throughput.tuned',
      },
    ];
    const selected = ctx.mode === 'smoke' ? throughput.slice(0, 1) : throughput;
    for (const spec of selected) {
      ctx.log(`throughput: ${spec.label}`);
      figures.push(...(await measureThroughput(run, spec)));
    }
    return { figures };
  },
};
