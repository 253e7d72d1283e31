// The parity suite's vocabulary: a scenario runs the same operation through REST and through gRPC and
// returns an Outcome of comparable domain values; the runner compares the two after normalisation.
import type { OperationalState } from '@tasker/shared';
import type { ErrorCode } from '@tasker/shared/errors';
import type { Principal } from '@tasker/shared/permissions';
import type { Services } from '../../../src/services/types.js';
import type { TaskerClients } from '../../../src/grpc/testing/clients.js';
import type { RestClient } from './rest-client.js';

/** What a transport call produced: a value decoded to domain objects, or an error code from the one table. */
export type Outcome = { ok: true; value: unknown } | { ok: false; code: ErrorCode; message: string };

export interface ParityContext {
  /** The runtime's services, for transport-neutral setup (tasks to read, steps to fail). */
  services: Services;
  /** The principal setup calls act as. */
  principal: Principal;
  rest: RestClient;
  grpc: TaskerClients;
  /** Unique per scenario run and transport; put it in names, contexts and tags, the normaliser removes it. */
  token: string;
  /** Registers a teardown that runs after this transport's run (errors are ignored). */
  cleanup(fn: () => Promise<unknown>): void;
  /** Moves the shared runtime's readiness (e.g. to `graceful_shutdown`); restore it in a cleanup. */
  setOperationalState(state: OperationalState): void;
}

export type Run = (ctx: ParityContext) => Promise<Outcome>;

/** One operation of the API. A scenario without one of the two transports does not type-check. */
export interface Scenario {
  name: string;
  /** For docs/parity.md: the REST route, e.g. `POST /v1/tasks`. */
  restCall: string;
  /** For docs/parity.md: the RPC, e.g. `TaskService.CreateTask`. */
  grpcCall: string;
  /** The outcome both transports must have: `ok`, or the error code. */
  expect: 'ok' | ErrorCode;
  rest: Run;
  grpc: Run;
  /** Scenario-specific normalisation applied after the generic one (e.g. time-dependent figures). */
  normalise?: (value: unknown) => unknown;
  /** Pins down the expected value (on each transport's raw value), so the two cannot agree on a wrong answer. */
  check?: (value: unknown, ctx: { token: string }) => void;
}
