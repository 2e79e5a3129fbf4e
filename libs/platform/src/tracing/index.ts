export * from './tracing';
export * from './http-server-tracing';
export * from './queue-telemetry';
export * from './trace-log-fields';
export * from './tracing-shutdown';
