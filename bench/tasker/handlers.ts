// The bench's only handler: does nothing, so every figure measures the engine and its transports.
export const handlers = {
  'Bench.Noop': async () => null,
};
