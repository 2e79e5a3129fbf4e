export * from './job-client';
export * from './job-errors';
export * from './job-routes';
export * from './submitted-job';
