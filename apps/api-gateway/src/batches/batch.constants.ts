/** DI token of the batch runner's JobClient (a plain `@llmp/job-client` instance on the gateway's Redis). */
export const BATCH_JOB_CLIENT = Symbol('BATCH_JOB_CLIENT');

/** How long a finished batch's record is kept (OpenAI keeps batches listed; files have their own expiry). */
export const BATCH_RETENTION_S = 30 * 24 * 3600;
/** The completion window OpenAI offers (and the only one accepted). */
export const COMPLETION_WINDOW_S = 24 * 3600;
