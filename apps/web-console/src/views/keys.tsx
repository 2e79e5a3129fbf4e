import { useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { ErrorNote, MoreButton, RowAction, Section, TableHead, formatDate, useAsync, usePaged } from '../ui';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  permissions: 'all' | 'read_only' | 'restricted';
  scopes: string[];
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  expires_at: number | null;
  last_used_at: number | null;
  created_at: number;
}

/** `scopes`: what the signed-in credential holds (the shell's `/v1/auth/me`): a key can hold no more. */
export function KeysView({ scopes: held }: { scopes: string[] }) {
  const keys = usePaged<ApiKey>('/v1/api-keys');
  const models = useAsync(() => api.get<ListPage<{ id: string }>>('/v1/models'), []);
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<ApiKey['permissions']>('all');
  const [scopes, setScopes] = useState<string[]>([]);
  const [allowed, setAllowed] = useState<string[]>([]);
  const [rpm, setRpm] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const toggle = (list: string[], v: string, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const key = await api.post<ApiKey & { key: string }>('/v1/api-keys', {
        name,
        permissions,
        ...(permissions === 'restricted' ? { scopes } : {}),
        ...(allowed.length ? { models: allowed } : {}),
        ...(rpm ? { rpm: Number(rpm) } : {}),
      });
      setCreated({ name: key.name, key: key.key });
      setName('');
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };

  const revoke = async (k: ApiKey) => {
    if (!confirm(`Revoke the key “${k.name}”? Clients using it stop working at once.`)) return;
    try {
      await api.del(`/v1/api-keys/${k.id}`);
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div class="stack">
      <Section title="Create an API key">
        <form class="stack" onSubmit={create}>
          <label>
            Name
            <input
              name="key_name"
              required
              maxLength={100}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <fieldset>
            <legend>Permissions</legend>
            {(['all', 'read_only', 'restricted'] as const).map((p) => (
              <label key={p} class="inline">
                <input
                  type="radio"
                  name="permissions"
                  value={p}
                  checked={permissions === p}
                  onChange={() => setPermissions(p)}
                />
                {p === 'all' ? 'Everything I may do' : p === 'read_only' ? 'Read only' : 'Only these scopes'}
              </label>
            ))}
          </fieldset>
          {permissions === 'restricted' && (
            <fieldset>
              <legend>Scopes</legend>
              {held.map((s) => (
                <label key={s} class="inline">
                  <input
                    type="checkbox"
                    name="scope"
                    value={s}
                    checked={scopes.includes(s)}
                    onChange={(e) => setScopes(toggle(scopes, s, e.currentTarget.checked))}
                  />
                  {s}
                </label>
              ))}
            </fieldset>
          )}
          <fieldset>
            <legend>Models (none checked: all)</legend>
            {(models.value?.data ?? []).map((m) => (
              <label key={m.id} class="inline">
                <input
                  type="checkbox"
                  name="model"
                  value={m.id}
                  checked={allowed.includes(m.id)}
                  onChange={(e) => setAllowed(toggle(allowed, m.id, e.currentTarget.checked))}
                />
                {m.id}
              </label>
            ))}
          </fieldset>
          <label>
            Requests per minute (empty: your own limit)
            <input name="rpm" type="number" min={1} value={rpm} onInput={(e) => setRpm(e.currentTarget.value)} />
          </label>
          <button type="submit">Create key</button>
        </form>
        <ErrorNote error={error} />
        {created && (
          <div class="secret" role="status" data-testid="new-key">
            <p>
              The key <strong>{created.name}</strong> is shown this once: copy it now.
            </p>
            <code data-testid="new-key-secret">{created.key}</code>
            <button type="button" onClick={() => void navigator.clipboard?.writeText(created.key)}>
              Copy
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        )}
      </Section>
      <Section title="Your API keys">
        <table data-testid="key-table">
          <TableHead columns={['Name', 'Key', 'Permissions', 'Models', 'Last used', '']} />
          <tbody>
            {keys.items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.permissions === 'restricted' ? k.scopes.join(', ') : k.permissions}</td>
                <td>{k.models?.join(', ') ?? 'all'}</td>
                <td>{formatDate(k.last_used_at)}</td>
                <td>
                  <RowAction verb="Revoke" target={k.name} onClick={() => void revoke(k)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <MoreButton paged={keys} label="Show more keys" />
        <ErrorNote error={keys.error} />
      </Section>
    </div>
  );
}
