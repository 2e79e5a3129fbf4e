import { z } from 'zod';
import { ItemInputSchema, MetadataSchema } from '../chat-history/conversations.schemas';

const FunctionToolSchema = z.object({
  type: z.literal('function'),
  name: z.string().min(1).max(128),
  description: z.string().max(4096).nullable().optional(),
  parameters: z.record(z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});

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
export const ResponsesRequestSchema = z
  .object({
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
    tools: z.array(FunctionToolSchema).max(128).optional(),
    tool_choice: z
      .union([z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function'), name: z.string() })])
      .optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    text: z.object({ format: TextFormatSchema.optional() }).optional(),
    metadata: MetadataSchema.nullable().optional(),
    user: z.string().optional(),
    dry_run: z.boolean().optional(),
  })
  .superRefine((r, ctx) => {
    if (r.conversation && r.previous_response_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['previous_response_id'],
        message: 'previous_response_id and conversation cannot be used together',
      });
    }
  });
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;
