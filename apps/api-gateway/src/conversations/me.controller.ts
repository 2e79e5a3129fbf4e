import { Controller, Delete } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiKeyView, ListPage, Principal } from '@llmp/contracts';
import { AuthRpcClient } from '../auth/auth-rpc.client';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { RagClient } from '../retrieval/rag.client';
import { ChatHistoryClient } from './chat-history.client';

/** The one call a privacy request needs. */
@ApiTags('me')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  constructor(
    private readonly history: ChatHistoryClient,
    private readonly rag: RagClient,
    private readonly auth: AuthRpcClient,
  ) {}

  @RequireScope('data.delete')
  @Delete('data')
  @ApiOperation({
    summary:
      'Delete everything the caller owns: conversations, items, summaries, responses, files, vector stores and API ' +
      'keys (a service that cannot be reached fails the request: call it again)',
  })
  async deleteMyData(@CurrentPrincipal() p: Principal) {
    // Each purge is idempotent and none is skipped: an unreachable service answers 503, and a retry finishes the job.
    const rag = await this.rag.call('purgeUser', { userId: p.userId });
    const history = await this.history.call('purgeUser', { userId: p.userId });
    let keys = 0;
    for (;;) {
      const page = await this.auth.call<ListPage<ApiKeyView>>('listApiKeys', { userId: p.userId, limit: 100 });
      for (const key of page.data) {
        await this.auth.call('revokeApiKey', { userId: p.userId, id: key.id });
        keys++;
      }
      if (!page.has_more) break;
    }
    return { object: 'user.data.deleted', deleted: { ...history.deleted, ...rag, api_keys: keys } };
  }
}
