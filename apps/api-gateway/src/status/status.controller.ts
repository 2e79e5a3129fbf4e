import { Controller, Get, Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { embeddingQueueName, inferenceQueueName } from '@llmp/contracts';
import { JobProducer } from '@llmp/platform';
import type { Principal } from '@llmp/contracts';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope, requireAdmin } from '../auth/require-scope.decorator';
import { ResponseCache } from '../cache/response-cache.service';
import { gatewayConfig } from '../config/gateway.config';

/**
 * `GET /v1/status` (the seeds' `/status` operator view, under /v1 so the auth guard covers it): the response cache's hits, misses, ratio and live entries, and per
 * local model its queue (waiting, active, delayed jobs) and the workers connected to it; remote models and routes
 * are listed with their targets. Admins only: it shows every tenant's load.
 */
@ApiTags('status')
@ApiBearerAuth()
@Controller('v1/status')
export class StatusController {
  constructor(
    private readonly producer: JobProducer,
    private readonly cache: ResponseCache,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {}

  @RequireScope('admin')
  @Get()
  @ApiOperation({ summary: 'Queues, workers, remote models, routes and the response cache (admins)' })
  async status(@CurrentPrincipal() p: Principal) {
    requireAdmin(p);
    const models = await Promise.all(
      this.cfg.models.map(async (m) => {
        if (m.kind === 'remote') {
          return { id: m.id, kind: m.kind, provider: m.provider, endpoints: m.endpoints.length };
        }
        const queue = this.producer.queue(m.kind === 'embedding' ? embeddingQueueName(m.id) : inferenceQueueName(m.id));
        const [counts, workers] = await Promise.all([
          queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
          queue.getWorkersCount(),
        ]);
        return {
          id: m.id,
          kind: m.kind,
          queue: {
            waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
          },
          workers,
          slots_per_worker: m.kind === 'llm' ? m.slots : m.concurrency,
        };
      }),
    );
    return {
      object: 'status',
      cache: { enabled: this.cache.enabled, ttl_s: this.cfg.responseCacheTtlS, ...(await this.cache.stats()) },
      models,
      routes: this.cfg.routes.map((r) => ({ id: r.id, targets: r.targets.map((t) => t.model) })),
    };
  }
}
