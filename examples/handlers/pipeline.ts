// The pipeline-choice example (templates/pipeline-choice.yaml): a decision picks the bulk or the quick batch
// pipeline; the chosen analyzer lets the engine's cursor generator cut the items into ranges; the workers sum
// their range, the pipeline's aggregator sums the workers, publish reports the one pipeline that ran.
import { PermanentError, batchCursor, createBatches, decisionOutcome, type Handler } from '@tasker/worker';
import { isJsonObject, type JsonObject, type JsonValue } from '@tasker/shared';

function itemsOf(value: JsonValue | undefined, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new PermanentError(`${where} must be an integer >= 0`, { errorType: 'invalid_input' });
  return value;
}

function resultObject(value: JsonValue | undefined, name: string): JsonObject {
  if (!isJsonObject(value))
    throw new PermanentError(`parent step '${name}' has no result object`, { errorType: 'missing_parent_result' });
  return value;
}

/** `pipeline.count`: how many items there are (the task's `items`). */
export const countItems: Handler = async (ctx) => ({ items: itemsOf(ctx.context['items'], 'context.items') });

/** `pipeline.choose` — config `{bulk_from}`: bulk_scan from that many items on, quick_scan below. */
export const choosePipeline: Handler = async (ctx) => {
  const items = itemsOf(resultObject(ctx.parentResults['count_items'], 'count_items')['items'], 'count_items.items');
  const bulkFrom = itemsOf(ctx.config['bulk_from'], 'config.bulk_from');
  const pipeline = items >= bulkFrom ? 'bulk' : 'quick';
  return decisionOutcome([`${pipeline}_scan`], { pipeline, items });
};

/** `pipeline.scan`: the item count for the server-side cursor generator (batch_size from the step's config). */
export const scanItems: Handler = async (ctx) => {
  const items = itemsOf(resultObject(ctx.parentResults['choose_pipeline'], 'choose_pipeline')['items'], 'items');
  return createBatches({ totalItems: items, extra: { items } });
};

/** `pipeline.sum_range`: item k is worth k + 1; the sum over its range [start, end). */
export const sumRange: Handler = async (ctx) => {
  const { cursor, isNoOp } = batchCursor(ctx);
  if (isNoOp) return { count: 0, sum: 0 };
  const start = itemsOf(cursor.start_cursor, 'cursor.start_cursor');
  const end = itemsOf(cursor.end_cursor, 'cursor.end_cursor');
  // (start + 1) + … + end
  return { count: end - start, sum: ((end - start) * (start + 1 + end)) / 2 };
};

/** `pipeline.merge` — config `{pipeline}`: the workers' counts and sums added up. */
export const mergeSums: Handler = async (ctx) => {
  let count = 0;
  let sum = 0;
  for (const [name, result] of Object.entries(ctx.parentResults)) {
    const r = resultObject(result, name);
    count += itemsOf(r['count'], `${name}.count`);
    sum += itemsOf(r['sum'], `${name}.sum`);
  }
  return { pipeline: String(ctx.config['pipeline']), workers: Object.keys(ctx.parentResults).length, count, sum };
};

/** `pipeline.publish`: the result of whichever pipeline ran (its only parent). */
export const publish: Handler = async (ctx) => {
  const names = Object.keys(ctx.parentResults);
  if (names.length !== 1)
    throw new PermanentError(`publish expects one pipeline, got ${names.length}`, {
      errorType: 'missing_parent_result',
    });
  const merged = resultObject(ctx.parentResults[names[0] as string], names[0] as string);
  return { pipeline: merged['pipeline'] ?? null, workers: merged['workers'] ?? null, sum: merged['sum'] ?? null };
};
