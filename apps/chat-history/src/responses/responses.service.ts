import { Injectable } from '@nestjs/common';
import {
  ChatHistoryErrorCode,
  HistoryListQuery,
  ListPage,
  ParsedChatHistoryRpcRequest,
  ResponseDeleted,
  StoredInputItem,
  StoredResponse,
} from '@llmp/contracts';
import { pageOfList } from '@llmp/platform';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { ChatHistoryError } from '../errors/chat-history.error';
import { ResponsesRepository } from './responses.repository';
import type { StoredResponseEntity } from './stored-response.entity';

type StoreRequest = ParsedChatHistoryRpcRequest<'storeResponse'>;

function toStoredResponse(r: StoredResponseEntity): StoredResponse {
  return {
    response: r.body,
    inputItems: r.inputItems,
    conversationId: r.conversationId,
    previousResponseId: r.previousResponseId,
  };
}

/** Stored Responses API objects (`store: true`), with their input items, per user. */
@Injectable()
export class ResponsesService {
  constructor(
    private readonly responses: ResponsesRepository,
    private readonly conversations: ConversationsRepository,
  ) {}

  async store(req: StoreRequest): Promise<StoredResponse> {
    if (req.conversationId !== undefined && !(await this.conversations.findOwned(req.userId, req.conversationId))) {
      throw ChatHistoryError.notFound('conversation', 'conversationId');
    }
    if (req.previousResponseId !== undefined && !(await this.responses.findOwned(req.userId, req.previousResponseId))) {
      throw ChatHistoryError.notFound('response', 'previousResponseId');
    }
    const stored = await this.responses.upsertOwned({
      id: req.response.id,
      userId: req.userId,
      conversationId: req.conversationId ?? null,
      previousResponseId: req.previousResponseId ?? null,
      body: req.response,
      inputItems: req.inputItems,
    });
    if (!stored) {
      throw new ChatHistoryError(ChatHistoryErrorCode.Conflict, 'A response with this id exists.', 'response.id');
    }
    return toStoredResponse((await this.responses.findOwned(req.userId, req.response.id))!);
  }

  async get(userId: string, id: string): Promise<StoredResponse> {
    return toStoredResponse(await this.require(userId, id));
  }

  async delete(userId: string, id: string): Promise<ResponseDeleted> {
    if (!(await this.responses.findOwned(userId, id)) || !(await this.responses.deleteOwned(userId, id))) {
      throw ChatHistoryError.notFound('response');
    }
    return { id, object: 'response', deleted: true };
  }

  async listInputItems(userId: string, id: string, query: HistoryListQuery): Promise<ListPage<StoredInputItem>> {
    const response = await this.require(userId, id);
    const page = pageOfList(response.inputItems, query);
    if (!page) throw ChatHistoryError.notFound('input item', 'after');
    return page;
  }

  private async require(userId: string, id: string): Promise<StoredResponseEntity> {
    const response = await this.responses.findOwned(userId, id);
    if (!response) throw ChatHistoryError.notFound('response');
    return response;
  }
}
