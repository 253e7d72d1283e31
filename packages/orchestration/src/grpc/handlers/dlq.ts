// DlqService: convert → service → convert.
import {
  dlqCreateFromProto,
  dlqCreateResponseToProto,
  dlqEntryToProto,
  dlqInvestigationItemToProto,
  dlqLimitFromProto,
  dlqListQueryFromProto,
  dlqStatsToProto,
  dlqUpdateFromProto,
  dlqUpdateResponseToProto,
  stalenessItemToProto,
  taskUuidFromProto,
} from '@tasker/shared/convert/proto/index';
import type { DlqServiceImplementation } from '@tasker/shared/gen/tasker/v1/dlq';
import type { DlqService } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createDlqHandlers(dlq: DlqService): DlqServiceImplementation<PrincipalContext> {
  return {
    async listEntries(req, { principal }) {
      return { entries: (await dlq.list(principal, dlqListQueryFromProto(req))).map(dlqEntryToProto) };
    },

    async getEntryByTask(req, { principal }) {
      return { entry: dlqEntryToProto(await dlq.getByTask(principal, taskUuidFromProto(req))) };
    },

    async updateInvestigation(req, { principal }) {
      const c = dlqUpdateFromProto(req);
      return dlqUpdateResponseToProto(await dlq.update(principal, c.dlqEntryUuid, c.input));
    },

    async createEntry(req, { principal }) {
      const c = dlqCreateFromProto(req);
      return dlqCreateResponseToProto(await dlq.create(principal, c.taskUuid, c.input));
    },

    async getStats(_req, { principal }) {
      return { stats: (await dlq.stats(principal)).map(dlqStatsToProto) };
    },

    async getInvestigationQueue(req, { principal }) {
      return {
        entries: (await dlq.investigationQueue(principal, dlqLimitFromProto(req))).map(dlqInvestigationItemToProto),
      };
    },

    async getStalenessMonitoring(req, { principal }) {
      return { entries: (await dlq.staleness(principal, dlqLimitFromProto(req))).map(stalenessItemToProto) };
    },
  };
}
