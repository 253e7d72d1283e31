// The bench's handlers: no-ops for the static shapes, so every figure measures the engine and its transports;
// for the dynamic shapes the least work that grows the graph (a decision by amount, 1000 rows cut by the
// server's cursor generator, workers summing row numbers, an aggregator adding the sums).
import { batchCursor, createBatches, decisionOutcome, type Handler } from '@tasker/worker';

const route: Handler = async (ctx) => {
  const amount = Number(ctx.context['amount']);
  const low = Number(ctx.config['low']);
  const high = Number(ctx.config['high']);
  return decisionOutcome(amount < low ? ['instant'] : amount < high ? ['lead'] : ['lead', 'controller']);
};

const split: Handler = async (ctx) => createBatches({ totalItems: Number(ctx.config['rows']) });

const sumRows: Handler = async (ctx) => {
  const { start_cursor: start, end_cursor: end } = batchCursor(ctx).cursor;
  let sum = 0;
  for (let row = Number(start); row < Number(end); row += 1) sum += row;
  return { sum };
};

const sumParents: Handler = async (ctx) => ({
  sum: Object.values(ctx.parentResults).reduce<number>(
    (acc, r) => acc + (typeof r === 'object' && r !== null && !Array.isArray(r) ? Number(r['sum']) : 0),
    0,
  ),
});

export const handlers: Record<string, Handler> = {
  'Bench.Noop': async () => null,
  'Bench.Route': route,
  'Bench.Split': split,
  'Bench.SumRows': sumRows,
  'Bench.SumParents': sumParents,
};
