import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { shutdownTracing } from './tracing';

/**
 * Exports the spans still buffered when the app shuts down. Provided by the global ObservabilityModule, whose
 * shutdown hooks Nest runs after those of the feature modules, so the spans of jobs that finish while the workers
 * drain are exported too.
 */
@Injectable()
export class TracingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTracing();
  }
}
