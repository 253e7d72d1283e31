// The example handlers, by the callable names the templates in ../templates use.
// Run them: `npx tasker-worker --handlers ./examples/handlers/index.ts --templates ./examples/templates`.
import type { Handler } from '@tasker/worker';
import { flaky, reject } from './failures.js';
import { multiply, square } from './math.js';

export const handlers: Record<string, Handler> = {
  'math.square': square,
  'math.multiply': multiply,
  'demo.flaky': flaky,
  'demo.reject': reject,
};

export default handlers;
