export * from './test-env';
export * from './process-harness';
export * from './platform-harness';
export * from './private-redis';
export * from './rpc-service-harness';
export * from './structured-schemas';
export * from './metrics';
