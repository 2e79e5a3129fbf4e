import type { ChatCompleteV1Payload, ResponseFormat, ToolDefinition } from '@llmp/contracts';
import { ApiError, ApiErrorCode, SchemaValidator, UnsupportedSchemaError, toGrammarSchema } from '@llmp/platform';

const validator = new SchemaValidator();

/**
 * Checks a JSON schema the client gave (tool parameters, a response format): valid JSON Schema (ajv), and
 * expressible as a decoding grammar, else a 400 naming `param` and the keyword. Never a silent fallback to
 * unconstrained output.
 */
export function checkSchema(schema: Record<string, unknown>, param: string, what: string): void {
  const invalid = validator.schemaError(schema);
  if (invalid) throw new ApiError(ApiErrorCode.InvalidRequest, `Invalid JSON schema for ${what}: ${invalid}`, param);
  try {
    toGrammarSchema(schema);
  } catch (err) {
    if (!(err instanceof UnsupportedSchemaError)) throw err;
    throw new ApiError(ApiErrorCode.UnsupportedParameter, `${what}: ${err.message}`, param);
  }
}

/** The job's tool fields: which functions the model may call and whether it must. */
export type ToolPlan = Pick<ChatCompleteV1Payload, 'tools' | 'toolChoice' | 'parallelToolCalls'>;

export interface ToolChoiceInput {
  /** `none`, `auto`, `required`, a function name, or a subset with a mode. */
  mode: 'none' | 'auto' | 'required';
  only?: string[];
}

/**
 * Resolves tools and tool_choice (already in one shape for Chat Completions, legacy functions and Responses):
 * unique names, schemas checked, a chosen name that exists; `none` sends no tools at all.
 */
export function planTools(
  tools: { name: string; description?: string; parameters?: Record<string, unknown> }[],
  choice: ToolChoiceInput,
  parallel: boolean,
  param: { tools: string; choice: string },
): ToolPlan {
  const seen = new Set<string>();
  tools.forEach((tool, i) => {
    if (seen.has(tool.name)) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `Duplicate function name '${tool.name}'.`,
        `${param.tools}[${i}]`,
      );
    }
    seen.add(tool.name);
    if (tool.parameters) checkSchema(tool.parameters, `${param.tools}[${i}]`, `the parameters of '${tool.name}'`);
  });
  for (const name of choice.only ?? []) {
    if (!seen.has(name)) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `tool_choice names the function '${name}', which is not in tools.`,
        param.choice,
      );
    }
  }
  if (choice.mode === 'required' && !tools.length) {
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      `tool_choice '${choice.mode}' needs at least one tool.`,
      param.choice,
    );
  }
  if (choice.mode === 'none' || !tools.length) return { toolChoice: 'auto', parallelToolCalls: parallel };
  const allowed = choice.only ? tools.filter((t) => choice.only!.includes(t.name)) : tools;
  const defs: ToolDefinition[] = allowed.map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    ...(t.parameters ? { parameters: t.parameters } : {}),
  }));
  return { tools: defs, toolChoice: choice.mode, parallelToolCalls: parallel };
}

/** A response format's job field, its schema checked; `text` (or nothing) is unconstrained. */
export function planFormat(
  format:
    | { type: 'text' }
    | { type: 'json_object' }
    | { type: 'json_schema'; schema?: Record<string, unknown> }
    | null
    | undefined,
  param: string,
): ResponseFormat | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (!format.schema) return { type: 'json_object' };
  checkSchema(format.schema, param, 'the response format');
  return { type: 'json_schema', schema: format.schema };
}

/** The job fields of a resolved tool and format request. */
export function toolJobFields(t: { plan: ToolPlan; responseFormat?: ResponseFormat }): ToolPlan & {
  responseFormat?: ResponseFormat;
} {
  return { ...t.plan, ...(t.responseFormat ? { responseFormat: t.responseFormat } : {}) };
}

/**
 * A reply is decoded under one grammar: either the function-call grammar or the response format's, so asking
 * for both while tools may be called is refused (`param` names the format field of the endpoint).
 */
export function refuseFormatWithTools(plan: ToolPlan, format: ResponseFormat | undefined, param: string): void {
  if (!plan.tools || !format) return;
  throw new ApiError(
    ApiErrorCode.UnsupportedParameter,
    `'${param}' together with callable tools is not supported by this server: a reply is decoded under one ` +
      "grammar. Send tool_choice: 'none', or leave out " +
      `${param}.`,
    param,
  );
}
