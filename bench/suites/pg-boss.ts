// pg-boss 12.38.0 as a baseline, in a database of its own. Completed jobs stay in pgboss.job with state
// 'completed' (deleted days later), which is where completion is observed. Its defaults poll every 2 s and
// fetch one job per poll, so the default throughput is measured over a fixed window rather than to the end.
import { PgBoss, type ConstructorOptions, type WorkOptions } from 'pg-boss';
import { CHAIN_LENGTH, collectChainSamples, createMailbox } from '../lib/chain.js';
import { createCountdown } from '../lib/countdown.js';
import { openObserver, pollUntil, type Observer } from '../lib/pg.js';
import { buildPerJobFigures } from '../lib/resources.js';
import type { Figure, Suite, SuiteContext } from '../lib/suite.js';

const SCHEMA = 'pgboss';
const TUNED: WorkOptions = {
  batchSize: 32,
  localConcurrency: 4,
  burstWhenBatchFull: true,
  pollingIntervalSeconds: 0.5,
};

async function startBoss(ctx: SuiteContext, url: string, options: Partial<ConstructorOptions> = {}): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: url, schema: SCHEMA, ...options });
  boss.on('error', (err) => ctx.log(`pg-boss error: ${err.message}`));
  boss.on('warning', (warning) => ctx.log(`pg-boss warning: ${warning.message}`));
  await boss.start();
  return boss;
}

interface ChainPayload {
  chain: number;
  step: number;
}

async function measureChainLatency(ctx: SuiteContext): Promise<number[]> {
  const url = await ctx.createDatabase('latency');
  // LISTEN/NOTIFY is opt-in (instance + queue); without it every hop waits for a 2 s poll.
  const boss = await startBoss(ctx, url, { useListenNotify: true });
  const finished = createMailbox<string>();
  const observer = openObserver(url);
  try {
    await boss.createQueue('chain', { notify: true });
    await boss.work<ChainPayload>('chain', async ([job]) => {
      if (job === undefined) return;
      const { chain, step } = job.data;
      if (step < CHAIN_LENGTH) await boss.send('chain', { chain, step: step + 1 });
      else finished.deliver(String(chain), job.id);
    });
    return await collectChainSamples(ctx.sizes, async (chain) => {
      const done = finished.receive(String(chain), 30_000);
      const started = performance.now();
      await boss.send('chain', { chain, step: 1 });
      const lastJobId = await done;
      await pollUntil(
        async () =>
          (
            await observer.sql`SELECT 1 FROM pgboss.job WHERE name = 'chain' AND id = ${lastJobId} AND state = 'completed'`
          ).length > 0,
        0,
        10_000,
        `completion of job ${lastJobId}`,
      );
      return performance.now() - started;
    });
  } finally {
    await boss.stop();
    await observer.end();
  }
}

interface ThroughputRun {
  variant: 'default' | 'tuned';
  work: WorkOptions;
  describe: string;
  /** Rate bounded by the poll interval: measure over this window instead of until the last job. */
  windowMs?: number;
}

