// ScheduleService: convert → service → convert.
import {
  scheduleCreateInputFromProto,
  scheduleFiringToProto,
  scheduleFiringsQueryFromProto,
  scheduleListQueryFromProto,
  scheduleToProto,
  scheduleUpdateFromProto,
  scheduleUuidFromProto,
} from '@tasker/shared/convert/proto/index';
import type { ScheduleServiceImplementation } from '@tasker/shared/gen/tasker/v1/schedules';
import type { ScheduleService } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createScheduleHandlers(schedules: ScheduleService): ScheduleServiceImplementation<PrincipalContext> {
  return {
    async createSchedule(req, { principal }) {
      return { schedule: scheduleToProto(await schedules.create(principal, scheduleCreateInputFromProto(req))) };
    },
    async listSchedules(req, { principal }) {
      return { schedules: (await schedules.list(principal, scheduleListQueryFromProto(req))).map(scheduleToProto) };
    },
    async getSchedule(req, { principal }) {
      return { schedule: scheduleToProto(await schedules.get(principal, scheduleUuidFromProto(req))) };
    },
    async updateSchedule(req, { principal }) {
      const c = scheduleUpdateFromProto(req);
      return { schedule: scheduleToProto(await schedules.update(principal, c.scheduleUuid, c.input)) };
    },
    async pauseSchedule(req, { principal }) {
      return { schedule: scheduleToProto(await schedules.pause(principal, scheduleUuidFromProto(req))) };
    },
    async resumeSchedule(req, { principal }) {
      return { schedule: scheduleToProto(await schedules.resume(principal, scheduleUuidFromProto(req))) };
    },
    async deleteSchedule(req, { principal }) {
      return { schedule: scheduleToProto(await schedules.delete(principal, scheduleUuidFromProto(req))) };
    },
    async listScheduleFirings(req, { principal }) {
      const c = scheduleFiringsQueryFromProto(req);
      return { firings: (await schedules.listFirings(principal, c.scheduleUuid, c.query)).map(scheduleFiringToProto) };
    },
  };
}
