// Domain ↔ proto converters, one module per resource (`@tasker/shared/convert/proto/index`).
export * from './common.js';
export * from './enums.js';
export * from './proto-enum.js';
export * from './task.js';
export * from './backpressure.js';
export * from './summary.js';
export * from './step.js';
export * from './template.js';
export * from './worker.js';
export * from './checkpoint.js';
export * from './events.js';
export * from './dlq.js';
export * from './analytics.js';
export * from './health.js';
export * from './config.js';
export * from './auth.js';
export * from './schedule.js';
