import { PERMISSIONS } from '@tasker/shared/permissions';
import { describe, expect, it } from 'vitest';
import {
  GRPC_METHOD_PERMISSIONS,
  REFLECTION_METHOD_PATH,
  SERVED_DEFINITIONS,
  grpcMethodRequirement,
  methodPathsOf,
} from './permissions.js';

describe('GRPC_METHOD_PERMISSIONS', () => {
  const served = [...SERVED_DEFINITIONS.flatMap((d) => methodPathsOf(d)), REFLECTION_METHOD_PATH];

  it('has exactly one entry for every method of every registered service, and none unused', () => {
    expect(new Set(served).size).toBe(served.length);
    expect(Object.keys(GRPC_METHOD_PERMISSIONS).sort()).toEqual([...served].sort());
  });

  it('maps every method to a known permission or public', () => {
    for (const requirement of Object.values(GRPC_METHOD_PERMISSIONS)) {
      expect(
        requirement === 'public' ||
          requirement === 'authenticated' ||
          (PERMISSIONS as readonly string[]).includes(requirement),
      ).toBe(true);
    }
  });

  it('keeps health public and reflection behind a credential, and nothing else', () => {
    expect(grpcMethodRequirement('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo')).toBe('authenticated');
    const publicPaths = Object.entries(GRPC_METHOD_PERMISSIONS)
      .filter(([, p]) => p === 'public')
      .map(([path]) => path)
      .sort();
    expect(publicPaths).toEqual(
      [
        '/grpc.health.v1.Health/Check',
        '/grpc.health.v1.Health/Watch',
        '/tasker.v1.HealthService/CheckDetailedHealth',
        '/tasker.v1.HealthService/CheckHealth',
        '/tasker.v1.HealthService/CheckLiveness',
        '/tasker.v1.HealthService/CheckReadiness',
      ].sort(),
    );
  });

  it('puts the worker protocol under worker:* and answers undefined for unknown paths', () => {
    for (const m of [
      'RegisterWorker',
      'ClaimSteps',
      'Heartbeat',
      'CompleteStep',
      'FailStep',
      'ReportResults',
      'ReleaseLeases',
    ]) {
      expect(grpcMethodRequirement(`/tasker.v1.WorkerService/${m}`)).toMatch(/^worker:/);
    }
    expect(grpcMethodRequirement('/tasker.v1.TaskService/DeleteEverything')).toBeUndefined();
    expect(grpcMethodRequirement('toString')).toBeUndefined();
  });
});
