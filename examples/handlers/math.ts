// Pure computations for the example workflows. Values travel as decimal strings (`{"value": "1296"}`): the
// tree squares five times (n^32), far beyond what a JSON number holds exactly.
import { PermanentError, type Handler, type StepContext } from '@tasker/worker';
import { pause } from './pause.js';

export interface ValueResult {
  [key: string]: string;
  value: string;
}

function inputNumber(ctx: StepContext): bigint {
  const n = ctx.context['even_number'];
  // The template's input_schema already guarantees this; a handler still refuses what it cannot compute.
  if (typeof n !== 'number' || !Number.isInteger(n) || n % 2 !== 0) {
    throw new PermanentError(`context.even_number must be an even integer, got ${JSON.stringify(n)}`, {
      errorType: 'invalid_input',
    });
  }
  return BigInt(n);
}

function parentValue(ctx: StepContext, step: string): bigint {
  const result = ctx.parentResults[step];
  const value = typeof result === 'object' && result !== null && !Array.isArray(result) ? result['value'] : undefined;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
    throw new PermanentError(`parent step '${step}' has no numeric result`, { errorType: 'missing_parent_result' });
  }
  return BigInt(value);
}

/** The number named by `source`: `input` (the task's even_number) or a parent step's name. */
export function readSource(ctx: StepContext, source: unknown): bigint {
  if (source === undefined || source === 'input') return inputNumber(ctx);
  if (typeof source !== 'string')
    throw new PermanentError('config.source must be a step name or "input"', { errorType: 'invalid_config' });
  return parentValue(ctx, source);
}

/** `math.square` — config `{source}`: squares the input or a parent's value. */
export const square: Handler = async (ctx) => {
  await pause(ctx);
  const x = readSource(ctx, ctx.config['source']);
  ctx.logger.debug({ input: x.toString() }, 'squaring');
  return { value: (x * x).toString(), operation: 'square' } satisfies ValueResult;
};

/** `math.multiply` — config `{factors: [step names]}`: the product of those parents' values. */
export const multiply: Handler = async (ctx) => {
  await pause(ctx);
  const factors = ctx.config['factors'];
  if (!Array.isArray(factors) || factors.length === 0 || !factors.every((f) => typeof f === 'string')) {
    throw new PermanentError('config.factors must list parent step names', { errorType: 'invalid_config' });
  }
  const product = (factors as string[]).reduce((acc, step) => acc * parentValue(ctx, step), 1n);
  return { value: product.toString(), operation: 'multiply' } satisfies ValueResult;
};
