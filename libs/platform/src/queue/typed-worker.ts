import { Job, UnrecoverableError, Worker, WorkerOptions } from 'bullmq';
import { JOBS, JobResult, JobsOf, ParsedJobPayload, QueueFamily, isJobName, jobNamesOf } from '@llmp/contracts';
import { queueTelemetry, traceJobHandler } from '../tracing/queue-telemetry';

export type JobHandlers<Q extends QueueFamily> = {
  [N in JobsOf<Q>]: (payload: ParsedJobPayload<N>, job: Job) => Promise<JobResult<N>>;
};

/**
 * A BullMQ worker bound to the queue contract: it refuses to start if a job name of its queue family has no
 * handler, parses every payload with the job's schema on arrival (a bad payload fails permanently), and
 * dispatches by name. While tracing is on, the worker carries BullMQ's telemetry (each job runs inside a CONSUMER
 * span joined to the producer's trace) and each handler runs inside a span named after the job.
 */
export function createTypedWorker<Q extends QueueFamily>(
  family: Q,
  queueName: string,
  handlers: JobHandlers<Q>,
  options: WorkerOptions,
): Worker {
  const expected = jobNamesOf(family);
  const missing = expected.filter((n) => typeof (handlers as Record<string, unknown>)[n] !== 'function');
  if (missing.length) throw new Error(`Worker for ${queueName} has no handler for: ${missing.join(', ')}`);

  return new Worker(
    queueName,
    async (job: Job) => {
      const name = job.name;
      if (!isJobName(name) || JOBS[name].queue !== family) {
        throw new UnrecoverableError(`Unknown job name ${name} on queue ${queueName}`);
      }
      const parsed = JOBS[name].payload.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`Invalid ${name} payload: ${parsed.error.message}`);
      const handler = (handlers as Record<string, (p: unknown, j: Job) => Promise<unknown>>)[name]!;
      return traceJobHandler(name, job.id, () => handler(parsed.data, job));
    },
    { ...queueTelemetry(), ...options },
  );
}
