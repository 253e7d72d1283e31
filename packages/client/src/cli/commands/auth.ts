// `tasker auth generate-token|validate-token`: mint JWTs for development and CI, and check a token the way the
// server does (same issuer, audience, algorithm allow-list, claims) with jose, from the configured key source.
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isValidGrant } from '@tasker/shared/permissions';
import type { Command } from 'commander';
import { SignJWT, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { action, collect, type CliContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { renderFields } from '../output.js';
import { loadJwtSettings, type JwtSettings } from './jwt-settings.js';

/** `3600`, `90s`, `30m`, `12h`, `7d` → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (match === null) throw new UsageError(`invalid duration ${JSON.stringify(text)}: use seconds or 30m, 12h, 7d`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** The JWS algorithm for a private key: RS256 for RSA, ES256/384/512 by EC curve, EdDSA for Ed25519. */
export function algorithmOf(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
    }
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new UsageError(`unsupported private key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
}

interface GenerateFlags {
  sub: string;
  permissions?: string[];
  namespaces?: string[];
  expiresIn: string;
  secret?: string;
  privateKey?: string;
  alg?: string;
  kid?: string;
  issuer?: string;
  audience?: string;
}

interface ValidateFlags {
  secret?: string;
  publicKey?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

function signingKey(opts: GenerateFlags, settings: JwtSettings): { key: KeyObject; alg: string } {
  if (opts.privateKey !== undefined) {
    const key = createPrivateKey(readFileSync(opts.privateKey, 'utf8'));
    return { key, alg: opts.alg ?? algorithmOf(key) };
  }
  const secret = opts.secret ?? settings.hs256Secret;
  if (secret === null || secret === undefined) {
    throw new UsageError(
      'no signing key: pass --private-key <pem file>, --secret <hs256 secret>, or set TASKER_JWT_HS256_SECRET',
    );
  }
  if (secret.length < 32)
    throw new UsageError('the HS256 secret must be at least 32 characters (the server refuses shorter ones)');
  return { key: createSecretKey(Buffer.from(secret, 'utf8')), alg: opts.alg ?? 'HS256' };
}

type VerifyKey = KeyObject | ReturnType<typeof createRemoteJWKSet>;

function verificationKey(opts: ValidateFlags, settings: JwtSettings): VerifyKey {
  if (opts.secret !== undefined) return createSecretKey(Buffer.from(opts.secret, 'utf8'));
  if (opts.publicKey !== undefined) return createPublicKey(readFileSync(opts.publicKey, 'utf8'));
  if (opts.jwksUrl !== undefined) return createRemoteJWKSet(new URL(opts.jwksUrl));
  if (settings.hs256Secret !== null) return createSecretKey(Buffer.from(settings.hs256Secret, 'utf8'));
  if (settings.publicKeyPath !== null) return createPublicKey(readFileSync(settings.publicKeyPath, 'utf8'));
  if (settings.publicKeyPem !== null) return createPublicKey(settings.publicKeyPem);
  if (settings.jwksUrl !== null) return createRemoteJWKSet(new URL(settings.jwksUrl));
  throw new UsageError('no verification key: pass --secret, --public-key or --jwks-url, or configure auth.jwt');
}

function stringList(payload: JWTPayload, claim: string): string[] | null {
  const value = payload[claim];
  if (value === undefined) return null;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`claim ${claim} must be an array of strings`);
  return value as string[];
}

/** Why jose refused a token, in the server's words. */
function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `token claim ${error.claim} rejected: ${error.reason}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'malformed token';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature invalid';
  return error instanceof Error ? error.message : String(error);
}

/** Adds `auth generate-token|validate-token` to `auth`. */
export function registerAuthCommands(auth: Command, ctx: CliContext): void {
  auth
    .command('generate-token')
    .description('Mint a JWT: HS256 from --secret / TASKER_JWT_HS256_SECRET, or RS256/ES256 from a private key file')
    .requiredOption('--sub <subject>', 'subject (who the token is for)')
    .option('--permissions <list>', 'permissions, comma-separated or repeated (e.g. tasks:*,steps:read)', collect)
    .option('--namespaces <list>', 'restrict to these namespaces (comma-separated or repeated)', collect)
    .option('--expires-in <duration>', 'lifetime: seconds or 30m, 12h, 7d', '1h')
    .option('--secret <secret>', 'HS256 secret (≥ 32 characters)')
    .option('--private-key <file>', 'PEM private key (RSA → RS256, EC P-256 → ES256)')
    .option('--alg <alg>', 'override the signing algorithm')
    .option('--kid <kid>', 'key id header (for JWKS key rotation)')
    .option('--issuer <iss>', 'iss claim (default: config auth.jwt.issuer)')
    .option('--audience <aud>', 'aud claim (default: config auth.jwt.audience)')
    .action(
      action<GenerateFlags>(ctx, async ({ opts }) => {
        const settings = loadJwtSettings(ctx.io.env);
        const { key, alg } = signingKey(opts, settings);
        const now = Math.floor(Date.now() / 1000);
        const expiresAt = now + parseDuration(opts.expiresIn);
        const issuer = opts.issuer ?? settings.issuer;
        const audience = opts.audience ?? settings.audience;
        const payload: JWTPayload = { [settings.permissionsClaim]: opts.permissions ?? [] };
        if (opts.namespaces !== undefined) payload[settings.namespacesClaim] = opts.namespaces;
        const token = await new SignJWT(payload)
          .setProtectedHeader(opts.kid === undefined ? { alg } : { alg, kid: opts.kid })
          .setIssuer(issuer)
          .setAudience(audience)
          .setSubject(opts.sub)
          .setIssuedAt(now)
          .setExpirationTime(expiresAt)
          .sign(key);
        const doc = {
          token,
          algorithm: alg,
          subject: opts.sub,
          issuer,
          audience,
          permissions: opts.permissions ?? [],
          namespaces: opts.namespaces ?? null,
          expires_at: new Date(expiresAt * 1000).toISOString(),
        };
        return { document: doc, table: () => token };
      }),
    );

  auth
    .command('validate-token <token>')
    .description(
      'Verify a JWT as the server would (key source, issuer, audience, algorithms, claims); exit 4 when invalid',
    )
    .option('--secret <secret>', 'HS256 secret (default: config auth.jwt.hs256_secret)')
    .option('--public-key <file>', 'PEM public key (default: config auth.jwt.public_key_path / public_key_pem)')
    .option('--jwks-url <url>', 'JWKS endpoint (default: config auth.jwt.jwks_url)')
    .option('--issuer <iss>', 'expected iss (default: config)')
    .option('--audience <aud>', 'expected aud (default: config)')
    .action(
      action<ValidateFlags>(ctx, async ({ args: [token = ''], opts }) => {
        const settings = loadJwtSettings(ctx.io.env);
        const key = verificationKey(opts, settings);
        const verifyOptions = {
          issuer: opts.issuer ?? settings.issuer,
          audience: opts.audience ?? settings.audience,
          algorithms: settings.algorithms.filter((a) => a !== 'none'),
          clockTolerance: settings.clockToleranceS,
          requiredClaims: ['exp'],
        };
        let doc: Record<string, unknown>;
        try {
          const { payload, protectedHeader } =
            typeof key === 'function'
              ? await jwtVerify(token, key, verifyOptions)
              : await jwtVerify(token, key, verifyOptions);
          const permissions = stringList(payload, settings.permissionsClaim) ?? [];
          const unknown = settings.strictValidation ? permissions.filter((p) => !isValidGrant(p)) : [];
          if (unknown.length > 0) throw new Error(`unknown permission(s): ${unknown.join(', ')}`);
          doc = {
            valid: true,
            algorithm: protectedHeader.alg,
            subject: payload.sub ?? null,
            issuer: payload.iss ?? null,
            audience: payload.aud ?? null,
            permissions,
            namespaces: stringList(payload, settings.namespacesClaim),
            expires_at: payload.exp === undefined ? null : new Date(payload.exp * 1000).toISOString(),
          };
        } catch (error) {
          if (error instanceof UsageError) throw error;
          ctx.exitCode = EXIT.AUTH;
          doc = { valid: false, reason: reasonOf(error) };
        }
        return { document: doc, table: () => renderFields(doc) };
      }),
    );
}
