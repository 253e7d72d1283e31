// @tasker/worker: run step handlers for Tasker orchestration over gRPC or REST.
export { createWorker } from './runtime.js';
export { PermanentError, RetryableError, StepAbortError, toStepFailure } from './errors.js';
export type { PermanentErrorOptions, RetryableErrorOptions } from './errors.js';
export { TemplateLoadError, prepareTemplates, readTemplatesDir, validateForWorker } from './templates.js';
export type { LoadedTemplate, TemplateSource, WorkerTemplateValidation } from './templates.js';
export { createJsonLogger, silentLogger } from './logger.js';
export { batchCursor, createBatches, decisionOutcome, noBatches, noBranches } from './outcomes.js';
export type { BatchWorkerInputs, CursorConfig, ExplicitBatchSpec, GeneratedBatchSpec } from './outcomes.js';
export type {
  CheckpointInput,
  Handler,
  OrchestrationConnection,
  OrchestrationOption,
  StepAbortReason,
  StepContext,
  Worker,
  WorkerLogger,
  WorkerOptions,
  WorkerState,
  WorkerSurfacesOptions,
} from './types.js';
