export * from './test-env';
export * from './process-harness';
