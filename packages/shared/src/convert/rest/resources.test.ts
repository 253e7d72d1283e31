// DLQ, analytics, health and task events: the smaller resources.
import { describe, expect, it } from 'vitest';
import {
  DLQ_REASONS,
  DLQ_RESOLUTION_STATUSES,
  STALENESS_HEALTH_STATUSES,
  type DlqListQuery,
} from '../../domain/dlq.js';
import { EXPANSION_EVENT_TYPES, TASK_EVENT_TYPES } from '../../domain/events.js';
import { BottleneckAnalysisSchema, PerformanceMetricsSchema } from '../../schemas/rest/analytics.js';
import {
  DlqEntrySchema,
  DlqInvestigationItemSchema,
  DlqListQuerySchema,
  DlqStatsSchema,
  DlqUpdateRequestSchema,
  DlqCreateRequestSchema,
  StalenessItemSchema,
} from '../../schemas/rest/dlq.js';
import { TaskEventSchema } from '../../schemas/rest/events.js';
import { HealthResponseSchema } from '../../schemas/rest/health.js';
import {
  makeBottleneckAnalysis,
  makeDlqEntry,
  makeDlqInvestigationItem,
  makeDlqStats,
  makeHealthReport,
  makePerformanceMetrics,
  makeStalenessItem,
  makeExpansionEvent,
  makeTaskExpansion,
  makeTaskStatusEvent,
} from '../../testing/builders.js';
import {
  bottleneckAnalysisFromRest,
  bottleneckAnalysisToRest,
  performanceMetricsFromRest,
  performanceMetricsToRest,
} from './analytics.js';
import {
  dlqCreateInputFromRest,
  dlqCreateInputToRest,
  dlqEntryFromRest,
  dlqEntryToRest,
  dlqInvestigationItemFromRest,
  dlqInvestigationItemToRest,
  dlqListQueryFromRest,
  dlqListQueryToRest,
  dlqStatsFromRest,
  dlqStatsToRest,
  dlqUpdateInputFromRest,
  dlqUpdateInputToRest,
  stalenessItemFromRest,
  stalenessItemToRest,
} from './dlq.js';
import { taskEventFromRest, taskEventToRest } from './events.js';
import { healthReportFromRest, healthReportToRest } from './health.js';

