// Result shapes of dynamic steps (docs/dynamic-workflows.md): what a decision or batchable handler returns so
// the engine grows the task, and what a batch worker reads to learn its range. Plain functions over JSON; the
// engine validates the same shapes again when the result is reported.
import {
  FAILURE_STRATEGIES,
  isJsonObject,
  type FailureStrategy,
  type JsonObject,
  type JsonValue,
} from '@tasker/shared';
import { PermanentError } from './errors.js';
import type { StepContext } from './types.js';

/** One worker's range, in the wire form: `start_cursor` inclusive, `end_cursor` exclusive, both any JSON. */
export interface CursorConfig {
  [key: string]: JsonValue;
  batch_id: string;
  start_cursor: JsonValue;
  end_cursor: JsonValue;
  batch_size: number;
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

function invalidOutcome(message: string): PermanentError {
  return new PermanentError(message, { errorType: 'invalid_outcome' });
}

/**
 * A decision's result creating the named branches: `{...extra, decision_point_outcome: {type: 'create_steps',
 * step_names}}`. `extra` keys stay ordinary result data. Throws a PermanentError for an empty or repeated list
 * (use {@link noBranches} for none).
 */
export function decisionOutcome(stepNames: readonly string[], extra: JsonObject = {}): JsonObject {
  if (stepNames.length === 0)
    throw invalidOutcome('decisionOutcome needs at least one step name (noBranches() for none)');
  const repeated = stepNames.filter((n, i) => stepNames.indexOf(n) !== i);
  if (repeated.length > 0) throw invalidOutcome(`decisionOutcome names ${repeated.join(', ')} twice`);
  return { ...extra, decision_point_outcome: { type: 'create_steps', step_names: [...stepNames] } };
}

/** A decision's result creating no branch: `{...extra, decision_point_outcome: {type: 'no_branches'}}`. */
export function noBranches(extra: JsonObject = {}): JsonObject {
  return { ...extra, decision_point_outcome: { type: 'no_branches' } };
}

interface BatchSpecBase {
  /**
   * The batch_worker step to instantiate. Default (server side): the batchable step's
   * `handler.initialization.worker_template_name`, else its only batch_worker.
   */
  workerTemplateName?: string;
  /** Result keys kept beside the outcome. */
  extra?: JsonObject;
}

/** The handler computes the ranges itself: one worker per config. */
export interface ExplicitBatchSpec extends BatchSpecBase {
  cursorConfigs: readonly CursorConfig[];
}

/**
 * The server's cursor generator computes them: ids `001`…, zero-based ranges of `batchSize` items (default: the
 * step's `initialization.batch_size`, else the worker's `batch_config.batch_size`), widened so that at most
 * `maxWorkers` workers are made. `totalItems` 0 makes the one no-op worker, as `noBatches()` does.
 */
export interface GeneratedBatchSpec extends BatchSpecBase {
  totalItems: number;
  batchSize?: number;
  maxWorkers?: number;
}

function positiveInt(value: number | undefined, name: string, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min))
    throw invalidOutcome(`createBatches: ${name} must be an integer >= ${min}, got ${value}`);
}

function checkCursorConfigs(configs: readonly CursorConfig[]): void {
  if (configs.length === 0)
    throw invalidOutcome('createBatches needs at least one cursor config (noBatches() for none)');
  const seen = new Set<string>();
  configs.forEach((c, i) => {
    if (typeof c.batch_id !== 'string' || !BATCH_ID.test(c.batch_id))
      throw invalidOutcome(`cursor_configs[${i}].batch_id must be 1-64 letters, digits, _ or -`);
    if (seen.has(c.batch_id)) throw invalidOutcome(`cursor_configs repeat batch_id ${c.batch_id}`);
    seen.add(c.batch_id);
    const { start_cursor: start, end_cursor: end } = c;
    if (typeof start === 'number' && typeof end === 'number' && (start < 0 || end <= start))
      throw invalidOutcome(`cursor_configs[${i}]: the range [${start}, ${end}) is empty, reversed or negative`);
    positiveInt(c.batch_size, `cursor_configs[${i}].batch_size`, 0);
  });
}

