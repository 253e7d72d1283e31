// Server-side gRPC pieces shared by orchestration and the worker's own surface.
export * from './errors-middleware.js';
export * from './guarded-definition.js';
export * from './reflection.js';
