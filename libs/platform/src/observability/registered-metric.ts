import { register } from 'prom-client';

/**
 * The metric registered under `name`, or the one `create` makes: prom-client refuses to register a name twice, and
 * a metrics provider may be constructed more than once in a process (a test that builds the app again).
 */
export function registeredMetric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}
