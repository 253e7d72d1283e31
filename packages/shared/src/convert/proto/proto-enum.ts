// One table per enum, domain value → proto value, from which both directions are derived (as the Temporal TS
// SDK derives its enum converters). Written `as const satisfies Record<Domain, Proto>`, the table fails to
// compile when a domain value is missing; protoEnum's signature fails to compile when a proto value other than
// UNSPECIFIED and ts-proto's UNRECOGNIZED is reached by neither the table nor a decode-only alias.
import { validationError } from '../../errors.js';

/** The values a peer may legitimately send: everything but the zero value and ts-proto's UNRECOGNIZED. */
export type SpecifiedProtoValue<P extends string> = Exclude<P, `${string}_UNSPECIFIED` | 'UNRECOGNIZED'>;

/** Both directions of one enum. */
export interface ProtoEnum<D extends string, P extends string> {
  /** Domain → proto: the table itself. */
  readonly toProto: Readonly<Record<D, P>>;
  /** Proto → domain: the table inverted, plus the decode-only aliases. */
  readonly fromProto: Readonly<Partial<Record<P, D>>>;
  encode(value: D): P;
  /** @throws AppError VALIDATION_FAILED naming `field` for UNSPECIFIED, UNRECOGNIZED or any value not mapped. */
  decode(value: P, field: string): D;
}

function isUnspecified(value: string): boolean {
  return value.endsWith('_UNSPECIFIED') || value === 'UNRECOGNIZED';
}

type Unreached<T, P extends string, A> = Exclude<SpecifiedProtoValue<P>, T[keyof T] | keyof A>;

/** Compiles only when every specified proto value is reached; otherwise names the ones that are not. */
type Exhaustive<T, P extends string, A> = [Unreached<T, P, A>] extends [never]
  ? unknown
  : { unreachedProtoValues: Unreached<T, P, A> };

/**
 * Builds both converters of an enum from its table.
 *
 * @param name the proto enum's name, for error messages (`must be a TaskState other than UNSPECIFIED (got …)`)
 * @param protoEnumObject the generated enum object (`PbTaskState`): it fixes the proto value type
 * @param table every domain value → its proto value, distinct; write it `as const satisfies Record<Domain, Proto>`
 * @param decodeAliases proto values decoded to a domain value whose own proto value is another one (default none)
 * @throws Error when two domain values share a proto value (the inverse would be ambiguous), or a specified proto
 *   value is reached by neither the table nor an alias
 */
export function protoEnum<
  const T extends Record<string, P>,
  P extends string,
  const A extends Partial<Record<P, keyof T & string>> = Record<never, never>,
>(
  name: string,
  protoEnumObject: Record<string, P>,
  table: T & Exhaustive<T, P, A>,
  decodeAliases?: A,
): ProtoEnum<keyof T & string, P> {
  type D = keyof T & string;
  const fromProto: Partial<Record<P, D>> = {};
  for (const [domain, proto] of Object.entries(table) as Array<[D, P]>) {
    if (Object.hasOwn(fromProto, proto))
      throw new Error(`${name}: ${fromProto[proto]} and ${domain} both map to ${proto}`);
    fromProto[proto] = domain;
  }
  Object.assign(fromProto, decodeAliases);
  // The same check as Exhaustive, for tables the compiler could not see (built at run time or cast).
  const unreached = Object.values(protoEnumObject).filter((p) => !isUnspecified(p) && !Object.hasOwn(fromProto, p));
  if (unreached.length > 0) throw new Error(`${name}: no domain value for ${unreached.join(', ')}`);
  const toProto = Object.freeze({ ...table }) as Readonly<Record<D, P>>;
  Object.freeze(fromProto);
  return {
    toProto,
    fromProto,
    encode: (value) => toProto[value],
    decode: (value, field) => {
      const decoded = Object.hasOwn(fromProto, value) ? fromProto[value] : undefined;
      if (decoded === undefined) {
        throw validationError([{ path: field, message: `must be a ${name} other than UNSPECIFIED (got ${value})` }]);
      }
      return decoded;
    },
  };
}
