// The pool guard (db/guard.ts) against a real PostgreSQL: calls in flight are counted as busy connections and
// the ones beyond the pool as waiting; query errors leave the circuit closed; connection failures (refused, or a
// server that accepts TCP and never answers, i.e. connect timeouts) open it, after which calls fail at once
// with UNAVAILABLE and Retry-After instead of waiting for the connect timeout; half-open probes close it again.
import net from 'node:net';
import { AppError, isAppError } from '@tasker/shared/errors';
import type { Sql } from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql } from '../../src/db/connect.js';
import { findFreePort } from '../../src/db/embedded.js';
import { sqlGuardOf } from '../../src/db/guard.js';
import { isConnectionError, isPgError } from '../../src/db/pg-errors.js';
import { useTestDatabase } from './helpers/test-db.js';

const db = useTestDatabase({ max: 2 });
const pools: Sql[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end({ timeout: 1 }).catch(() => undefined)));
});

const BREAKER = { enabled: true, failureThreshold: 2, openMs: 1500, halfOpenProbes: 2 };

function pool(url: string, extra: Parameters<typeof createSql>[1] = {}): Sql {
  const sql = createSql(url, { max: 2, connectTimeoutSeconds: 1, circuitBreaker: BREAKER, ...extra });
  pools.push(sql);
  return sql;
}

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

const guardOf = (sql: Sql) => {
  const guard = sqlGuardOf(sql);
  if (guard === undefined) throw new Error('createSql returned an unguarded pool');
  return guard;
};

/**
 * A TCP front for PostgreSQL: `forward` pipes connections to it, `blackhole` accepts them and never answers (a
 * partitioned network as the client sees it: connect succeeds, the startup never completes).
 */
async function startFront(target: { host: string; port: number }) {
  let mode: 'forward' | 'blackhole' = 'forward';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (mode === 'blackhole') return;
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    /** New connections are held silently; existing ones are cut. */
    blackhole() {
      mode = 'blackhole';
      for (const s of sockets) s.destroy();
    },
    forward() {
      mode = 'forward';
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('usage counters', () => {
  it('counts calls in flight as busy connections up to the pool size, the rest as waiting', async () => {
    const sql = pool(db.url);
    const guard = guardOf(sql);
    await sql`select 1`;
    const before = guard.pool();
    // postgres.js queries are lazy: execute() sends them now.
    const sleeps = Array.from({ length: 5 }, () => sql`select pg_sleep(0.4)`.execute());
    const tx = sql.begin(async (t) => t`select pg_sleep(0.4)`);
    await new Promise((r) => setTimeout(r, 100));
    expect(guard.pool()).toMatchObject({
      activeConnections: 2,
      waitingQueries: 4,
      maxConnections: 2,
      utilizationPercent: 100,
    });
    await Promise.all([...sleeps, tx]);
    const after = guard.pool();
    expect(after).toMatchObject({ activeConnections: 0, waitingQueries: 0, utilizationPercent: 0, acquireErrors: 0 });
    // Six calls: five queries and one transaction (its statements inside are the transaction's).
    expect(after.totalAcquires - before.totalAcquires).toBe(6);
  });
});

describe('the circuit', () => {
  it('stays closed through query errors, which pass through unchanged', async () => {
    const sql = pool(db.url);
    const guard = guardOf(sql);
    for (let i = 0; i < 5; i += 1) {
      const err = await errorOf(() => sql`select 1 / 0`);
      expect(isPgError(err, '22012')).toBe(true);
    }
    const thrown = new AppError('NOT_FOUND', 'inside a transaction');
    for (let i = 0; i < 3; i += 1)
      expect(await errorOf(() => sql.begin(async () => Promise.reject(thrown)))).toBe(thrown);
    expect(isPgError(await errorOf(() => sql.unsafe('select * from no_such_table')), '42P01')).toBe(true);
    expect([guard.breaker.state(), guard.pool().acquireErrors]).toEqual(['closed', 0]);
  });

  it('opens after repeated refused connections, then refuses at once with Retry-After', async () => {
    const port = await findFreePort();
    const sql = pool(`postgres://postgres@127.0.0.1:${port}/postgres`);
    const guard = guardOf(sql);
    for (let i = 0; i < BREAKER.failureThreshold; i += 1) {
      const err = await errorOf(() => sql`select 1`);
      expect(err).toMatchObject({
        code: 'UNAVAILABLE',
        message: 'database unreachable (ECONNREFUSED)',
        details: { reason: 'database_unreachable' },
      });
      expect(isConnectionError(err)).toBe(true);
    }
    expect(guard.breaker.state()).toBe('open');
    const err = await errorOf(() => sql`select 1`);
    expect(isAppError(err) && [err.code, err.retryAfterSeconds, err.details]).toEqual([
      'UNAVAILABLE',
      2,
      { reason: 'database_circuit_open' },
    ]);
    expect(await errorOf(() => sql.begin(async (t) => t`select 1`))).toMatchObject({
      code: 'UNAVAILABLE',
      details: { reason: 'database_circuit_open' },
    });
    expect(guard.pool().acquireErrors).toBe(BREAKER.failureThreshold + 2);
  });

  it('fails fast instead of waiting for the connect timeout, and closes after half-open probes succeed', async () => {
    const url = new URL(db.url);
    const front = await startFront({ host: url.hostname, port: Number(url.port || 5432) });
    try {
      const proxied = new URL(db.url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(front.port);
      const sql = pool(proxied.toString());
      const guard = guardOf(sql);
      await sql`select 1`;

      front.blackhole();
      for (let i = 0; i < BREAKER.failureThreshold; i += 1) {
        const started = performance.now();
        const err = await errorOf(() => sql`select 1`);
        expect(isConnectionError(err), String(err)).toBe(true);
        // The first calls wait for a connection that never completes (connect_timeout 1 s, or the cut connection).
        if (i > 0) expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      }
      expect(guard.breaker.state()).toBe('open');
      const started = performance.now();
      expect(await errorOf(() => sql`select 1`)).toMatchObject({
        code: 'UNAVAILABLE',
        details: { reason: 'database_circuit_open' },
      });
      expect(performance.now() - started).toBeLessThan(50);

      front.forward();
      await new Promise((r) => setTimeout(r, BREAKER.openMs + 50));
      expect(guard.breaker.state()).toBe('half_open');
      await Promise.all([sql`select 1`, sql`select 2`]);
      expect(guard.breaker.state()).toBe('closed');
      expect(await sql`select 3 as n`).toEqual([{ n: 3 }]);
    } finally {
      await front.close();
    }
  });
});
