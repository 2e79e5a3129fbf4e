import type { ResponsesRequest } from '@llmp/contracts';
import { ToolChoiceInput, planFormat, planTools, refuseFormatWithTools } from '../tools/tool-request';
import type { ChatToolRequest } from '../chat-completions/chat-tools';

/**
 * The Responses API's function tools, `tool_choice` and `text.format`, resolved for the job as on Chat
 * Completions. `file_search` is not the model's to call (the platform runs it before generation), so a choice
 * that names only it leaves the functions uncalled, and `required` with no function tools asks for nothing more.
 */
export function responsesToolPlan(r: ResponsesRequest): Omit<ChatToolRequest, 'legacy'> {
  const functions = (r.tools ?? []).flatMap((t) =>
    t.type === 'function'
      ? [{ name: t.name, description: t.description ?? undefined, parameters: t.parameters ?? undefined }]
      : [],
  );
  const plan = planTools(functions, choiceOf(r.tool_choice, functions.length > 0), r.parallel_tool_calls ?? true, {
    tools: 'tools',
    choice: 'tool_choice',
  });
  const format = r.text?.format;
  const responseFormat = planFormat(
    format?.type === 'json_schema' ? { type: 'json_schema', schema: format.schema } : format,
    'text.format',
  );
  refuseFormatWithTools(plan, responseFormat, 'text.format');
  return { plan, responseFormat };
}

function choiceOf(c: ResponsesRequest['tool_choice'], hasFunctions: boolean): ToolChoiceInput {
  if (c == null || c === 'auto') return { mode: 'auto' };
  if (c === 'none') return { mode: 'none' };
  if (c === 'required') return { mode: hasFunctions ? 'required' : 'auto' };
  if (c.type === 'function') return { mode: 'required', only: [c.name] };
  if (c.type === 'file_search') return { mode: 'none' };
  const names = c.tools.flatMap((t) => (t.type === 'function' ? [t.name] : []));
  if (!names.length) return { mode: 'none' };
  return { mode: c.mode, only: names };
}
