import type { ConversationView } from '@llmp/contracts';
import { unixSeconds, unixSecondsOrNull } from '../common/ids';
import type { ConversationEntity } from './conversation.entity';

export function toConversationView(c: ConversationEntity): ConversationView {
  return {
    id: c.id,
    object: 'conversation',
    created_at: unixSeconds(c.createdAt),
    metadata: c.metadata ?? {},
    title: c.title,
    system_prompt: c.systemPrompt,
    ttl_seconds: c.ttlSeconds,
    expires_at: unixSecondsOrNull(c.expiresAt),
  };
}
