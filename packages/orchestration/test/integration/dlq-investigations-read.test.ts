// DLQ reads against seeded rows: list filters and order, latest entry per task, stats per reason, the
// investigation queue, and namespace scoping. Expected figures are computed here from the seed list.
import { beforeAll, describe, expect, it } from 'vitest';
import { DLQ_REASONS, type DlqReason, type DlqResolutionStatus } from '@tasker/shared';
import { loadConfig } from '@tasker/shared/config';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import { AppError } from '@tasker/shared/errors';
import { createDlqService, DLQ_BASE_SCORES } from '../../src/services/dlq-investigations.js';
import type { DlqService } from '../../src/services/types.js';
import {
  databaseNow,
  minutesBefore,
  seedDlqEntry,
  seedTask,
  seedTemplate,
  type SeededTemplate,
} from './helpers/seed.js';
import { useTestDatabase } from './helpers/test-db.js';

const db = useTestDatabase();
const admin = ALL_PERMISSIONS_PRINCIPAL;
const alphaOnly: Principal = { subject: 'alice', kind: 'api_key', permissions: ['dlq:*'], namespaces: ['alpha'] };

interface Seeded {
  uuid: string;
  taskUuid: string;
  namespace: string;
  reason: DlqReason;
  status: DlqResolutionStatus;
  at: Date;
  resolvedAt: Date | null;
}

let dlq: DlqService;
let now: Date;
const entries: Seeded[] = [];
const tasks: Record<string, string> = {};

async function entry(
  template: SeededTemplate,
  taskKey: string,
  reason: DlqReason,
  status: DlqResolutionStatus,
  minutesAgo: number,
  resolvedAfterMinutes?: number,
): Promise<void> {
  const taskUuid =
    tasks[taskKey] ??
    (tasks[taskKey] = (
      await seedTask(db.sql, { template, state: 'error', createdAt: minutesBefore(now, minutesAgo + 30) })
    ).taskUuid);
  const at = minutesBefore(now, minutesAgo);
  const resolvedAt = status === 'pending' ? null : new Date(at.getTime() + (resolvedAfterMinutes ?? 1) * 60_000);
  const uuid = await seedDlqEntry(db.sql, {
    taskUuid,
    reason,
    status,
    dlqTimestamp: at,
    ...(resolvedAt !== null ? { resolutionTimestamp: resolvedAt } : {}),
  });
  entries.push({ uuid, taskUuid, namespace: template.namespace, reason, status, at, resolvedAt });
}

beforeAll(async () => {
  dlq = createDlqService({ sql: db.sql, config: loadConfig({ env: { TASKER_ENV: 'test' } }) });
  now = await databaseNow(db.sql);
  const alpha = await seedTemplate(db.sql, { namespace: 'alpha' });
  const beta = await seedTemplate(db.sql, { namespace: 'beta' });
  // Pending entries (one per task) with priority scores far apart, so the expected order is unambiguous.
  await entry(alpha, 'a', 'max_retries_exceeded', 'pending', 10);
  await entry(alpha, 'b', 'staleness_timeout', 'pending', 300);
  await entry(alpha, 'c', 'dependency_cycle_detected', 'pending', 1);
  await entry(alpha, 'd', 'manual_dlq', 'pending', 600);
  await entry(alpha, 'e', 'worker_unavailable', 'pending', 5);
  await entry(beta, 'f', 'max_retries_exceeded', 'pending', 100);
  // Closed entries, some on tasks that also have a newer pending one.
  await entry(alpha, 'a', 'staleness_timeout', 'manually_resolved', 400, 30);
  await entry(alpha, 'a', 'max_retries_exceeded', 'permanently_failed', 900, 120);
  await entry(alpha, 'g', 'max_retries_exceeded', 'cancelled', 50, 6);
  await entry(beta, 'h', 'staleness_timeout', 'manually_resolved', 700, 45);
  await entry(beta, 'f', 'max_retries_exceeded', 'manually_resolved', 2000, 15);
});