const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('DLQ ↔ REST', () => {
  it('round-trips full and minimal entries with every reason and status', () => {
    const minimal = makeDlqEntry({
      resolutionTimestamp: null,
      resolutionNotes: null,
      resolvedBy: null,
      metadata: null,
      taskSnapshot: {},
    });
    for (const entry of [makeDlqEntry(), minimal]) {
      expect(dlqEntryFromRest(DlqEntrySchema.parse(wire(dlqEntryToRest(entry))))).toEqual(entry);
    }
    for (const reason of DLQ_REASONS) {
      for (const resolutionStatus of DLQ_RESOLUTION_STATUSES) {
        const entry = makeDlqEntry({ reason, resolutionStatus });
        expect(dlqEntryFromRest(DlqEntrySchema.parse(wire(dlqEntryToRest(entry))))).toEqual(entry);
      }
    }
  });

  it('round-trips list queries and updates', () => {
    const full: DlqListQuery = {
      limit: 10,
      offset: 20,
      resolutionStatus: 'pending',
      reason: 'manual_dlq',
      namespace: 'billing',
    };
    expect(dlqListQueryFromRest(DlqListQuerySchema.parse(dlqListQueryToRest(full)))).toEqual(full);
    expect(dlqListQueryFromRest(DlqListQuerySchema.parse({}))).toEqual({ limit: 50, offset: 0 });
    const update = {
      resolutionStatus: 'cancelled' as const,
      resolutionNotes: 'n',
      resolvedBy: 'ops',
      metadata: { a: 1 },
    };
    expect(dlqUpdateInputFromRest(DlqUpdateRequestSchema.parse(wire(dlqUpdateInputToRest(update))))).toEqual(update);
    expect(dlqUpdateInputFromRest(DlqUpdateRequestSchema.parse({}))).toEqual({});
    expect(DlqUpdateRequestSchema.safeParse({ resolution_status: 'Pending' }).success).toBe(false);
  });

  it('round-trips the opening of a manual entry and names bad fields', () => {
    const input = { performedBy: 'ops', reason: 'looks stuck' };
    expect(dlqCreateInputFromRest(DlqCreateRequestSchema.parse(wire(dlqCreateInputToRest(input))))).toEqual(input);
    const bad = DlqCreateRequestSchema.safeParse({ performed_by: '', colour: 'red' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual([
      'performed_by',
      'reason',
      'unrecognized_keys',
    ]);
  });

  it('round-trips stats, investigation items and staleness rows', () => {
    for (const stats of [
      makeDlqStats(),
      makeDlqStats({ oldestEntry: null, newestEntry: null, avgResolutionTimeMinutes: null }),
    ]) {
      expect(dlqStatsFromRest(DlqStatsSchema.parse(wire(dlqStatsToRest(stats))))).toEqual(stats);
    }
    const minimalItem = makeDlqInvestigationItem({
      namespace: null,
      taskName: null,
      currentState: null,
      timeInStateMinutes: null,
    });
    for (const item of [makeDlqInvestigationItem(), minimalItem]) {
      expect(
        dlqInvestigationItemFromRest(DlqInvestigationItemSchema.parse(wire(dlqInvestigationItemToRest(item)))),
      ).toEqual(item);
    }
    for (const healthStatus of STALENESS_HEALTH_STATUSES) {
      for (const item of [
        makeStalenessItem({ healthStatus }),
        makeStalenessItem({ healthStatus, namespace: null, taskName: null }),
      ]) {
        expect(stalenessItemFromRest(StalenessItemSchema.parse(wire(stalenessItemToRest(item))))).toEqual(item);
      }
    }
  });
});

describe('analytics ↔ REST', () => {
  it('round-trips performance metrics and bottlenecks', () => {
    const metrics = makePerformanceMetrics();
    expect(performanceMetricsFromRest(PerformanceMetricsSchema.parse(wire(performanceMetricsToRest(metrics))))).toEqual(
      metrics,
    );
    for (const analysis of [
      makeBottleneckAnalysis(),
      makeBottleneckAnalysis({ slowSteps: [], slowTasks: [], recommendations: [] }),
    ]) {
      expect(
        bottleneckAnalysisFromRest(BottleneckAnalysisSchema.parse(wire(bottleneckAnalysisToRest(analysis)))),
      ).toEqual(analysis);
    }
  });
});

describe('health ↔ REST', () => {
  it('round-trips full and minimal reports', () => {
    const info = makeHealthReport().info!;
    for (const report of [
      makeHealthReport(),
      makeHealthReport({ status: 'alive', checks: {}, info: null }),
      makeHealthReport({ info: { ...info, circuitBreakerState: 'open', pools: {}, queueDepth: null } }),
      makeHealthReport({
        info: {
          ...info,
          circuitBreakerState: 'disabled',
          queueDepth: { measuredAt: info.queueDepth!.measuredAt, namespaces: {} },
        },
      }),
    ]) {
      expect(healthReportFromRest(HealthResponseSchema.parse(wire(healthReportToRest(report))))).toEqual(report);
    }
  });
});

describe('task events ↔ REST', () => {
  it('round-trips every event type, with and without a step', () => {
    for (const type of TASK_EVENT_TYPES) {
      for (const event of [makeTaskStatusEvent({ type }), makeTaskStatusEvent({ type, step: null, eventId: 0 })]) {
        expect(taskEventFromRest(TaskEventSchema.parse(wire(taskEventToRest(event))))).toEqual(event);
      }
    }
  });

  it('round-trips both expansion events with their payload', () => {
    for (const type of EXPANSION_EVENT_TYPES) {
      const event = makeExpansionEvent(type);
      expect(taskEventFromRest(TaskEventSchema.parse(wire(taskEventToRest(event))))).toEqual(event);
    }
    const none = makeExpansionEvent('decision.branches_created', {
      expansion: makeTaskExpansion({
        outcomeType: 'no_branches',
        createdSteps: [],
        workerTemplate: null,
        batchIds: [],
      }),
    });
    expect(taskEventFromRest(TaskEventSchema.parse(wire(taskEventToRest(none))))).toEqual(none);
    const bad = { ...taskEventToRest(makeExpansionEvent('batch.workers_created')) };
    expect(TaskEventSchema.safeParse({ ...bad, expansion: { ...bad.expansion, outcome_type: 'grow' } }).success).toBe(
      false,
    );
  });
});
