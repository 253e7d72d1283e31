// DLQ updates: provided fields only, pending → closed once (stamped, resolved_by required), closed entries never
// silently rewritten (append-only notes, additive metadata), namespace scoping. Each case seeds its own entry.
import { beforeAll, describe, expect, it } from 'vitest';
import type { DlqReason, DlqResolutionStatus } from '@tasker/shared';
import { loadConfig } from '@tasker/shared/config';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import { createDlqService } from '../../src/services/dlq-investigations.js';
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

let dlq: DlqService;
let alpha: SeededTemplate;
let beta: SeededTemplate;

beforeAll(async () => {
  dlq = createDlqService({ sql: db.sql, config: loadConfig({ env: { TASKER_ENV: 'test' } }) });
  alpha = await seedTemplate(db.sql, { namespace: 'alpha' });
  beta = await seedTemplate(db.sql, { namespace: 'beta' });
});

async function freshEntry(
  options: {
    template?: SeededTemplate;
    status?: DlqResolutionStatus;
    reason?: DlqReason;
    notes?: string;
    metadata?: Record<string, string>;
  } = {},
): Promise<string> {
  const now = await databaseNow(db.sql);
  const task = await seedTask(db.sql, {
    template: options.template ?? alpha,
    state: 'error',
    createdAt: minutesBefore(now, 120),
  });
  return seedDlqEntry(db.sql, {
    taskUuid: task.taskUuid,
    reason: options.reason ?? 'max_retries_exceeded',
    status: options.status ?? 'pending',
    dlqTimestamp: minutesBefore(now, 60),
    ...(options.status !== undefined && options.status !== 'pending' ? { resolvedBy: 'first-operator' } : {}),
    notes: options.notes ?? null,
    metadata: options.metadata ?? null,
  });
}

async function row(uuid: string) {
  const [r] = await db.sql`select * from tasker.dlq_entries where dlq_entry_uuid = ${uuid}`;
  return r as Record<string, unknown>;
}

