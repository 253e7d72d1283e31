// A task's plan (docs/dynamic-workflows.md): what SQL needs to grow the task later without TypeScript. Built
// once per cached template; a template without dynamic steps has none, and its tasks get every step at once.
import type { TemplateDefinition } from '@tasker/shared';
import {
  decisionSegment,
  defaultWorkerTemplate,
  hasDynamicSteps,
  initialStepNames,
  type DynamicNode,
} from '@tasker/shared/domain/template-dynamic';
import type { StepInsert } from '../repositories/tasks.js';

/** config.dynamic, copied into each plan so a task keeps the limits it was created under. */
export interface DynamicLimits {
  max_steps_per_decision: number;
  max_workers_per_batch: number;
  max_expansion_depth: number;
}

/** One template step as the plan stores it (snake_case: SQL reads it). */
export interface PlanStep {
  /** Template position: steps created together get UUIDs in this order. */
  ord: number;
  type: string;
  deps: string[];
  initial: boolean;
  /** Decisions: the steps the outcome may name. */
  segment?: string[];
  /** Batchables: the batch_worker an outcome without `worker_template_name` means (null: it must name one). */
  worker_template?: string | null;
  /** Batch workers. */
  batch?: { batch_size: number; parallelism: number; cursor_field: string; failure_strategy: string };
  /** Steps created later: their row as create_task would insert it. */
  spec?: Omit<StepInsert, 'parents' | 'name'>;
}

export interface TaskPlan {
  limits: DynamicLimits;
  steps: Record<string, PlanStep>;
}

export interface TaskShape {
  /** What create_task inserts now. */
  steps: StepInsert[];
  /** null for a template without dynamic steps (no plan row, create_task unchanged). */
  plan: TaskPlan | null;
}

/** Splits a template into the steps a task starts with and the plan for the rest. */
export function taskShapeOf(definition: TemplateDefinition, rows: StepInsert[], limits: DynamicLimits): TaskShape {
  if (!hasDynamicSteps(definition.steps)) return { steps: rows, plan: null };
  const nodes: DynamicNode[] = definition.steps.map((s) => ({
    name: s.name,
    type: s.type,
    dependencies: s.dependencies,
  }));
  const initial = new Set(initialStepNames(nodes));
  const steps: Record<string, PlanStep> = {};
  definition.steps.forEach((s, ord) => {
    const entry: PlanStep = { ord, type: s.type, deps: [...s.dependencies], initial: initial.has(s.name) };
    if (s.type === 'decision') entry.segment = decisionSegment(nodes, s.name);
    if (s.type === 'batchable') entry.worker_template = defaultWorkerTemplate(s, nodes);
    if (s.batchConfig !== undefined) {
      entry.batch = {
        batch_size: s.batchConfig.batchSize,
        parallelism: s.batchConfig.parallelism,
        cursor_field: s.batchConfig.cursorField,
        failure_strategy: s.batchConfig.failureStrategy,
      };
    }
    if (!entry.initial) {
      const { parents: _parents, name: _name, ...spec } = rows[ord] as StepInsert;
      entry.spec = spec;
    }
    steps[s.name] = entry;
  });
  // A convergence step's dependencies that do not exist yet get their edges when they appear.
  const startWith = rows
    .filter((r) => initial.has(r.name))
    .map((r) => ({ ...r, parents: r.parents.filter((p) => initial.has(p)) }));
  return { steps: startWith, plan: { limits, steps } };
}
