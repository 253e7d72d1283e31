export { createMetrics, type MetricsCollectors, type MetricsOptions, type TaskerMetrics } from './registry.js';
export { NOOP_ENGINE_METRICS, type EngineMetrics, type StepOutcome, type StreamTransport } from '../engine/metrics.js';
export { UNMATCHED_ROUTE, metricsContentType, metricsText, observeGrpc, observeHttp } from './hooks.js';
