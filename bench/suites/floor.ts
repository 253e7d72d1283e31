// The PostgreSQL floor: the claim/complete queue pattern issued directly with postgres.js, durable commits,
// nothing else. Every other system does at least this much work per job, so its figures are the baseline
// the others are divided by.
import type { Sql } from 'postgres';
import { CHAIN_LENGTH, collectChainSamples, createMailbox } from '../lib/chain.js';
import { openSql } from '../lib/pg.js';
import { buildPerJobFigures } from '../lib/resources.js';
import type { Figure, Suite, SuiteContext } from '../lib/suite.js';

const CHANNEL = 'floor_jobs';
const BATCH = 32;
const BATCHED_LANES = 4;

const SCHEMA = `
CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  chain_id bigint,
  step int NOT NULL DEFAULT 1,
  state text NOT NULL DEFAULT 'ready',
  locked_by text,
  locked_at timestamptz,
  completed_at timestamptz
);
CREATE INDEX jobs_ready_idx ON jobs (id) WHERE state = 'ready';`;

interface ClaimedJob {
  id: string;
  chain_id: string | null;
  step: number;
}

function claimJobs(sql: Sql, workerId: string, limit: number): Promise<ClaimedJob[]> {
  return sql<ClaimedJob[]>`
    UPDATE jobs SET state = 'running', locked_by = ${workerId}, locked_at = now()
    WHERE id IN (SELECT id FROM jobs WHERE state = 'ready' ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING id, chain_id, step`;
}

/** Completes one chain job and, in the same statement, enqueues the next step and notifies the claimer. */
async function completeChainJob(sql: Sql, workerId: string, id: string): Promise<void> {
  await sql`
    WITH done AS (
      UPDATE jobs SET state = 'done', completed_at = now() WHERE id = ${id} AND locked_by = ${workerId} RETURNING chain_id, step
    ), next AS (
      INSERT INTO jobs (chain_id, step) SELECT chain_id, step + 1 FROM done WHERE step < ${CHAIN_LENGTH} RETURNING id
    )
    SELECT pg_notify(${CHANNEL}, id::text) FROM next`;
}

async function createSchema(url: string): Promise<void> {
  const sql = openSql(url);
  try {
    await sql.unsafe(SCHEMA);
  } finally {
    await sql.end();
  }
}

/** One waiting claimer: claims one job at a time, sleeps on LISTEN when the queue is empty. */
async function measureChainLatency(ctx: SuiteContext): Promise<number[]> {
  const url = await ctx.createDatabase('latency');
  await createSchema(url);
  const sql = openSql(url, 2);
  const finished = createMailbox<number>();
  const workerId = 'floor-chain';
  let generation = 0;
  let wake: (() => void) | undefined;
  let stopping = false;
  await sql.listen(CHANNEL, () => {
    generation += 1;
    wake?.();
  });
  const worker = (async () => {
    while (!stopping) {
      const seen = generation;
      const [job] = await claimJobs(sql, workerId, 1);
      if (job === undefined) {
        // A notification between the empty claim and here bumped the generation: claim again at once.
        if (generation === seen && !stopping) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, 1000);
          });
          clearTimeout(timer);
          wake = undefined;
        }
        continue;
      }
      await completeChainJob(sql, workerId, job.id);
      if (job.step === CHAIN_LENGTH) finished.deliver(String(job.chain_id), performance.now());
    }
  })();
  try {
    return await collectChainSamples(ctx.sizes, async (chain) => {
      const done = finished.receive(String(chain), 30_000);
      const started = performance.now();
      await sql`WITH ins AS (INSERT INTO jobs (chain_id, step) VALUES (${chain}, 1) RETURNING id) SELECT pg_notify(${CHANNEL}, id::text) FROM ins`;
      return (await done) - started;
    });
  } finally {
    stopping = true;
    wake?.();
    await worker;
    await sql.end();
  }
}

interface ThroughputRun {
  variant: 'default' | 'batched';
  lanes: number;
  batch: number;
}

async function measureThroughput(ctx: SuiteContext, run: ThroughputRun): Promise<Figure[]> {
  const jobs = ctx.sizes.throughputJobs;
  const url = await ctx.createDatabase(`tp_${run.variant}`);
  await createSchema(url);
  const setup = openSql(url);
  await setup`INSERT INTO jobs (step) SELECT 1 FROM generate_series(1, ${jobs})`;
  await setup.end();

  const window = await ctx.resources.begin(url);
  const sql = openSql(url, run.lanes);
  const started = performance.now();
  const deadline = started + ctx.sizes.throughputCapMs;
  let completed = 0;
  let lastCompletion = started;
  await Promise.all(
    Array.from({ length: run.lanes }, async (_, lane) => {
      const workerId = `floor-${run.variant}-${lane}`;
      // SKIP LOCKED: an empty claim means every remaining job is done or held by another lane.
      while (performance.now() < deadline) {
        const claimed = await claimJobs(sql, workerId, run.batch);
        if (claimed.length === 0) return;
        const [first] = claimed;
        if (claimed.length === 1 && first !== undefined) {
          await sql`UPDATE jobs SET state = 'done', completed_at = now() WHERE id = ${first.id} AND locked_by = ${workerId}`;
        } else {
          const ids = claimed.map((j) => j.id);
          await sql`UPDATE jobs SET state = 'done', completed_at = now() WHERE id = ANY(${ids}::bigint[]) AND locked_by = ${workerId}`;
        }
        completed += claimed.length;
        lastCompletion = performance.now();
      }
    }),
  );
  await sql.end();
  const usage = await window.end({ jobs: completed });
  const capped = completed < jobs ? ` (capped at ${ctx.sizes.throughputCapMs} ms: ${completed} of ${jobs})` : '';
  const how =
    run.batch === 1
      ? '1 lane: claim 1, one UPDATE per job'
      : `${run.lanes} lanes: claim ${run.batch} (SKIP LOCKED), one UPDATE … WHERE id = ANY($ids) per batch`;
  return [
    {
      id: `floor.throughput.${run.variant}`,
      label: `floor: no-op jobs/s, ${run.variant}`,
      unit: 'per_s',
      value: completed / ((lastCompletion - started) / 1000),
      notes: `${jobs} jobs inserted first; ${how}; first claim → last completing statement returned${capped}`,
    },
    ...buildPerJobFigures(`floor.per_job.${run.variant}`, `floor ${run.variant}`, usage),
  ];
}

export const floorSuite: Suite = {
  name: 'floor',
  async run(ctx) {
    ctx.log('4-job chain latency');
    const latency = await measureChainLatency(ctx);
    ctx.log('throughput, one job per claim');
    const single = await measureThroughput(ctx, { variant: 'default', lanes: 1, batch: 1 });
    ctx.log(`throughput, claims of ${BATCH} on ${BATCHED_LANES} lanes`);
    const batched = await measureThroughput(ctx, { variant: 'batched', lanes: BATCHED_LANES, batch: BATCH });
    return {
      figures: [
        {
          id: 'floor.chain4.latency',
          label: 'floor: 4-job chain, enqueue → last complete',
          unit: 'ms',
          samples: latency,
          notes:
            'one claimer (claim 1, LISTEN when empty); the completing statement of job k inserts job k+1 and NOTIFYs (data-modifying CTE); from the INSERT of job 1 being sent until the completing UPDATE of job 4 returns',
        },
        ...single,
        ...batched,
      ],
    };
  },
};
