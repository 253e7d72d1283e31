// @tasker/client: the typed SDK of the Tasker orchestration server (REST and gRPC behind one interface).
export { createClient } from './create-client.js';
export { TaskerError, isTaskerError, ERROR_DETAILS_TRAILER } from './errors.js';
export type { TaskerErrorInit } from './errors.js';
export { DEFAULT_API_KEY_HEADER, DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, DEFAULT_WATCH_RECONNECT } from './options.js';
export type { ClientOptions, RetryOptions, TlsOptions } from './options.js';
export { OPERATIONS, isRetryable } from './operations.js';
export type { Idempotency, OperationName } from './operations.js';
export { isTerminalEvent } from './watch.js';
export type {
  AnalyticsApi,
  ApiKeysApi,
  ConfigApi,
  DlqApi,
  HealthApi,
  StepsApi,
  TaskListOptions,
  TaskerClient,
  TasksApi,
  TemplatesApi,
  Transport,
  WorkersApi,
} from './types.js';
export type { ErrorCode } from '@tasker/shared/errors';
