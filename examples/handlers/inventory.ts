// The inventory-rollup example (templates/inventory-rollup.yaml): a batchable step splitting a CSV into row
// ranges, batch workers valuing their range, and an aggregator summing the batches by worker name. The CSV is
// a pure function of the row number, so the workers read the same file without sharing a disk.
import { PermanentError, batchCursor, createBatches, noBatches, type Handler } from '@tasker/worker';
import { isJsonObject, type JsonObject } from '@tasker/shared';

export const CSV_HEADER = 'row_number,sku,quantity,unit_price_cents';

/** Data row `row` (1-based) of the generated inventory file. */
export function inventoryCsvLine(row: number): string {
  return `${row},SKU-${String(row).padStart(5, '0')},${(row % 10) + 1},${100 + (row % 7) * 25}`;
}

/** The generated file: the header and `rows` data rows. */
export function inventoryCsv(rows: number): string {
  return [CSV_HEADER, ...Array.from({ length: rows }, (_, i) => inventoryCsvLine(i + 1))].join('\n');
}

function intOf(obj: JsonObject, key: string, fallback: number): number {
  const value = obj[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new PermanentError(`${key} must be an integer >= 0`, { errorType: 'invalid_input' });
  return value;
}

/**
 * `catalog.scan_file` — config `{batch_size, max_workers, worker_template_name}`: counts the data rows and
 * cuts them into min(ceil(rows / batch_size), max_workers) ranges [first, end) of row numbers, 1-based.
 */
export const scanFile: Handler = async (ctx) => {
  const rows = inventoryCsv(intOf(ctx.context, 'rows', 1000)).split('\n').length - 1;
  if (rows === 0) return noBatches({ total_rows: 0 });
  const batchSize = intOf(ctx.config, 'batch_size', 200) || 1;
  const workers = Math.min(Math.ceil(rows / batchSize), intOf(ctx.config, 'max_workers', 5) || 1);
  const size = Math.ceil(rows / workers);
  const cursorConfigs = Array.from({ length: workers }, (_, i) => {
    const start = 1 + i * size;
    const end = Math.min(start + size, rows + 1);
    return { batch_id: String(i + 1).padStart(3, '0'), start_cursor: start, end_cursor: end, batch_size: end - start };
  });
  const workerTemplateName = String(ctx.config['worker_template_name'] ?? 'rollup_chunk');
  return createBatches({ workerTemplateName, cursorConfigs, extra: { total_rows: rows } });
};

/** `catalog.rollup_chunk`: the rows of its range and their inventory value (quantity × unit price). */
export const rollupChunk: Handler = async (ctx) => {
  const { cursor, isNoOp } = batchCursor(ctx);
  if (isNoOp) return { batch_id: cursor.batch_id, rows: 0, inventory_value_cents: 0 };
  const { start_cursor: start, end_cursor: end } = cursor;
  if (typeof start !== 'number' || typeof end !== 'number')
    throw new PermanentError('rollup_chunk needs numeric row ranges', { errorType: 'invalid_input' });
  let value = 0;
  for (let row = start; row < end; row += 1) {
    const [, , quantity, price] = inventoryCsvLine(row).split(',');
    value += Number(quantity) * Number(price);
  }
  return { batch_id: cursor.batch_id, rows: end - start, inventory_value_cents: value };
};

/** `catalog.merge_rollups`: every batch's figures by worker name, and their sums. */
export const mergeRollups: Handler = async (ctx) => {
  const batches: JsonObject = {};
  let rows = 0;
  let value = 0;
  for (const [name, result] of Object.entries(ctx.parentResults).sort(([a], [b]) => a.localeCompare(b))) {
    if (
      !isJsonObject(result) ||
      typeof result['rows'] !== 'number' ||
      typeof result['inventory_value_cents'] !== 'number'
    )
      throw new PermanentError(`batch ${name} reported no rows`, { errorType: 'missing_parent_result' });
    batches[name] = { rows: result['rows'], inventory_value_cents: result['inventory_value_cents'] };
    rows += result['rows'];
    value += result['inventory_value_cents'];
  }
  return { batches, total_rows: rows, inventory_value_cents: value };
};
