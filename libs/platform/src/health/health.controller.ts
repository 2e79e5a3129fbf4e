import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadinessRegistry } from './readiness.registry';

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /** Liveness: the process is up and its event loop answers. */
  @Get()
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  /** Readiness: every dependency this app owns answers (database, Redis, queues, models). */
  @Get('ready')
  async ready(@Res() reply: FastifyReply) {
    const result = await this.readiness.run();
    await reply
      .status(result.ok ? 200 : 503)
      .send({ status: result.ok ? 'ready' : 'not_ready', checks: result.checks });
  }
}