describe('updating a pending entry', () => {
  it('records notes and metadata without closing it', async () => {
    const uuid = await freshEntry();
    const updated = await dlq.update(admin, uuid, {
      resolutionNotes: 'looking at the payment handler',
      metadata: { ticket: 'OPS-1' },
    });
    expect(updated).toMatchObject({
      resolutionStatus: 'pending',
      resolutionTimestamp: null,
      resolvedBy: null,
      resolutionNotes: 'looking at the payment handler',
      metadata: { ticket: 'OPS-1' },
    });
    const again = await dlq.update(admin, uuid, { metadata: { ticket: 'OPS-2', owner: 'bob' } });
    expect(again.metadata).toEqual({ ticket: 'OPS-2', owner: 'bob' });
    expect(again.resolutionNotes).toBe('looking at the payment handler');
  });

  it.each(['manually_resolved', 'permanently_failed', 'cancelled'] as const)(
    'closes it as %s, stamping when and who',
    async (status) => {
      const uuid = await freshEntry();
      const before = await databaseNow(db.sql);
      const closed = await dlq.update(admin, uuid, { resolutionStatus: status, resolvedBy: 'carol' });
      const after = await databaseNow(db.sql);
      expect(closed.resolutionStatus).toBe(status);
      expect(closed.resolvedBy).toBe('carol');
      expect(closed.resolutionTimestamp?.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(closed.resolutionTimestamp?.getTime()).toBeLessThanOrEqual(after.getTime());
      expect(await row(uuid)).toMatchObject({ resolution_status: status, resolved_by: 'carol' });
    },
  );

  it('requires resolved_by to close, and refuses resolved_by on an entry that stays open', async () => {
    const uuid = await freshEntry();
    await expect(dlq.update(admin, uuid, { resolutionStatus: 'manually_resolved' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ path: 'resolved_by', message: expect.any(String) }] },
    });
    await expect(dlq.update(admin, uuid, { resolvedBy: 'dave' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await row(uuid)).toMatchObject({
      resolution_status: 'pending',
      resolved_by: null,
      resolution_timestamp: null,
    });
  });

  it('changes nothing for an empty update', async () => {
    const uuid = await freshEntry();
    const before = await row(uuid);
    const same = await dlq.update(admin, uuid, {});
    expect(same.updatedAt).toEqual(before['updated_at']);
    expect(await row(uuid)).toEqual(before);
  });
});

describe('updating a closed entry', () => {
  it('refuses to change its status, even back to pending, and leaves the row as it was', async () => {
    const uuid = await freshEntry({ status: 'permanently_failed' });
    const before = await row(uuid);
    for (const status of ['pending', 'manually_resolved', 'cancelled'] as const) {
      await expect(
        dlq.update(admin, uuid, { resolutionStatus: status, resolvedBy: 'first-operator' }),
      ).rejects.toMatchObject({
        code: 'INVALID_STATE',
      });
    }
    await expect(dlq.update(admin, uuid, { resolvedBy: 'someone-else' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    expect(await row(uuid)).toEqual(before);
  });

  it('accepts a repeat of the same closing update as a no-op', async () => {
    const uuid = await freshEntry({ status: 'cancelled' });
    const before = await row(uuid);
    const same = await dlq.update(admin, uuid, { resolutionStatus: 'cancelled', resolvedBy: 'first-operator' });
    expect(same.resolutionStatus).toBe('cancelled');
    expect(await row(uuid)).toEqual(before);
  });

  it('appends notes under a stamped header instead of replacing them', async () => {
    const uuid = await freshEntry({ status: 'manually_resolved', notes: 'fixed the tax step' });
    const at = await databaseNow(db.sql);
    const updated = await dlq.update(alphaOnly, uuid, { resolutionNotes: 'root cause: expired API token' });
    const notes = updated.resolutionNotes ?? '';
    const match = /^fixed the tax step\n\n\[(\S+) alice\] root cause: expired API token$/.exec(notes);
    expect(match).not.toBeNull();
    expect(Math.abs(new Date(match?.[1] as string).getTime() - at.getTime())).toBeLessThan(5_000);
    expect(updated.resolutionStatus).toBe('manually_resolved');
  });

  it('lets metadata gain keys but not change existing ones', async () => {
    const uuid = await freshEntry({ status: 'manually_resolved', metadata: { ticket: 'OPS-9' } });
    const added = await dlq.update(admin, uuid, { metadata: { postmortem: 'PM-3', ticket: 'OPS-9' } });
    expect(added.metadata).toEqual({ ticket: 'OPS-9', postmortem: 'PM-3' });
    await expect(dlq.update(admin, uuid, { metadata: { ticket: 'OPS-10' } })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      details: { keys: ['ticket'] },
    });
    expect((await row(uuid))['metadata']).toEqual({ ticket: 'OPS-9', postmortem: 'PM-3' });
  });
});

describe('update scoping and lookups', () => {
  it('is NOT_FOUND for another namespace and for an unknown entry; VALIDATION_FAILED for a bad uuid', async () => {
    const uuid = await freshEntry({ template: beta });
    await expect(dlq.update(alphaOnly, uuid, { resolutionNotes: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await row(uuid))['resolution_notes']).toBeNull();
    await expect(
      dlq.update(admin, '0190a000-0000-7000-8000-000000000000', { resolutionNotes: 'x' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(dlq.update(admin, 'nope', {})).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('serialises concurrent closings: exactly one wins, the other sees a closed entry', async () => {
    const uuid = await freshEntry();
    const results = await Promise.allSettled([
      dlq.update(admin, uuid, { resolutionStatus: 'manually_resolved', resolvedBy: 'erin' }),
      dlq.update(admin, uuid, { resolutionStatus: 'cancelled', resolvedBy: 'frank' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_STATE' });
    const stored = await row(uuid);
    expect(stored['resolution_status']).toBe(
      (won[0] as PromiseFulfilledResult<{ resolutionStatus: string }>).value.resolutionStatus,
    );
  });
});
