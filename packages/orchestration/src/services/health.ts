// Readiness follows reality: a background probe runs the engine pulse (one statement, engine/background.ts)
// every `intervalMs` with a hard timeout, since a vanished server can leave a query hanging, and readiness flips
// within about one interval; an opening database circuit breaker flips it at once. Transports read the cached
// value (`isReady`) so a probe storm never becomes a database storm. Migration state is read at start, when the
// database comes back, every few seconds while it is not current, and on demand (the detailed report), never
// per probe: the files are read and hashed once by the caller.
import type { HealthCheck, HealthReport, OperationalState, QueueDepthReport } from '@tasker/shared';
import type { SqlGuard } from '../db/guard.js';
import type { LoopStatus } from '../engine/loop.js';
import type { HealthService } from './types.js';

export interface HealthDeps {
  version: string;
  environment: string;
  poolMax: number;
  /** The database check: one cheap statement (the engine pulse), run every `intervalMs`. */
  probe: () => Promise<void>;
  /** Names of migrations on disk that the database hasn't applied; [] when current. */
  pendingMigrations: () => Promise<string[]>;
  /** The pool's usage counters and circuit breaker. */
  guard: SqlGuard;
  /** Per-namespace queue depth as last counted. */
  queueDepth?: () => QueueDepthReport | null;
  /** Engine loops (sweeper, staleness, listener…) as the runtime reports them. */
  loops?: () => Record<string, LoopStatus>;
  /** Default 1000 ms. */
  intervalMs?: number;
  timeoutMs?: number;
}

export interface HealthController extends HealthService {
  /** Starts the background probe; resolves after the first check. */
  start(): Promise<void>;
  stop(): void;
  setOperationalState(state: OperationalState): void;
}

/** While migrations are not current, they are looked at again this often (another replica may apply them). */
const MIGRATION_RECHECK_MS = 5000;
/** A pool this busy, or with calls waiting for a connection, is reported as saturated. */
const POOL_SATURATION_PERCENT = 80;
/** Namespaces named in the queue check's message, closest to their limit first. */
const QUEUE_MESSAGE_NAMESPACES = 5;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function timed(run: () => Promise<string | null>, timeoutMs: number, what: string): Promise<HealthCheck> {
  const started = performance.now();
  try {
    const message = await withTimeout(run(), timeoutMs, what);
    return { status: 'healthy', message, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      status: 'unhealthy',
      message: err instanceof Error ? err.message : String(err),
      durationMs: Math.round(performance.now() - started),
    };
  }
}

