// What the worker's REST and gRPC surfaces show, computed once here so both transports answer alike.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CheckStatus, HealthCheck, JsonObject, TemplateSummary } from '@tasker/shared';
import type { WorkerMetrics } from '../metrics.js';
import type { LoadedTemplate, WorkerTemplateValidation } from '../templates.js';

/** The running worker as the surfaces see it (implemented by the runtime). */
export interface SurfaceSource {
  readonly workerId: string;
  readonly version: string;
  readonly environment: string;
  readonly startedAt: number;
  readonly concurrency: number;
  readonly metrics: WorkerMetrics;
  /** Registered with orchestration and claiming (not starting, draining or stopped). */
  isReady(): boolean;
  /** `detailed`: include degradations that do not affect readiness. */
  checks(detailed: boolean): Record<string, HealthCheck>;
  activeHandlers(): number;
  templates(): readonly LoadedTemplate[];
  namespaces(): readonly string[];
  handlerNames(): readonly string[];
  validate(raw: unknown): WorkerTemplateValidation;
  /** The allow-listed configuration, `metadata{timestamp, environment, version}` first. */
  safeConfig(): JsonObject;
}

export interface SystemInfoView {
  workerId: string;
  version: string;
  environment: string;
  uptimeSeconds: number;
  workerType: 'typescript';
  supportedNamespaces: string[];
  activeHandlers: number;
  maxConcurrentHandlers: number;
}

export interface HealthView {
  status: 'alive' | 'ready' | 'not_ready' | 'healthy' | 'degraded' | 'unhealthy';
  timestamp: Date;
  workerId: string;
  checks: Record<string, HealthCheck>;
  systemInfo: SystemInfoView;
}

export function systemInfo(source: SurfaceSource): SystemInfoView {
  return {
    workerId: source.workerId,
    version: source.version,
    environment: source.environment,
    uptimeSeconds: Math.floor((Date.now() - source.startedAt) / 1000),
    workerType: 'typescript',
    supportedNamespaces: [...source.namespaces()],
    activeHandlers: source.activeHandlers(),
    maxConcurrentHandlers: source.concurrency,
  };
}

const SEVERITY: Record<CheckStatus, number> = { healthy: 0, unknown: 1, degraded: 1, unhealthy: 2 };

export function readinessView(source: SurfaceSource): HealthView {
  const checks = source.checks(false);
  const ready = source.isReady();
  return {
    status: ready ? 'ready' : 'not_ready',
    timestamp: new Date(),
    workerId: source.workerId,
    checks,
    systemInfo: systemInfo(source),
  };
}

/** Worst check wins: any unhealthy → unhealthy, any degraded/unknown → degraded. */
export function detailedView(source: SurfaceSource): HealthView {
  const checks = source.checks(true);
  const worst = Math.max(0, ...Object.values(checks).map((c) => SEVERITY[c.status]));
  const status = worst === 0 ? 'healthy' : worst === 1 ? 'degraded' : 'unhealthy';
  return { status, timestamp: new Date(), workerId: source.workerId, checks, systemInfo: systemInfo(source) };
}

export function templateSummaries(source: SurfaceSource, namespace?: string): TemplateSummary[] {
  return source
    .templates()
    .filter((t) => namespace === undefined || t.definition.namespace === namespace)
    .map((t) => ({
      namespace: t.definition.namespace,
      name: t.definition.name,
      version: t.definition.version,
      description: t.definition.description,
      stepCount: t.definition.steps.length,
    }));
}

export function findTemplate(
  source: SurfaceSource,
  namespace: string,
  name: string,
  version: string,
): LoadedTemplate | undefined {
  return source
    .templates()
    .find(
      (t) => t.definition.namespace === namespace && t.definition.name === name && t.definition.version === version,
    );
}

export interface HandlerMetadataView {
  namespace: string;
  name: string;
  version: string;
  handlerNames: string[];
  stepNames: string[];
}

export function handlerMetadata(t: LoadedTemplate): HandlerMetadataView {
  const d = t.definition;
  return {
    namespace: d.namespace,
    name: d.name,
    version: d.version,
    handlerNames: [...new Set(d.steps.map((s) => s.handler.callable))],
    stepNames: d.steps.map((s) => s.name),
  };
}

/** Compares SHA-256 digests in constant time, so neither the key's length nor a matching prefix leaks. */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
