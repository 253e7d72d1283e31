// The dynamic examples end to end with real processes (an orchestration process and a `tasker-worker` process
// per transport, with the example handlers): the expense decision and its convergence step on each path, the 1000-row CSV in
// five batches with its aggregator, and the decision that picks a batch pipeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitTerminal, createExampleTask, stepsByName } from './helpers/examples.js';
import { startOrchestration, startWorkerProcess, type Orchestration, type WorkerProcess } from './helpers/processes.js';

const EXPENSES = { namespace: 'finance_approvals', name: 'expense_routing' };
const INVENTORY = { namespace: 'catalog_batch', name: 'sku_inventory_rollup' };
const PIPELINE = { namespace: 'pipeline_demo', name: 'pipeline_choice' };

/** The inventory value of rows [first, end) of the generated CSV, computed here from its definition. */
function inventoryValue(first: number, end: number): number {
  let cents = 0;
  for (let row = first; row < end; row += 1) cents += ((row % 10) + 1) * (100 + (row % 7) * 25);
  return cents;
}

let orchestration: Orchestration;
beforeAll(async () => {
  orchestration = await startOrchestration();
}, 60_000);
afterAll(async () => {
  await orchestration?.stop();
});

describe.each(['grpc', 'rest'] as const)('dynamic examples through a %s worker process', (transport) => {
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    worker = await startWorkerProcess(orchestration, transport);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop('SIGKILL');
  });

  it('routes expenses: the chosen branches exist, the others never do, record_outcome sees exactly them', async () => {
    const client = orchestration.client;
    const cases = [
      { amount: 500, steps: ['check_expense', 'choose_path', 'instant_ok', 'record_outcome'], approvedBy: ['auto'] },
      {
        amount: 2500,
        steps: ['check_expense', 'choose_path', 'lead_signoff', 'record_outcome'],
        approvedBy: ['team_lead'],
      },
      {
        amount: 7200,
        steps: ['check_expense', 'choose_path', 'controller_signoff', 'lead_signoff', 'record_outcome'],
        approvedBy: ['controller', 'team_lead'],
      },
    ];
    const tasks = await Promise.all(
      cases.map((c) => createExampleTask(client, EXPENSES, { amount: c.amount, submitter: 'ann' })),
    );
    for (const [i, task] of tasks.entries()) {
      const c = cases[i]!;
      expect((await awaitTerminal(client, task.taskUuid)).state, `amount ${c.amount}`).toBe('complete');
      const steps = await stepsByName(client, task.taskUuid);
      expect(Object.keys(steps).sort(), `amount ${c.amount}`).toEqual([...c.steps].sort());
      for (const step of Object.values(steps)) expect(step.state).toBe('complete');
      expect(steps['record_outcome']?.results).toEqual({ approved: true, approved_by: c.approvedBy, amount: c.amount });
    }
  }, 60_000);

  it('values the 1000-row CSV in five batches of 200 and sums them by worker name', async () => {
    const client = orchestration.client;
    const task = await createExampleTask(client, INVENTORY, { rows: 1000 });
    expect((await awaitTerminal(client, task.taskUuid)).state).toBe('complete');
    const steps = await stepsByName(client, task.taskUuid);
    const workers = ['001', '002', '003', '004', '005'].map((id) => `rollup_chunk_${id}`);
    expect(Object.keys(steps).sort()).toEqual(['merge_rollups', ...workers, 'scan_file'].sort());
    const batches = Object.fromEntries(
      workers.map((name, i) => [
        name,
        { rows: 200, inventory_value_cents: inventoryValue(1 + i * 200, 201 + i * 200) },
      ]),
    );
    expect(steps['merge_rollups']?.results).toEqual({
      batches,
      total_rows: 1000,
      inventory_value_cents: inventoryValue(1, 1001),
    });
    expect(steps['rollup_chunk_003']?.results).toMatchObject({ batch_id: '003', rows: 200 });
  }, 60_000);

  it('runs the no-op worker rollup_chunk_000 for an empty file', async () => {
    const client = orchestration.client;
    const task = await createExampleTask(client, INVENTORY, { rows: 0 });
    expect((await awaitTerminal(client, task.taskUuid)).state).toBe('complete');
    const steps = await stepsByName(client, task.taskUuid);
    expect(Object.keys(steps).sort()).toEqual(['merge_rollups', 'rollup_chunk_000', 'scan_file']);
    expect(steps['merge_rollups']?.results).toEqual({
      batches: { rollup_chunk_000: { rows: 0, inventory_value_cents: 0 } },
      total_rows: 0,
      inventory_value_cents: 0,
    });
  }, 60_000);

  it('lets a decision pick the batch pipeline; only that pipeline is created, and publish reports it', async () => {
    const client = orchestration.client;
    const [bulk, quick] = await Promise.all([
      createExampleTask(client, PIPELINE, { items: 1000 }),
      createExampleTask(client, PIPELINE, { items: 120 }),
    ]);
    expect((await awaitTerminal(client, bulk!.taskUuid)).state).toBe('complete');
    expect((await awaitTerminal(client, quick!.taskUuid)).state).toBe('complete');
    const bulkSteps = await stepsByName(client, bulk!.taskUuid);
    expect(Object.keys(bulkSteps).sort()).toEqual(
      [
        'count_items',
        'choose_pipeline',
        'bulk_scan',
        'bulk_chunk_001',
        'bulk_chunk_002',
        'bulk_chunk_003',
        'bulk_chunk_004',
        'bulk_merge',
        'publish',
      ].sort(),
    );
    expect(bulkSteps['bulk_chunk_002']?.results).toEqual({ count: 250, sum: (250 * (251 + 500)) / 2 });
    expect(bulkSteps['publish']?.results).toEqual({ pipeline: 'bulk', workers: 4, sum: (1000 * 1001) / 2 });
    const quickSteps = await stepsByName(client, quick!.taskUuid);
    expect(Object.keys(quickSteps).filter((n) => n.startsWith('bulk'))).toEqual([]);
    expect(
      Object.keys(quickSteps)
        .filter((n) => n.startsWith('quick_chunk_'))
        .sort(),
    ).toEqual(['quick_chunk_001', 'quick_chunk_002', 'quick_chunk_003']);
    expect(quickSteps['publish']?.results).toEqual({ pipeline: 'quick', workers: 3, sum: (120 * 121) / 2 });
  }, 60_000);
});
