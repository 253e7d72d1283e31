// Token minting shared by auth tests and the `tasker auth generate-token` helper.
import { SignJWT, type JWTPayload } from 'jose';

export interface MintOptions {
  issuer: string;
  audience: string;
  subject: string;
  permissions?: string[];
  namespaces?: string[];
  expiresInSeconds?: number;
  notBeforeSeconds?: number;
  kid?: string;
  extra?: JWTPayload;
  now?: number;
}

/** Signs a JWT with `alg` (HS256 with a secret KeyObject/Uint8Array, RS256/ES256 with a private key). */
export async function mintToken(
  alg: string,
  key: Parameters<SignJWT['sign']>[0],
  options: MintOptions,
): Promise<string> {
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const payload: JWTPayload = { ...options.extra };
  if (options.permissions) payload.permissions = options.permissions;
  if (options.namespaces) payload.worker_namespaces = options.namespaces;
  const jwt = new SignJWT(payload)
    .setProtectedHeader(options.kid ? { alg, kid: options.kid } : { alg })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + (options.expiresInSeconds ?? 3600));
  if (options.notBeforeSeconds !== undefined) jwt.setNotBefore(nowSeconds + options.notBeforeSeconds);
  return jwt.sign(key);
}
