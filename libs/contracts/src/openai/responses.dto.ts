import { z } from 'zod';
import { ItemInputSchema, MetadataSchema } from '../chat-history/conversations.schemas';
import { asksForNothing, onlyValues, servedFields } from './served-fields';

const TextFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().min(1).max(64),
    schema: z.record(z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);

/** `POST /v1/responses` (OpenAI's Responses API) plus the `dry_run` extension. */
/** Responses fields of OpenAI's standard not served here (yet), and the values that are still fine. */
const RESPONSES_UNSERVED: Record<string, (v: unknown) => boolean> = {
  background: asksForNothing,
  include: asksForNothing,
  prompt: asksForNothing,
  reasoning: asksForNothing,
  // Function tools arrive with the tools issue; until then a tool would never be called.
  tools: asksForNothing,
  tool_choice: onlyValues('none', 'auto'),
  max_tool_calls: () => true,
  truncation: onlyValues('disabled'),
  top_logprobs: onlyValues(0),
  service_tier: onlyValues('auto', 'default'),
  prompt_cache_key: () => true,
  safety_identifier: () => true,
  stream_options: () => true,
};

export const ResponsesRequestSchema = servedFields(
  {
    model: z.string().min(1),
    input: z.union([z.string(), z.array(ItemInputSchema).min(1)]),
    instructions: z.string().max(100_000).nullable().optional(),
    conversation: z
      .union([z.string().min(1), z.object({ id: z.string().min(1) })])
      .nullable()
      .optional(),
    previous_response_id: z.string().min(1).nullable().optional(),
    store: z.boolean().nullable().optional(),
    stream: z.boolean().nullable().optional(),
    max_output_tokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    text: z.object({ format: TextFormatSchema.optional() }).optional(),
    metadata: MetadataSchema.nullable().optional(),
    user: z.string().optional(),
    dry_run: z.boolean().optional(),
  },
  RESPONSES_UNSERVED,
).superRefine((r, ctx) => {
  if (r.conversation && r.previous_response_id) {
    ctx.addIssue({
      code: 'custom',
      path: ['previous_response_id'],
      message: 'previous_response_id and conversation cannot be used together',
    });
  }
});
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;
