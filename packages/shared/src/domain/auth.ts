// Stored API keys as the admin surfaces show them, and the delegation rules: who may issue or manage which key.
import { PERMISSIONS, canAccessNamespace, hasPermission, isKnownPermission, type Principal } from '../permissions.js';

/** A stored API key. The plain key is never part of it: only its creation returns the key, once. */
export interface ApiKey {
  keyUuid: string;
  description: string;
  /** Grants: permissions or `<resource>:*` wildcards. */
  permissions: string[];
  /** `null` = every namespace; `[]` = none. */
  namespaces: string[] | null;
  createdAt: Date;
  /** `null` = never expires. */
  expiresAt: Date | null;
  /** `null` while active. */
  revokedAt: Date | null;
  /** `null` when never used; updated at most once a minute. */
  lastUsedAt: Date | null;
}

/** A stored API key as authentication reads it: the SHA-256 digest of the key, never the key itself. */
export interface StoredApiKey {
  digest: Buffer;
  description: string;
  permissions: readonly string[];
  namespaces: readonly string[] | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
}

export interface CreateApiKeyInput {
  description: string;
  permissions: string[];
  /** `null` = every namespace; `[]` = none. */
  namespaces: string[] | null;
  /** `null` = never expires; otherwise it must lie in the future. */
  expiresAt: Date | null;
}

/** The answer to a creation: the plain key (shown this once) and the stored key. */
export interface CreatedApiKey {
  key: string;
  apiKey: ApiKey;
}

/**
 * Whether `principal` holds `grant` itself, and so may put it on a key it issues: a permission it has, or a
 * `<resource>:*` wildcard it has or whose every permission it has. A principal can never hand out more than it holds.
 */
export function canDelegateGrant(principal: Principal, grant: string): boolean {
  if (isKnownPermission(grant)) return hasPermission(principal, grant);
  if (!grant.endsWith(':*')) return false;
  if (principal.permissions.includes(grant)) return true;
  const resource = grant.slice(0, -1);
  const covered = PERMISSIONS.filter((p) => p.startsWith(resource));
  return covered.length > 0 && covered.every((p) => hasPermission(principal, p));
}

/** The grants of `grants` the principal does not hold, in order (empty = all may be delegated). */
export function undelegableGrants(principal: Principal, grants: readonly string[]): string[] {
  return grants.filter((g) => !canDelegateGrant(principal, g));
}

/**
 * The namespaces of a key scope that lie outside the principal's own scope. `'*'` stands for "every namespace"
 * when the key is unscoped but the principal is not. Empty = the scope is within the principal's.
 */
export function namespacesBeyondScope(principal: Principal, namespaces: readonly string[] | null): string[] {
  if (principal.namespaces === null) return [];
  if (namespaces === null) return ['*'];
  return namespaces.filter((ns) => !canAccessNamespace(principal, ns));
}
