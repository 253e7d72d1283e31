// Readiness follows reality: a background probe checks the database every `intervalMs` (with a hard timeout, since a
// vanished server can leave a query hanging), and readiness flips within about one interval. Transports read the
// cached value (`isReady`) so a probe storm never becomes a database storm.
import type { HealthCheck, HealthReport, OperationalState } from '@tasker/shared';
import type { Sql } from 'postgres';
import type { HealthService } from './types.js';

export interface LoopStatus {
  running: boolean;
  lastRunAt: Date | null;
  lastError: string | null;
}

export interface HealthDeps {
  sql: Sql;
  version: string;
  environment: string;
  poolMax: number;
  /** Names of migrations on disk that the database hasn't applied; [] when current. */
  pendingMigrations: () => Promise<string[]>;
  /** Engine loops (sweeper, staleness, listener…) as the runtime reports them. */
  loops?: () => Record<string, LoopStatus>;
  intervalMs?: number;
  timeoutMs?: number;
}

export interface HealthController extends HealthService {
  /** Starts the background probe; resolves after the first check. */
  start(): Promise<void>;
  stop(): void;
  setOperationalState(state: OperationalState): void;
}

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
  const intervalMs = deps.intervalMs ?? 500;
  const timeoutMs = deps.timeoutMs ?? 1000;
  let state: OperationalState = 'startup';
  let database: HealthCheck = { status: 'unknown', message: 'not checked yet', durationMs: 0 };
  let migrations: HealthCheck = { status: 'unknown', message: 'not checked yet', durationMs: 0 };
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

  async function check(): Promise<void> {
    database = await timed(async () => {
      await deps.sql`select 1`;
      return null;
    }, timeoutMs, 'database ping');
    if (database.status === 'healthy') {
      migrations = await timed(async () => {
        const pending = await deps.pendingMigrations();
        if (pending.length > 0) throw new Error(`pending migrations: ${pending.join(', ')}`);
        return null;
      }, timeoutMs, 'migration check');
    } else {
      migrations = { status: 'unknown', message: 'database unreachable', durationMs: 0 };
    }
    recompute();
  }

  async function loop(): Promise<void> {
    if (stopped) return;
    await check().catch(() => undefined);
    if (!stopped) timer = setTimeout(() => void loop(), intervalMs);
  }

  function checks(): Record<string, HealthCheck> {
    const all: Record<string, HealthCheck> = { database, migrations };
    all.operational_state = {
      status: state === 'normal' ? 'healthy' : 'unhealthy',
      message: state,
      durationMs: 0,
    };
    for (const [name, loopStatus] of Object.entries(deps.loops?.() ?? {})) {
      all[name] = {
        status: loopStatus.running ? (loopStatus.lastError ? 'degraded' : 'healthy') : 'unhealthy',
        message: loopStatus.lastError ?? (loopStatus.lastRunAt ? `last run ${loopStatus.lastRunAt.toISOString()}` : null),
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
      const all = checks();
      const statuses = Object.values(all).map((c) => c.status);
      const status = statuses.includes('unhealthy') ? 'unhealthy' : statuses.includes('degraded') ? 'degraded' : 'healthy';
      return { status, timestamp: new Date(), checks: all, info: info() };
    },
    isReady: () => ready,
    onReadinessChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
