import type { SummaryView } from '@llmp/contracts';
import { unixSeconds } from '../common/ids';
import type { ConversationSummaryEntity } from './conversation-summary.entity';

export function toSummaryView(s: ConversationSummaryEntity): SummaryView {
  return {
    id: s.id,
    object: 'conversation.summary',
    conversation_id: s.conversationId,
    text: s.text,
    through_seq: s.throughSeq,
    created_at: unixSeconds(s.createdAt),
  };
}
