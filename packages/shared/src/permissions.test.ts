import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import {
  ALL_PERMISSIONS_PRINCIPAL,
  PERMISSIONS,
  assertPermission,
  canAccessNamespace,
  hasPermission,
  isKnownPermission,
  isValidGrant,
  permissionMatches,
  type Principal,
} from './permissions.js';

const principal = (permissions: string[], namespaces: string[] | null = null): Principal => ({
  subject: 'test',
  kind: 'api_key',
  permissions,
  namespaces,
});

describe('permission vocabulary', () => {
  it('contains the reference vocabulary and our additions, without system:handlers_read', () => {
    for (const p of [
      'tasks:create',
      'tasks:read',
      'tasks:list',
      'tasks:cancel',
      'tasks:context_read',
      'tasks:resume',
      'steps:read',
      'steps:resolve',
      'dlq:read',
      'dlq:update',
      'dlq:stats',
      'templates:read',
      'templates:validate',
      'templates:register',
      'system:config_read',
      'system:analytics_read',
      'worker:config_read',
      'worker:templates_read',
      'worker:register',
      'worker:claim',
      'worker:report',
      'auth:manage_keys',
      'workers:read',
    ]) {
      expect(isKnownPermission(p), p).toBe(true);
    }
    expect(isKnownPermission('system:handlers_read')).toBe(false);
    expect(new Set(PERMISSIONS).size).toBe(PERMISSIONS.length);
  });

  it('every permission is resource:action in snake_case', () => {
    for (const p of PERMISSIONS) expect(p).toMatch(/^[a-z_]+:[a-z_]+$/);
  });

  it('accepts resource wildcards of known resources as grants, nothing else', () => {
    expect(isValidGrant('tasks:*')).toBe(true);
    expect(isValidGrant('worker:*')).toBe(true);
    expect(isValidGrant('tasks:create')).toBe(true);
    expect(isValidGrant('*')).toBe(false);
    expect(isValidGrant('*:*')).toBe(false);
    expect(isValidGrant('bogus:*')).toBe(false);
    expect(isValidGrant('tasks:delete')).toBe(false);
    expect(isValidGrant(42)).toBe(false);
    expect(isKnownPermission('tasks:*')).toBe(false);
  });
});

describe('permissionMatches', () => {
  it('matches exact names and resource wildcards only', () => {
    expect(permissionMatches('tasks:create', 'tasks:create')).toBe(true);
    expect(permissionMatches('tasks:*', 'tasks:create')).toBe(true);
    expect(permissionMatches('tasks:*', 'steps:read')).toBe(false);
    expect(permissionMatches('task:*', 'tasks:create')).toBe(false);
    expect(permissionMatches('worker:*', 'workers:read')).toBe(false);
    expect(permissionMatches('*', 'tasks:create')).toBe(false);
    expect(permissionMatches(':*', 'tasks:create')).toBe(false);
    expect(permissionMatches('tasks:read', 'tasks:create')).toBe(false);
  });
});

describe('Principal checks', () => {
  it('hasPermission looks through every grant', () => {
    const p = principal(['steps:read', 'worker:*']);
    expect(hasPermission(p, 'steps:read')).toBe(true);
    expect(hasPermission(p, 'worker:claim')).toBe(true);
    expect(hasPermission(p, 'tasks:read')).toBe(false);
    expect(hasPermission(principal([]), 'tasks:read')).toBe(false);
  });

  it('assertPermission throws PERMISSION_DENIED naming the permission', () => {
    expect(() => assertPermission(principal(['tasks:*']), 'tasks:cancel')).not.toThrow();
    let thrown: unknown;
    try {
      assertPermission(principal(['tasks:read']), 'dlq:update');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('PERMISSION_DENIED');
    expect((thrown as AppError).message).toBe('Missing required permission: dlq:update');
  });

  it('namespaces null means all, a list restricts', () => {
    expect(canAccessNamespace(principal([], null), 'billing')).toBe(true);
    expect(canAccessNamespace(principal([], ['billing']), 'billing')).toBe(true);
    expect(canAccessNamespace(principal([], ['billing']), 'shipping')).toBe(false);
    expect(canAccessNamespace(principal([], []), 'billing')).toBe(false);
  });

  it('the auth-off principal holds every permission and namespace and cannot be changed', () => {
    for (const p of PERMISSIONS) expect(hasPermission(ALL_PERMISSIONS_PRINCIPAL, p)).toBe(true);
    expect(canAccessNamespace(ALL_PERMISSIONS_PRINCIPAL, 'anything')).toBe(true);
    expect(Object.isFrozen(ALL_PERMISSIONS_PRINCIPAL)).toBe(true);
    expect(Object.isFrozen(ALL_PERMISSIONS_PRINCIPAL.permissions)).toBe(true);
  });
});