/**
 * A batchable step's result creating workers `{worker_template}_{batch_id}`:
 * `{...extra, batch_processing_outcome: {type: 'create_batches', ...}}`. With `cursorConfigs` it also sets
 * `worker_count`; with `totalItems` the server generates the ranges. Throws a PermanentError for what the
 * engine would refuse (no configs, repeated or malformed batch ids, empty or reversed numeric ranges).
 */
export function createBatches(spec: ExplicitBatchSpec | GeneratedBatchSpec): JsonObject {
  const outcome: JsonObject = { type: 'create_batches' };
  if (spec.workerTemplateName !== undefined) outcome['worker_template_name'] = spec.workerTemplateName;
  if ('cursorConfigs' in spec) {
    checkCursorConfigs(spec.cursorConfigs);
    outcome['worker_count'] = spec.cursorConfigs.length;
    outcome['cursor_configs'] = spec.cursorConfigs.map((c) => ({ ...c }));
  } else {
    positiveInt(spec.totalItems, 'totalItems', 0);
    positiveInt(spec.batchSize, 'batchSize', 1);
    positiveInt(spec.maxWorkers, 'maxWorkers', 1);
    outcome['total_items'] = spec.totalItems;
    if (spec.batchSize !== undefined) outcome['batch_size'] = spec.batchSize;
    if (spec.maxWorkers !== undefined) outcome['max_workers'] = spec.maxWorkers;
  }
  return { ...spec.extra, batch_processing_outcome: outcome };
}

/** A batchable step's result with nothing to do: one no-op worker `{template}_000` is still created. */
export function noBatches(extra: JsonObject = {}): JsonObject {
  return { ...extra, batch_processing_outcome: { type: 'no_batches' } };
}

/** What a batch worker instance was created with (its step configuration). */
export interface BatchWorkerInputs {
  cursor: CursorConfig;
  /** From the worker template's `batch_config`. */
  batchMetadata: { cursorField: string; failureStrategy: FailureStrategy };
  /** true for the `{template}_000` worker of a `no_batches` outcome: cursor 0 → 0, nothing to process. */
  isNoOp: boolean;
  /** The batch_worker template step this instance was made from. */
  workerTemplate: string;
}

/**
 * Reads a batch worker's range from its step configuration (`cursor`, `batch_metadata`, `is_no_op`,
 * `__template_step_name`). Throws a PermanentError (`not_a_batch_worker`) on a step that was not created by a
 * batch outcome.
 */
export function batchCursor(ctx: Pick<StepContext, 'config' | 'stepName'>): BatchWorkerInputs {
  const { cursor, batch_metadata: meta, is_no_op: isNoOp, __template_step_name: template } = ctx.config;
  const strategy = isJsonObject(meta) ? meta['failure_strategy'] : undefined;
  if (
    !isJsonObject(cursor) ||
    typeof cursor['batch_id'] !== 'string' ||
    !isJsonObject(meta) ||
    typeof isNoOp !== 'boolean' ||
    typeof template !== 'string'
  ) {
    throw new PermanentError(`step ${ctx.stepName} is not a batch worker: its configuration has no cursor`, {
      errorType: 'not_a_batch_worker',
    });
  }
  return {
    cursor: {
      ...cursor,
      batch_id: cursor['batch_id'],
      start_cursor: cursor['start_cursor'] ?? null,
      end_cursor: cursor['end_cursor'] ?? null,
      batch_size: typeof cursor['batch_size'] === 'number' ? cursor['batch_size'] : 0,
    },
    batchMetadata: {
      cursorField: typeof meta['cursor_field'] === 'string' ? meta['cursor_field'] : 'id',
      failureStrategy:
        typeof strategy === 'string' && (FAILURE_STRATEGIES as readonly string[]).includes(strategy)
          ? (strategy as FailureStrategy)
          : 'continue_on_failure',
    },
    isNoOp,
    workerTemplate: template,
  };
}
