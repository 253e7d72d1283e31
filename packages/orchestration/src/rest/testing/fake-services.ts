// Services for transport unit tests: each method is whatever the test passes, and any other call fails
// loudly naming the method, so a test never passes by accident through an unexpected call.
import { SERVICE_NAMES, type Services } from '../../services/types.js';

type ServiceOverrides = { [K in keyof Services]?: Partial<NonNullable<Services[K]>> };

export function makeFakeServices(overrides: ServiceOverrides = {}): Services {
  const entries = SERVICE_NAMES.map((service) => {
    const given = (overrides[service] ?? {}) as Record<string, unknown>;
    return [
      service,
      new Proxy(given, {
        get: (target, method) =>
          Object.hasOwn(target, method)
            ? target[method as string]
            : () => {
                throw new Error(`unexpected call: ${service}.${String(method)}`);
              },
      }),
    ];
  });
  return Object.fromEntries(entries) as Services;
}
