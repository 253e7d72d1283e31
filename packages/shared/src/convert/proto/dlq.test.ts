import { describe, expect, it } from 'vitest';
import { DlqReason, DlqResolutionStatus } from '../../gen/tasker/v1/common.js';
import {
  CreateEntryRequest,
  CreateEntryResponse,
  DlqEntry as PbDlqEntry,
  DlqInvestigationQueueEntry,
  DlqStats as PbDlqStats,
  ListEntriesRequest,
  StalenessMonitoringEntry,
  UpdateInvestigationRequest,
  UpdateInvestigationResponse,
} from '../../gen/tasker/v1/dlq.js';
import {
  makeDlqEntry,
  makeDlqInvestigationItem,
  makeDlqStats,
  makeStalenessItem,
  makeUuid,
} from '../../testing/builders.js';
import {
  makeMinimalDlqEntry,
  makeMinimalDlqInvestigationItem,
  makeMinimalDlqStats,
  makeMinimalStalenessItem,
  validationFieldsOf,
  wire,
  distinctVariants,
} from '../../testing/proto-builders.js';
import {
  dlqCreateFromProto,
  dlqCreateResponseFromProto,
  dlqCreateResponseToProto,
  dlqCreateToProto,
  dlqEntryFromProto,
  dlqEntryToProto,
  dlqInvestigationItemFromProto,
  dlqInvestigationItemToProto,
  dlqLimitFromProto,
  dlqListQueryFromProto,
  dlqListQueryToProto,
  dlqStatsFromProto,
  dlqStatsToProto,
  dlqUpdateFromProto,
  dlqUpdateResponseFromProto,
  dlqUpdateResponseToProto,
  dlqUpdateToProto,
  stalenessItemFromProto,
  stalenessItemToProto,
} from './dlq.js';

describe('DLQ messages', () => {
  it.each([
    ['fully populated', makeDlqEntry()],
    ...distinctVariants(makeDlqEntry()),
    ['minimal', makeMinimalDlqEntry()],
  ])('round-trips an entry over the wire (%s)', (_, entry) => {
    expect(dlqEntryFromProto(wire(PbDlqEntry, dlqEntryToProto(entry)))).toEqual(entry);
    expect(dlqUpdateResponseFromProto(wire(UpdateInvestigationResponse, dlqUpdateResponseToProto(entry)))).toEqual(
      entry,
    );
    expect(dlqCreateResponseFromProto(wire(CreateEntryResponse, dlqCreateResponseToProto(entry)))).toEqual(entry);
  });

  it.each([
    ['fully populated', makeDlqStats()],
    ...distinctVariants(makeDlqStats()),
    ['minimal', makeMinimalDlqStats()],
  ])('round-trips stats (%s)', (_, stats) => {
    expect(dlqStatsFromProto(wire(PbDlqStats, dlqStatsToProto(stats)))).toEqual(stats);
  });

  it.each([
    ['fully populated', makeDlqInvestigationItem()],
    ...distinctVariants(makeDlqInvestigationItem()),
    ['minimal', makeMinimalDlqInvestigationItem()],
  ])('round-trips an investigation item (%s)', (_, item) => {
    expect(dlqInvestigationItemFromProto(wire(DlqInvestigationQueueEntry, dlqInvestigationItemToProto(item)))).toEqual(
      item,
    );
  });

  it.each([
    ['fully populated', makeStalenessItem()],
    ...distinctVariants(makeStalenessItem()),
    ['minimal', makeMinimalStalenessItem()],
  ])('round-trips a staleness item (%s)', (_, item) => {
    expect(stalenessItemFromProto(wire(StalenessMonitoringEntry, stalenessItemToProto(item)))).toEqual(item);
  });
});

describe('DLQ requests', () => {
  it('round-trips list queries and applies the REST bounds', () => {
    const full = {
      resolutionStatus: 'pending' as const,
      reason: 'manual_dlq' as const,
      namespace: 'billing',
      limit: 10,
      offset: 30,
    };
    expect(dlqListQueryFromProto(wire(ListEntriesRequest, dlqListQueryToProto(full)))).toEqual(full);
    expect(dlqListQueryFromProto({})).toEqual({ limit: 50, offset: 0 });
    const bad = {
      limit: 0,
      resolutionStatus: DlqResolutionStatus.DLQ_RESOLUTION_STATUS_UNSPECIFIED,
      reason: DlqReason.DLQ_REASON_UNSPECIFIED,
      namespace: '',
    };
    expect(validationFieldsOf(() => dlqListQueryFromProto(bad))).toEqual([
      'limit',
      'namespace',
      'reason',
      'resolution_status',
    ]);
  });

  it('round-trips updates, partial and full', () => {
    for (const c of [
      {
        dlqEntryUuid: makeUuid(),
        input: {
          resolutionStatus: 'manually_resolved' as const,
          resolutionNotes: 'n',
          resolvedBy: 'ops',
          metadata: { t: 1 },
        },
      },
      { dlqEntryUuid: makeUuid(), input: {} },
    ]) {
      expect(dlqUpdateFromProto(wire(UpdateInvestigationRequest, dlqUpdateToProto(c)))).toEqual(c);
    }
    expect(
      validationFieldsOf(() => dlqUpdateFromProto({ dlqEntryUuid: 'x', resolvedBy: '', metadata: undefined })),
    ).toEqual(['dlq_entry_uuid', 'resolved_by']);
  });

  it('round-trips the opening of a manual entry and applies the REST bounds', () => {
    const c = { taskUuid: makeUuid(), input: { performedBy: 'ops', reason: 'looks stuck' } };
    expect(dlqCreateFromProto(wire(CreateEntryRequest, dlqCreateToProto(c)))).toEqual(c);
    expect(
      validationFieldsOf(() => dlqCreateFromProto({ taskUuid: 'x', performedBy: 'p'.repeat(256), reason: '' })),
    ).toEqual(['performed_by', 'reason', 'task_uuid']);
  });

  it('defaults and bounds the queue limits', () => {
    expect(dlqLimitFromProto({})).toBe(100);
    expect(dlqLimitFromProto({ limit: 7 })).toBe(7);
    expect(validationFieldsOf(() => dlqLimitFromProto({ limit: 1001 }))).toEqual(['limit']);
  });
});
