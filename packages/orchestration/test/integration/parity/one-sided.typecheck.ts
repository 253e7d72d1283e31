// Compiled (never run) by the parity type check: a scenario that forgets a transport must not compile.
import type { Scenario } from './types.js';

const noop = async () => ({ ok: true as const, value: null });

// @ts-expect-error a scenario must have a gRPC run
export const restOnly: Scenario = { name: 'rest only', restCall: 'GET /x', grpcCall: 'X.Y', expect: 'ok', rest: noop };

// @ts-expect-error a scenario must have a REST run
export const grpcOnly: Scenario = { name: 'grpc only', restCall: 'GET /x', grpcCall: 'X.Y', expect: 'ok', grpc: noop };

export const both: Scenario = {
  name: 'both',
  restCall: 'GET /x',
  grpcCall: 'X.Y',
  expect: 'ok',
  rest: noop,
  grpc: noop,
};
