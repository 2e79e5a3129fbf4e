import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toGrammarSchema } from '@llmp/platform';
import { BUILTIN_FUNCTIONS, jsonSchemaOf } from './function-registry.service';
import { FunctionContext, ToolError } from './builtin-function';
import { convertTimezone } from './builtins/convert-timezone';
import { dateAdd } from './builtins/date-add';
import { dateDifference } from './builtins/date-difference';
import { getCurrentTime } from './builtins/get-current-time';
import { getWeather } from './builtins/get-weather';

const ctx = (over: Partial<FunctionContext> = {}): FunctionContext => ({
  signal: new AbortController().signal,
  weatherProviderUrl: null,
  now: () => new Date('2026-12-03T12:00:00Z'),
  ...over,
});

describe('built-in functions', () => {
  it.each(BUILTIN_FUNCTIONS.map((f) => [f.name, f] as const))('%s has a schema the grammar can express', (_n, f) => {
    const schema = jsonSchemaOf(f);
    expect(schema['type']).toBe('object');
    expect(() => toGrammarSchema(schema)).not.toThrow();
  });

  it('get_current_time reads the clock in the zone', () => {
    expect(getCurrentTime.run({ timezone: 'Asia/Tokyo' }, ctx())).toMatchObject({
      timezone: 'Asia/Tokyo',
      date: '2026-12-03',
      time: '21:00:00',
      utc_offset: '+09:00',
    });
    expect(() => getCurrentTime.run({ timezone: 'Mars/Base' }, ctx())).toThrow(ToolError);
  });

  it('convert_timezone converts a local wall time across zones (DST included)', () => {
    const out = convertTimezone.run(
      { datetime: '2026-07-01T09:30:00', from_timezone: 'Europe/Paris', to_timezone: 'America/New_York' },
      ctx(),
    ) as { to: { time: string; date: string } };
    expect(out.to).toMatchObject({ date: '2026-07-01', time: '03:30:00' });
    expect(() => convertTimezone.run({ datetime: 'soon', from_timezone: 'UTC', to_timezone: 'UTC' }, ctx())).toThrow(
      ToolError,
    );
  });

  it('date_add and date_difference do calendar arithmetic', () => {
    expect(dateAdd.run({ date: '2024-01-31', months: 1 }, ctx())).toEqual({ date: '2024-02-29', weekday: 'Thursday' });
    expect(dateAdd.run({ date: '2026-12-03', days: -3, weeks: 1 }, ctx())).toMatchObject({ date: '2026-12-07' });
    expect(dateDifference.run({ from: '2024-01-15', to: '2026-03-20' }, ctx())).toEqual({
      days: 795,
      years: 2,
      months: 2,
      remaining_days: 5,
    });
    expect(() => dateAdd.run({ date: '2026-02-30' }, ctx())).toThrow(ToolError);
  });

  describe('get_weather', () => {
    let server: Server;
    let url: string;
    const asked: string[] = [];

    beforeAll(async () => {
      // A local server speaking wttr.in's JSON API.
      server = createServer((req, res) => {
        asked.push(req.url ?? '');
        if (req.url?.startsWith('/Nowhere')) return void res.writeHead(404).end();
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            current_condition: [
              {
                temp_C: '7',
                temp_F: '45',
                humidity: '81',
                windspeedKmph: '13',
                weatherDesc: [{ value: 'Light rain' }],
              },
            ],
          }),
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('with no provider configured: a tool error, never an invented value', async () => {
      await expect(getWeather.run({ location: 'Paris' }, ctx())).rejects.toThrow(/No weather provider/);
    });

    it('reads the provider and converts the unit', async () => {
      const out = await getWeather.run({ location: 'São Paulo', unit: 'fahrenheit' }, ctx({ weatherProviderUrl: url }));
      expect(out).toMatchObject({
        temperature: 45,
        unit: 'fahrenheit',
        conditions: 'Light rain',
        humidity_percent: 81,
      });
      expect(asked.at(-1)).toBe('/S%C3%A3o%20Paulo?format=j1');
      await expect(getWeather.run({ location: 'Nowhere' }, ctx({ weatherProviderUrl: url }))).rejects.toThrow(
        /does not know/,
      );
    });
  });
});
