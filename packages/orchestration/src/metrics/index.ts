export { createMetrics, type MetricsOptions, type TaskerMetrics } from './registry.js';
export { NOOP_ENGINE_METRICS, type EngineMetrics, type StepOutcome, type StreamTransport } from './engine.js';
export {
  UNMATCHED_ROUTE,
  createPoolStatsSource,
  metricsContentType,
  metricsText,
  observeGrpc,
  observeHttp,
} from './hooks.js';
