// The example handlers, by the callable names the templates in ../templates use.
// Run them: `npx tasker-worker --handlers ./examples/handlers/index.ts --templates ./examples/templates`.
import type { Handler } from '@tasker/worker';
import { approveExpense, checkExpense, recordOutcome, routeExpense } from './expenses.js';
import { flaky, reject } from './failures.js';
import { mergeRollups, rollupChunk, scanFile } from './inventory.js';
import { multiply, square } from './math.js';
import { choosePipeline, countItems, mergeSums, publish, scanItems, sumRange } from './pipeline.js';

export const handlers: Record<string, Handler> = {
  'math.square': square,
  'math.multiply': multiply,
  'demo.flaky': flaky,
  'demo.reject': reject,
  'expense.check': checkExpense,
  'expense.route': routeExpense,
  'expense.approve': approveExpense,
  'expense.record': recordOutcome,
  'catalog.scan_file': scanFile,
  'catalog.rollup_chunk': rollupChunk,
  'catalog.merge_rollups': mergeRollups,
  'pipeline.count': countItems,
  'pipeline.choose': choosePipeline,
  'pipeline.scan': scanItems,
  'pipeline.sum_range': sumRange,
  'pipeline.merge': mergeSums,
  'pipeline.publish': publish,
};

export default handlers;
