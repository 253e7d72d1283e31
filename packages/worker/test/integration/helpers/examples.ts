// The example workflows as the e2e tests drive them: how to create each, and what it must end with.
import { randomUUID } from 'node:crypto';
import type { TaskerClient } from '@tasker/client';
import type { JsonObject, Step, Task } from '@tasker/shared';
import { until } from './processes.js';

export interface ExampleWorkflow {
  key: string;
  namespace: string;
  name: string;
  /** Step name → expected `value` of its result, for input n. */
  expected(n: bigint): Record<string, string>;
}

const pow = (n: bigint, e: bigint) => (n ** e).toString();

export const COMPLETING_EXAMPLES: ExampleWorkflow[] = [
  {
    key: 'linear',
    namespace: 'linear_workflow',
    name: 'mathematical_sequence',
    expected: (n) => ({ linear_step_1: pow(n, 2n), linear_step_4: pow(n, 16n) }),
  },
  {
    key: 'diamond',
    namespace: 'diamond_workflow',
    name: 'parallel_computation',
    expected: (n) => ({ diamond_branch_b: pow(n, 4n), diamond_end: pow(n, 8n) }),
  },
  {
    key: 'dag',
    namespace: 'dag_workflow',
    name: 'complex_dag',
    expected: (n) => ({ dag_validate: pow(n, 8n), dag_finalize: pow(n, 24n) }),
  },
  {
    key: 'tree',
    namespace: 'tree_workflow',
    name: 'hierarchical_tree',
    expected: (n) => ({ tree_leaf_g: pow(n, 8n), tree_final_convergence: pow(n, 32n) }),
  },
];

export const TRANSIENT = { namespace: 'retry_demo', name: 'flaky_service' };
export const PERMANENT = { namespace: 'failure_demo', name: 'rejected_order' };
export const RESULT_SCHEMA = { namespace: 'schema_demo', name: 'checked_results' };

const TERMINAL = new Set(['complete', 'error', 'cancelled', 'resolved_manually']);

export function createExampleTask(
  client: TaskerClient,
  workflow: { namespace: string; name: string },
  context: JsonObject,
): Promise<Task> {
  return client.tasks.create({
    namespace: workflow.namespace,
    name: workflow.name,
    version: '1.0.0',
    context,
    initiator: 'worker-e2e',
    sourceSystem: 'vitest',
    reason: 'end-to-end test',
    // Unique per call: the same example runs over both transports with the same input.
    idempotencyKey: randomUUID(),
  });
}

export function awaitTerminal(client: TaskerClient, taskUuid: string, timeoutMs = 30_000): Promise<Task> {
  return until(
    async () => {
      const task = await client.tasks.get(taskUuid);
      return TERMINAL.has(task.state) ? task : undefined;
    },
    timeoutMs,
    `task ${taskUuid} to finish`,
    100,
  );
}

export async function stepsByName(client: TaskerClient, taskUuid: string): Promise<Record<string, Step>> {
  return Object.fromEntries((await client.steps.list(taskUuid)).map((s) => [s.name, s]));
}

export function valueOf(step: Step | undefined): unknown {
  const r = step?.results;
  return typeof r === 'object' && r !== null && !Array.isArray(r) ? r['value'] : undefined;
}
