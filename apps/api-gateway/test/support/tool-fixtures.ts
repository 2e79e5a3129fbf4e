/**
 * What the tools e2e suites share: the model, two function schemas, an ajv with formats, assertions on calls and
 * API errors, and the platform (gateway + inference worker as processes from dist/) they run against.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { APIError, OpenAI } from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { PlatformOptions, RunningPlatform, startPlatform } from '@llmp/testing';

export const MODEL = 'stories260k';

export const WEATHER = {
  type: 'object',
  properties: {
    city: { type: 'string', maxLength: 20 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer' },
  },
  required: ['city', 'unit', 'days'],
  additionalProperties: false,
} as const;

export const TIME = {
  type: 'object',
  properties: { timezone: { type: 'string', maxLength: 30 } },
  required: ['timezone'],
  additionalProperties: false,
} as const;

export const tools: ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather forecast', parameters: WEATHER } },
  { type: 'function', function: { name: 'get_time', description: 'Current time', parameters: TIME, strict: true } },
];
const schemaOf: Record<string, object> = { get_weather: WEATHER, get_time: TIME };
export const ajv = new Ajv();
addFormats(ajv);

export const user = (content: string) => [{ role: 'user' as const, content }];

export async function expectApiError(
  call: Promise<unknown>,
  expected: { status: number; param: string; code?: string },
) {
  let caught: unknown;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(APIError);
  const err = caught as APIError;
  expect({ status: err.status, param: err.param }).toEqual({ status: expected.status, param: expected.param });
  if (expected.code) expect(err.code).toBe(expected.code);
  return err;
}

/** The call names one of `names` and its arguments validate against that function's schema. */
export function expectValidCall(call: { function: { name: string; arguments: string } }, names: string[]) {
  expect(names).toContain(call.function.name);
  const args = JSON.parse(call.function.arguments) as unknown;
  expect(ajv.validate(schemaOf[call.function.name]!, args)).toBe(true);
  return args;
}

/**
 * Starts the platform for the suite (options read when it starts, so fixtures started in an earlier beforeAll
 * can be named) and hands it and an SDK client to `use`; fails a test when an app exited under it.
 */
export function usePlatform(
  options: () => PlatformOptions,
  use: (platform: RunningPlatform, client: OpenAI) => void,
): void {
  let platform: RunningPlatform | undefined;
  beforeAll(async () => {
    platform = await startPlatform({ env: { LOG_LEVEL: 'warn' }, workerModels: MODEL, ...options() });
    use(
      platform,
      new OpenAI({ baseURL: `${platform.gateway.url}/v1`, apiKey: platform.apiKey, maxRetries: 0, timeout: 60_000 }),
    );
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });
  afterEach(() => {
    for (const app of platform ? [platform.worker!, platform.gateway] : []) {
      if (app.proc.exitCode !== null) throw new Error(`${app.name} exited (${app.proc.exitCode}):\n${app.output()}`);
    }
  });
}