async function countCompleted(observer: Observer, queue: string): Promise<number> {
  const [row] = await observer.sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM pgboss.job WHERE name = ${queue} AND state = 'completed'`;
  return row?.n ?? 0;
}

async function measureThroughput(ctx: SuiteContext, spec: ThroughputRun): Promise<Figure[]> {
  const jobs = ctx.sizes.throughputJobs;
  const queue = `tp-${spec.variant}`;
  const url = await ctx.createDatabase(`tp_${spec.variant}`);
  const setup = await startBoss(ctx, url);
  try {
    await setup.createQueue(queue);
    for (let i = 0; i < jobs; i += 1000)
      await setup.insert(
        queue,
        Array.from({ length: Math.min(1000, jobs - i) }, () => ({ data: {} })),
      );
  } finally {
    await setup.stop();
  }

  const window = await ctx.resources.begin(url);
  const boss = await startBoss(ctx, url);
  const observer = openObserver(url);
  const handled = createCountdown(jobs);
  const fetches: { at: number; jobs: number }[] = [];
  const started = performance.now();
  const budgetMs = spec.windowMs ?? ctx.sizes.throughputCapMs;
  let rate: number;
  let measuredAs: string;
  try {
    await boss.work(queue, spec.work, async (batch) => {
      handled.add(batch.length);
      fetches.push({ at: performance.now(), jobs: batch.length });
    });
    if (await handled.wait(budgetMs)) {
      await pollUntil(
        async () => (await countCompleted(observer, queue)) === jobs,
        2,
        budgetMs,
        'the last completions',
      );
      rate = jobs / ((performance.now() - started) / 1000);
      measuredAs = 'work() → every job seen completed (2 ms polls once every handler has run)';
    } else if (spec.windowMs !== undefined) {
      // Poll-bound: one fetch per interval, so the rate is the spacing of fetches (whole-window completions
      // would count the fetch at t = 0 as if it had taken an interval, overstating it).
      const [first, last] = [fetches[0], fetches[fetches.length - 1]];
      if (first === undefined || last === undefined || fetches.length < 2) {
        throw new Error(`fewer than 2 fetches in the ${budgetMs} ms window: no rate to report`);
      }
      rate = (handled.count - first.jobs) / ((last.at - first.at) / 1000);
      measuredAs = `steady state in a ${budgetMs} ms window: jobs after the first fetch / time from the first to the last handler call (${handled.count} jobs, ${fetches.length} fetches)`;
    } else {
      const done = await countCompleted(observer, queue);
      rate = done / ((performance.now() - started) / 1000);
      measuredAs = `capped: ${done} jobs completed in ${budgetMs} ms from work()`;
    }
  } finally {
    await boss.stop();
  }
  const completedAtStop = await countCompleted(observer, queue);
  await observer.end();
  const usage = await window.end({ jobs: completedAtStop, observerXacts: observer.transactions() });
  return [
    {
      id: `pgboss.throughput.${spec.variant}`,
      label: `pg-boss: no-op jobs/s, ${spec.variant}`,
      unit: 'per_s',
      value: rate,
      baseline: spec.variant === 'default' ? 'floor.throughput.default' : 'floor.throughput.batched',
      notes: `${jobs} jobs inserted first (insert); ${spec.describe}; ${measuredAs}`,
    },
    ...buildPerJobFigures(
      `pgboss.per_job.${spec.variant}`,
      `pg-boss ${spec.variant}`,
      usage,
      spec.variant === 'default' ? 'floor.per_job.default' : 'floor.per_job.batched',
    ),
  ];
}

export const pgBossSuite: Suite = {
  name: 'pgboss',
  async run(ctx) {
    ctx.log('4-job chain latency');
    const latency = await measureChainLatency(ctx);
    ctx.log('throughput, library defaults (poll-bound window)');
    const defaults = await measureThroughput(ctx, {
      variant: 'default',
      work: {},
      describe: 'library defaults: batchSize 1, localConcurrency 1, pollingIntervalSeconds 2, no LISTEN/NOTIFY',
      windowMs: ctx.sizes.pollBoundWindowMs,
    });
    ctx.log('throughput, tuned for batching');
    const tuned = await measureThroughput(ctx, {
      variant: 'tuned',
      work: TUNED,
      describe: `batchSize ${TUNED.batchSize}, localConcurrency ${TUNED.localConcurrency}, burstWhenBatchFull, pollingIntervalSeconds ${TUNED.pollingIntervalSeconds}`,
    });
    return {
      figures: [
        {
          id: 'pgboss.chain4.latency',
          label: 'pg-boss: 4-job chain, enqueue → last complete',
          unit: 'ms',
          samples: latency,
          baseline: 'floor.chain4.latency',
          notes:
            'useListenNotify + queue notify (opt-in; defaults would poll every 2 s), batchSize 1; job k’s handler sends job k+1; from send() of job 1 until job 4 is seen completed (back-to-back polls started when its handler resolved)',
        },
        ...defaults,
        ...tuned,
      ],
    };
  },
};