function visible(principal: Principal): Seeded[] {
  return entries.filter((e) => principal.namespaces === null || principal.namespaces.includes(e.namespace));
}

function newestFirst(list: Seeded[]): string[] {
  return [...list].sort((x, y) => y.at.getTime() - x.at.getTime()).map((e) => e.uuid);
}

describe('DlqService.list', () => {
  it('returns every entry newest first', async () => {
    const got = await dlq.list(admin, { limit: 50, offset: 0 });
    expect(got.map((e) => e.dlqEntryUuid)).toEqual(newestFirst(entries));
  });

  it('filters by resolution status, reason and namespace, and pages with limit/offset', async () => {
    const pending = await dlq.list(admin, { resolutionStatus: 'pending', limit: 50, offset: 0 });
    expect(pending.map((e) => e.dlqEntryUuid)).toEqual(newestFirst(entries.filter((e) => e.status === 'pending')));

    const retries = await dlq.list(admin, { reason: 'max_retries_exceeded', limit: 50, offset: 0 });
    expect(retries.map((e) => e.dlqEntryUuid)).toEqual(
      newestFirst(entries.filter((e) => e.reason === 'max_retries_exceeded')),
    );

    const betaClosed = await dlq.list(admin, {
      namespace: 'beta',
      resolutionStatus: 'manually_resolved',
      limit: 50,
      offset: 0,
    });
    expect(betaClosed.map((e) => e.dlqEntryUuid)).toEqual(
      newestFirst(entries.filter((e) => e.namespace === 'beta' && e.status === 'manually_resolved')),
    );

    const page = await dlq.list(admin, { limit: 3, offset: 2 });
    expect(page.map((e) => e.dlqEntryUuid)).toEqual(newestFirst(entries).slice(2, 5));
  });

  it('hides other namespaces from a namespace-scoped principal', async () => {
    const got = await dlq.list(alphaOnly, { limit: 50, offset: 0 });
    expect(got.map((e) => e.dlqEntryUuid)).toEqual(newestFirst(visible(alphaOnly)));
    expect(await dlq.list(alphaOnly, { namespace: 'beta', limit: 50, offset: 0 })).toEqual([]);
  });

  it('maps every column of the row', async () => {
    const [first] = await dlq.list(admin, { reason: 'dependency_cycle_detected', limit: 1, offset: 0 });
    const seeded = entries.find((e) => e.reason === 'dependency_cycle_detected');
    expect(first).toEqual({
      dlqEntryUuid: seeded?.uuid,
      taskUuid: seeded?.taskUuid,
      originalState: 'steps_in_process',
      reason: 'dependency_cycle_detected',
      dlqTimestamp: seeded?.at,
      resolutionStatus: 'pending',
      resolutionTimestamp: null,
      resolutionNotes: null,
      resolvedBy: null,
      taskSnapshot: { task_uuid: seeded?.taskUuid, reason: 'dependency_cycle_detected' },
      metadata: null,
      createdAt: seeded?.at,
      updatedAt: seeded?.at,
    });
  });

  it('rejects a limit outside 1–1000', async () => {
    await expect(dlq.list(admin, { limit: 0, offset: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('DlqService.getByTask', () => {
  it('returns the latest entry of the task', async () => {
    const taskA = tasks['a'] as string;
    const latest = newestFirst(entries.filter((e) => e.taskUuid === taskA))[0];
    expect((await dlq.getByTask(admin, taskA)).dlqEntryUuid).toBe(latest);
  });

  it('is NOT_FOUND for a task without entries, another namespace, or an unknown task', async () => {
    const template = await seedTemplate(db.sql, { namespace: 'alpha' });
    const clean = await seedTask(db.sql, { template, state: 'complete', createdAt: now });
    await expect(dlq.getByTask(admin, clean.taskUuid)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(dlq.getByTask(alphaOnly, tasks['f'] as string)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(dlq.getByTask(admin, '0190a000-0000-7000-8000-000000000000')).rejects.toBeInstanceOf(AppError);
    await expect(dlq.getByTask(admin, 'not-a-uuid')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('DlqService.stats', () => {
  function expectedStats(list: Seeded[]) {
    return DLQ_REASONS.map((reason) => {
      const of = list.filter((e) => e.reason === reason);
      const closed = of.filter((e) => e.resolvedAt !== null);
      const times = of.map((e) => e.at.getTime());
      return {
        reason,
        totalEntries: of.length,
        pending: of.filter((e) => e.status === 'pending').length,
        manuallyResolved: of.filter((e) => e.status === 'manually_resolved').length,
        permanentlyFailed: of.filter((e) => e.status === 'permanently_failed').length,
        cancelled: of.filter((e) => e.status === 'cancelled').length,
        oldestEntry: of.length ? new Date(Math.min(...times)) : null,
        newestEntry: of.length ? new Date(Math.max(...times)) : null,
        avgResolutionTimeMinutes: closed.length
          ? closed.reduce((sum, e) => sum + ((e.resolvedAt as Date).getTime() - e.at.getTime()) / 60_000, 0) /
            closed.length
          : null,
      };
    });
  }

  it('reports all five reasons, zeros included, with the mean resolution time of closed entries', async () => {
    const got = await dlq.stats(admin);
    const want = expectedStats(entries);
    expect(got.map((s) => s.reason)).toEqual([...DLQ_REASONS]);
    for (const [i, s] of got.entries()) {
      const w = want[i] as (typeof want)[number];
      expect({ ...s, avgResolutionTimeMinutes: null }).toEqual({ ...w, avgResolutionTimeMinutes: null });
      if (w.avgResolutionTimeMinutes === null) expect(s.avgResolutionTimeMinutes).toBeNull();
      else expect(s.avgResolutionTimeMinutes).toBeCloseTo(w.avgResolutionTimeMinutes, 6);
    }
  });

  it('counts only the namespaces a scoped principal may see', async () => {
    const got = await dlq.stats(alphaOnly);
    const want = expectedStats(visible(alphaOnly));
    expect(got.map((s) => [s.reason, s.totalEntries, s.pending])).toEqual(
      want.map((w) => [w.reason, w.totalEntries, w.pending]),
    );
  });
});

describe('DlqService.investigationQueue', () => {
  function expectedQueue(list: Seeded[], at: Date) {
    return list
      .filter((e) => e.status === 'pending')
      .map((e) => ({ uuid: e.uuid, score: DLQ_BASE_SCORES[e.reason] + (at.getTime() - e.at.getTime()) / 60_000 }))
      .sort((x, y) => y.score - x.score);
  }

  it('lists pending entries by base score + minutes in the DLQ, with task details', async () => {
    const at = await databaseNow(db.sql);
    const got = await dlq.investigationQueue(admin, 100);
    const want = expectedQueue(entries, at);
    expect(got.map((i) => i.dlqEntryUuid)).toEqual(want.map((w) => w.uuid));
    for (const [i, item] of got.entries()) {
      expect(item.priorityScore).toBeCloseTo((want[i] as { score: number }).score, 0);
      expect(item.currentState).toBe('error');
      expect(item.taskName).toMatch(/^template_/);
    }
    const first = got[0];
    expect(first?.reason).toBe('dependency_cycle_detected');
    expect(first?.minutesInDlq).toBeGreaterThanOrEqual(1);
    expect(first?.minutesInDlq).toBeLessThan(2);
    expect(first?.timeInStateMinutes).toBeGreaterThanOrEqual(31);
  });

  it('honours the limit and the namespace scope', async () => {
    const at = await databaseNow(db.sql);
    expect((await dlq.investigationQueue(admin, 2)).map((i) => i.dlqEntryUuid)).toEqual(
      expectedQueue(entries, at)
        .slice(0, 2)
        .map((w) => w.uuid),
    );
    expect((await dlq.investigationQueue(alphaOnly, 100)).map((i) => i.dlqEntryUuid)).toEqual(
      expectedQueue(visible(alphaOnly), at).map((w) => w.uuid),
    );
  });
});
