import type { ConversationExport, ConversationView, ExportFormat, ItemView } from '@llmp/contracts';

/** Renders a conversation and its items (oldest first) as a downloadable JSON or Markdown document. */
export function renderExport(
  conversation: ConversationView,
  items: ItemView[],
  format: ExportFormat,
): ConversationExport {
  switch (format) {
    case 'json':
      return {
        content_type: 'application/json',
        filename: `${conversation.id}.json`,
        body: JSON.stringify({ conversation, items }, null, 2),
      };
    case 'markdown':
      return {
        content_type: 'text/markdown; charset=utf-8',
        filename: `${conversation.id}.md`,
        body: renderMarkdown(conversation, items),
      };
  }
}

export function renderMarkdown(conversation: ConversationView, items: ItemView[]): string {
  const out: string[] = [`# ${oneLine(conversation.title) || `Conversation ${conversation.id}`}`, ''];
  out.push(`- id: \`${conversation.id}\``);
  out.push(`- created: ${new Date(conversation.created_at * 1000).toISOString()}`);
  for (const [key, value] of Object.entries(conversation.metadata)) out.push(`- ${oneLine(key)}: ${oneLine(value)}`);
  if (conversation.system_prompt) {
    out.push('', '## System prompt', '', conversation.system_prompt);
  }
  for (const item of items) {
    out.push('');
    switch (item.type) {
      case 'message':
        out.push(`## ${item.role}`, '', item.content.map((p) => p.text).join('\n\n'));
        break;
      case 'function_call':
        out.push(
          `## function call \`${oneLine(item.name)}\` (${oneLine(item.call_id)})`,
          '',
          fence(item.arguments, 'json'),
        );
        break;
      case 'function_call_output':
        out.push(`## function output (${oneLine(item.call_id)})`, '', fence(item.output, ''));
        break;
    }
  }
  return `${out.join('\n')}\n`;
}

function oneLine(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/** A code fence longer than any backtick run inside the text, so the text cannot close it. */
function fence(text: string, lang: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${lang}\n${text}\n${ticks}`;
}
