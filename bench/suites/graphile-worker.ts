// graphile-worker 0.18.0 (LISTEN/NOTIFY on insert, jobs deleted on completion) as a baseline, in a database
// of its own. Job completion is not awaited by its worker (completeJob runs after the task resolves), so
// "completed" here is observed in the database: the job row is gone.
import { Logger, makeWorkerUtils, run, runMigrations, type RunnerOptions, type TaskList } from 'graphile-worker';
import { CHAIN_LENGTH, collectChainSamples, createMailbox } from '../lib/chain.js';
import { createCountdown } from '../lib/countdown.js';
import { openObserver, pollUntil } from '../lib/pg.js';
import { buildPerJobFigures } from '../lib/resources.js';
import type { Figure, Suite, SuiteContext } from '../lib/suite.js';

const TUNED = { concurrency: 10, maxPoolSize: 12, localQueueSize: 32, completeJobBatchDelay: 0 };

/** Errors and warnings go to the bench log; the per-job info lines would cost more than the jobs. */
function createQuietLogger(ctx: SuiteContext): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') ctx.log(`graphile-worker ${level}: ${message}`);
  });
}

/** Options every run shares: no signal handlers (the harness owns the process), no crontab file lookup. */
function buildRunOptions(ctx: SuiteContext, connectionString: string, taskList: TaskList): RunnerOptions {
  return { connectionString, taskList, logger: createQuietLogger(ctx), noHandleSignals: true, parsedCronItems: [] };
}

interface ChainPayload {
  chain: number;
  step: number;
}

async function measureChainLatency(ctx: SuiteContext): Promise<number[]> {
  const url = await ctx.createDatabase('latency');
  await runMigrations({ connectionString: url, logger: createQuietLogger(ctx) });
  const finished = createMailbox<string>();
  const taskList: TaskList = {
    chain: async (payload, helpers) => {
      const { chain, step } = payload as ChainPayload;
      if (step < CHAIN_LENGTH) await helpers.addJob('chain', { chain, step: step + 1 });
      else finished.deliver(String(chain), helpers.job.id);
    },
  };
  // Library defaults: concurrency 1, pollInterval 2000 (new jobs arrive by LISTEN/NOTIFY, not the poll).
  const runner = await run(buildRunOptions(ctx, url, taskList));
  const observer = openObserver(url);
  try {
    return await collectChainSamples(ctx.sizes, async (chain) => {
      const done = finished.receive(String(chain), 30_000);
      const started = performance.now();
      await runner.addJob('chain', { chain, step: 1 });
      const lastJobId = await done;
      await pollUntil(
        async () =>
          (await observer.sql`SELECT 1 FROM graphile_worker._private_jobs WHERE id = ${lastJobId}`).length === 0,
        0,
        10_000,
        `deletion of job ${lastJobId}`,
      );
      return performance.now() - started;
    });
  } finally {
    await runner.stop();
    await observer.end();
  }
}

interface ThroughputRun {
  variant: 'default' | 'tuned';
  options: Partial<RunnerOptions>;
  describe: string;
}

async function measureThroughput(ctx: SuiteContext, spec: ThroughputRun): Promise<Figure[]> {
  const jobs = ctx.sizes.throughputJobs;
  const url = await ctx.createDatabase(`tp_${spec.variant}`);
  const utils = await makeWorkerUtils({ connectionString: url, logger: createQuietLogger(ctx) });
  try {
    await utils.migrate();
    for (let i = 0; i < jobs; i += 1000) {
      await utils.addJobs(
        Array.from({ length: Math.min(1000, jobs - i) }, () => ({ identifier: 'noop', payload: {} })),
      );
    }
  } finally {
    await utils.release();
  }

  const window = await ctx.resources.begin(url);
  const handled = createCountdown(jobs);
  const started = performance.now();
  const runner = await run({
    ...buildRunOptions(ctx, url, {
      noop: async () => {
        handled.add(1);
      },
    }),
    ...spec.options,
  });
  const observer = openObserver(url);
  const countLeft = async (): Promise<number> => {
    const [row] = await observer.sql<
      { left: number }[]
    >`SELECT count(*)::int AS left FROM graphile_worker._private_jobs`;
    return row?.left ?? Number.NaN;
  };
  let rate: number;
  let measuredAs: string;
  try {
    // Every task has run once the countdown is full; the last completions are then awaited in the database.
    if (await handled.wait(ctx.sizes.throughputCapMs)) {
      await pollUntil(async () => (await countLeft()) === 0, 2, ctx.sizes.throughputCapMs, 'the last completions');
      rate = jobs / ((performance.now() - started) / 1000);
      measuredAs = 'run() → no job row left (2 ms polls once every task has run)';
    } else {
      const done = jobs - (await countLeft());
      rate = done / ((performance.now() - started) / 1000);
      measuredAs = `capped: ${done} jobs completed in ${ctx.sizes.throughputCapMs} ms from run()`;
    }
  } finally {
    await runner.stop();
  }
  const completedAtStop = jobs - (await countLeft());
  await observer.end();
  const usage = await window.end({ jobs: completedAtStop, observerXacts: observer.transactions() });
  return [
    {
      id: `graphile.throughput.${spec.variant}`,
      label: `graphile-worker: no-op jobs/s, ${spec.variant}`,
      unit: 'per_s',
      value: rate,
      baseline: spec.variant === 'default' ? 'floor.throughput.default' : 'floor.throughput.batched',
      notes: `${jobs} jobs inserted first (addJobs); ${spec.describe}; ${measuredAs}`,
    },
    ...buildPerJobFigures(
      `graphile.per_job.${spec.variant}`,
      `graphile-worker ${spec.variant}`,
      usage,
      spec.variant === 'default' ? 'floor.per_job.default' : 'floor.per_job.batched',
    ),
  ];
}

export const graphileWorkerSuite: Suite = {
  name: 'graphile',
  async run(ctx) {
    ctx.log('4-job chain latency');
    const latency = await measureChainLatency(ctx);
    ctx.log('throughput, library defaults');
    const defaults = await measureThroughput(ctx, {
      variant: 'default',
      options: {},
      describe: 'library defaults: concurrency 1, no local queue',
    });
    ctx.log('throughput, tuned for batching');
    const tuned = await measureThroughput(ctx, {
      variant: 'tuned',
      options: {
        concurrency: TUNED.concurrency,
        maxPoolSize: TUNED.maxPoolSize,
        preset: {
          worker: { localQueue: { size: TUNED.localQueueSize }, completeJobBatchDelay: TUNED.completeJobBatchDelay },
        },
      },
      describe: `concurrency ${TUNED.concurrency}, maxPoolSize ${TUNED.maxPoolSize}, localQueue.size ${TUNED.localQueueSize}, completeJobBatchDelay ${TUNED.completeJobBatchDelay}`,
    });
    return {
      figures: [
        {
          id: 'graphile.chain4.latency',
          label: 'graphile-worker: 4-job chain, enqueue → last complete',
          unit: 'ms',
          samples: latency,
          baseline: 'floor.chain4.latency',
          notes:
            'library defaults (concurrency 1, LISTEN/NOTIFY); job k’s task adds job k+1 (helpers.addJob); from runner.addJob of job 1 until job 4’s row is seen deleted (back-to-back polls started when job 4’s task resolved)',
        },
        ...defaults,
        ...tuned,
      ],
    };
  },
};
