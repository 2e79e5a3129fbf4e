import { useEffect } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote, Section, TableHead, useAsync } from '../ui';

interface LocalModel {
  id: string;
  kind: 'llm' | 'embedding';
  queue: { waiting: number; active: number; delayed: number };
  workers: number;
  slots_per_worker: number;
}
interface RemoteModel {
  id: string;
  kind: 'remote';
  provider: string;
  endpoints: number;
}
interface Status {
  cache: { enabled: boolean; ttl_s: number; hits?: number; misses?: number; ratio?: number | null; entries?: number };
  models: (LocalModel | RemoteModel)[];
  routes: { id: string; targets: string[] }[];
}

const REFRESH_MS = 3000;

export function StatusView() {
  const status = useAsync(() => api.get<Status>('/v1/status'), []);
  useEffect(() => {
    const t = setInterval(status.reload, REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const s = status.value;
  const local = (s?.models ?? []).filter((m): m is LocalModel => m.kind !== 'remote');
  const remote = (s?.models ?? []).filter((m): m is RemoteModel => m.kind === 'remote');
  return (
    <div class="stack">
      <ErrorNote error={status.error} />
      <Section title="Queues and workers">
        <table data-testid="status-models">
          <TableHead columns={['Model', 'Kind', 'Workers', 'Busy slots', 'Waiting', 'Delayed']} />
          <tbody>
            {local.map((m) => (
              <tr key={m.id}>
                <th scope="row">{m.id}</th>
                <td>{m.kind}</td>
                <td>{m.workers}</td>
                <td>
                  {m.queue.active} / {m.workers * m.slots_per_worker}
                </td>
                <td>{m.queue.waiting}</td>
                <td>{m.queue.delayed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {s && (
        <Section title="Response cache">
          <p data-testid="cache-status">
            {s.cache.enabled
              ? `hits ${s.cache.hits ?? 0}, misses ${s.cache.misses ?? 0}, ratio ${
                  s.cache.ratio === null || s.cache.ratio === undefined ? '—' : `${(s.cache.ratio * 100).toFixed(1)}%`
                }, ${s.cache.entries ?? 0} entries (TTL ${s.cache.ttl_s} s)`
              : 'off'}
          </p>
        </Section>
      )}
      {(remote.length > 0 || (s?.routes.length ?? 0) > 0) && (
        <Section title="Remote models and routes">
          <ul>
            {remote.map((m) => (
              <li key={m.id}>
                {m.id}: {m.provider}, {m.endpoints} endpoint(s)
              </li>
            ))}
            {(s?.routes ?? []).map((r) => (
              <li key={r.id}>
                route {r.id} → {r.targets.join(' → ')}
              </li>
            ))}
          </ul>
        </Section>
      )}
    </div>
  );
}
