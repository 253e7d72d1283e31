import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS_PRINCIPAL, PERMISSIONS, type Principal } from '../permissions.js';
import { canDelegateGrant, namespacesBeyondScope, undelegableGrants } from './auth.js';

const principal = (permissions: string[], namespaces: string[] | null = null): Principal => ({
  subject: 't',
  kind: 'api_key',
  permissions,
  namespaces,
});

describe('delegating grants', () => {
  it('allows exactly the permissions the principal holds, directly or by wildcard', () => {
    const p = principal(['auth:manage_keys', 'tasks:*', 'dlq:read']);
    expect(canDelegateGrant(p, 'tasks:cancel')).toBe(true);
    expect(canDelegateGrant(p, 'tasks:*')).toBe(true);
    expect(canDelegateGrant(p, 'dlq:read')).toBe(true);
    expect(undelegableGrants(p, ['dlq:read', 'dlq:update', 'dlq:*', 'worker:claim'])).toEqual([
      'dlq:update',
      'dlq:*',
      'worker:claim',
    ]);
  });

  it('treats a wildcard as held when every permission of its resource is', () => {
    const dlq = PERMISSIONS.filter((x) => x.startsWith('dlq:'));
    expect(canDelegateGrant(principal([...dlq]), 'dlq:*')).toBe(true);
    expect(canDelegateGrant(principal(dlq.slice(1)), 'dlq:*')).toBe(false);
    // `worker:` and `workers:` are different resources.
    expect(canDelegateGrant(principal(['workers:read']), 'worker:*')).toBe(false);
    expect(undelegableGrants(ALL_PERMISSIONS_PRINCIPAL, ['tasks:*', 'worker:*', 'auth:manage_keys'])).toEqual([]);
  });

  it('never delegates what is not in the vocabulary', () => {
    const p = principal(['tasks:*']);
    expect(canDelegateGrant(p, 'root:*')).toBe(false);
    expect(canDelegateGrant(p, '*')).toBe(false);
    expect(canDelegateGrant(p, 'tasks:nuke')).toBe(false);
  });
});

describe('namespace scope of an issued key', () => {
  it('lets an unscoped principal issue any scope', () => {
    expect(namespacesBeyondScope(principal([]), null)).toEqual([]);
    expect(namespacesBeyondScope(principal([]), ['a'])).toEqual([]);
  });

  it('keeps a scoped principal within its namespaces', () => {
    const p = principal([], ['billing', 'shipping']);
    expect(namespacesBeyondScope(p, ['billing'])).toEqual([]);
    expect(namespacesBeyondScope(p, [])).toEqual([]);
    expect(namespacesBeyondScope(p, ['billing', 'hr'])).toEqual(['hr']);
    expect(namespacesBeyondScope(p, null)).toEqual(['*']);
  });
});
