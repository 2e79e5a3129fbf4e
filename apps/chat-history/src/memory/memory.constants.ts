/** The vector store collection of message embeddings; payload `{user_id, conversation_id, item_id, role, model}`. */
export const CHAT_MEMORY_COLLECTION = 'chat_memory';
