import { z } from 'zod';
import { ToolError, defineFunction } from '../builtin-function';

/** The part of wttr.in's `format=j1` answer this function reads. */
const WttrSchema = z.object({
  current_condition: z
    .array(
      z.object({
        temp_C: z.string(),
        temp_F: z.string(),
        humidity: z.string().optional(),
        windspeedKmph: z.string().optional(),
        weatherDesc: z.array(z.object({ value: z.string() })).optional(),
        localObsDateTime: z.string().optional(),
      }),
    )
    .min(1),
});

export const getWeather = defineFunction({
  name: 'get_weather',
  description: 'Current weather at a place, from the configured weather provider.',
  schema: z.object({
    location: z.string().min(1).max(80).describe('City or place name, e.g. Paris'),
    unit: z.enum(['celsius', 'fahrenheit']).optional().describe('Temperature unit (default celsius)'),
  }),
  run: async ({ location, unit }, ctx) => {
    if (!ctx.weatherProviderUrl) {
      throw new ToolError('No weather provider is configured on this server, so the weather is unknown.');
    }
    const url = `${ctx.weatherProviderUrl.replace(/\/+$/, '')}/${encodeURIComponent(location)}?format=j1`;
    let res: Response;
    try {
      res = await fetch(url, { signal: ctx.signal, headers: { accept: 'application/json' } });
    } catch (err) {
      throw new ToolError(`The weather provider could not be reached (${(err as Error).name}).`);
    }
    if (res.status === 404) throw new ToolError(`The weather provider does not know '${location}'.`);
    if (!res.ok) throw new ToolError(`The weather provider answered HTTP ${res.status}.`);
    const parsed = WttrSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new ToolError('The weather provider answered in an unexpected format.');
    const now = parsed.data.current_condition[0]!;
    const fahrenheit = unit === 'fahrenheit';
    return {
      location,
      temperature: Number(fahrenheit ? now.temp_F : now.temp_C),
      unit: fahrenheit ? 'fahrenheit' : 'celsius',
      conditions: now.weatherDesc?.[0]?.value ?? null,
      humidity_percent: now.humidity === undefined ? null : Number(now.humidity),
      wind_kmh: now.windspeedKmph === undefined ? null : Number(now.windspeedKmph),
      observed_at: now.localObsDateTime ?? null,
    };
  },
});