export function createHealthService(deps: HealthDeps): HealthController {
  const intervalMs = deps.intervalMs ?? 1000;
  const timeoutMs = deps.timeoutMs ?? 1000;
  const { breaker } = deps.guard;
  let state: OperationalState = 'startup';
  let database: HealthCheck = { status: 'unknown', message: 'not checked yet', durationMs: 0 };
  let migrations: HealthCheck = { status: 'unknown', message: 'not checked yet', durationMs: 0 };
  let migrationsCheckedAt = Number.NEGATIVE_INFINITY;
  let ready = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const listeners = new Set<(ready: boolean) => void>();

  function recompute(): void {
    const next = state === 'normal' && database.status === 'healthy' && migrations.status === 'healthy';
    if (next === ready) return;
    ready = next;
    for (const listener of listeners) listener(ready);
  }

  async function checkMigrations(): Promise<void> {
    migrationsCheckedAt = performance.now();
    migrations = await timed(
      async () => {
        const pending = await deps.pendingMigrations();
        if (pending.length > 0) throw new Error(`pending migrations: ${pending.join(', ')}`);
        return null;
      },
      timeoutMs,
      'migration check',
    );
  }

  async function check(): Promise<void> {
    const wasHealthy = database.status === 'healthy';
    database = await timed(
      async () => {
        await deps.probe();
        return null;
      },
      timeoutMs,
      'database check',
    );
    if (database.status !== 'healthy') {
      migrations = { status: 'unknown', message: 'database unreachable', durationMs: 0 };
    } else if (
      !wasHealthy ||
      (migrations.status !== 'healthy' && performance.now() - migrationsCheckedAt >= MIGRATION_RECHECK_MS)
    ) {
      await checkMigrations();
    }
    recompute();
  }

  // An opening circuit means repeated connection failures: not ready now, not at the next probe.
  breaker.onChange((circuit) => {
    if (circuit !== 'open') return;
    database = {
      status: 'unhealthy',
      message: `database circuit breaker is open; retry in ${breaker.retryAfterSeconds()} s`,
      durationMs: 0,
    };
    migrations = { status: 'unknown', message: 'database unreachable', durationMs: 0 };
    recompute();
  });

  async function loop(): Promise<void> {
    if (stopped) return;
    await check().catch(() => undefined);
    if (!stopped) timer = setTimeout(() => void loop(), intervalMs);
  }

  function circuitCheck(): HealthCheck {
    const circuit = breaker.state();
    if (circuit === 'open') {
      return {
        status: 'unhealthy',
        message: `open: calls fail fast for ${breaker.retryAfterSeconds()} s more`,
        durationMs: 0,
      };
    }
    if (circuit === 'half_open')
      return { status: 'degraded', message: 'half_open: probing the database', durationMs: 0 };
    return { status: 'healthy', message: circuit, durationMs: 0 };
  }

  function poolCheck(): HealthCheck {
    const p = deps.guard.pool();
    const saturated = p.waitingQueries > 0 || p.utilizationPercent >= POOL_SATURATION_PERCENT;
    const message = `${p.activeConnections}/${p.maxConnections} connections busy, ${p.waitingQueries} calls waiting`;
    return {
      status: saturated ? 'degraded' : 'healthy',
      message: saturated ? `saturated: ${message}` : message,
      durationMs: 0,
    };
  }

  function queueCheck(): HealthCheck {
    const report = deps.queueDepth?.() ?? null;
    if (report === null) return { status: 'unknown', message: 'not counted yet', durationMs: 0 };
    const entries = Object.entries(report.namespaces).sort(([, a], [, b]) => b.depth / b.limit - a.depth / a.limit);
    const throttled = entries.filter(([, q]) => q.throttled).length;
    const shown = entries
      .slice(0, QUEUE_MESSAGE_NAMESPACES)
      .map(([ns, q]) => `${ns} ${q.depth}/${q.limit}${q.throttled ? ' (throttled)' : ''}`)
      .join(', ');
    const message = entries.length === 0 ? 'no ready steps waiting' : shown;
    return { status: throttled > 0 ? 'degraded' : 'healthy', message, durationMs: 0 };
  }

  function checks(): Record<string, HealthCheck> {
    const all: Record<string, HealthCheck> = { database, migrations };
    all.operational_state = {
      status: state === 'normal' ? 'healthy' : 'unhealthy',
      message: state,
      durationMs: 0,
    };
    all.circuit_breaker = circuitCheck();
    all.pool_utilization = poolCheck();
    all.queue_depth = queueCheck();
    for (const [name, loopStatus] of Object.entries(deps.loops?.() ?? {})) {
      all[name] = {
        status: loopStatus.running ? (loopStatus.lastError ? 'degraded' : 'healthy') : 'unhealthy',
        message:
          loopStatus.lastError ?? (loopStatus.lastRunAt ? `last run ${loopStatus.lastRunAt.toISOString()}` : null),
        durationMs: 0,
      };
    }
    return all;
  }

  function info(): NonNullable<HealthReport['info']> {
    return {
      version: deps.version,
      environment: deps.environment,
      operationalState: state,
      poolMax: deps.poolMax,
      circuitBreakerState: breaker.state(),
      pools: { database: deps.guard.pool() },
      queueDepth: deps.queueDepth?.() ?? null,
    };
  }

  return {
    async start() {
      stopped = false;
      await check().catch(() => undefined);
      timer = setTimeout(() => void loop(), intervalMs);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    setOperationalState(next) {
      state = next;
      recompute();
    },
    async live() {
      return { status: 'alive', timestamp: new Date(), checks: {}, info: null };
    },
    async ready() {
      return {
        status: ready ? 'ready' : 'not_ready',
        timestamp: new Date(),
        checks: { database, migrations },
        info: info(),
      };
    },
    async detailed() {
      // On demand: the one place migrations are read again while the database is reachable.
      if (database.status === 'healthy') {
        await checkMigrations();
        recompute();
      }
      const all = checks();
      const statuses = Object.values(all).map((c) => c.status);
      const status = statuses.includes('unhealthy')
        ? 'unhealthy'
        : statuses.includes('degraded')
          ? 'degraded'
          : 'healthy';
      return { status, timestamp: new Date(), checks: all, info: info() };
    },
    isReady: () => ready,
    onReadinessChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
