import { useEffect, useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { ErrorNote, Section, TableHead, formatDate, useAsync } from '../ui';

interface UsageRow {
  group: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number;
}
interface UsageReport {
  group_by: string;
  from: number;
  to: number;
  data: UsageRow[];
}
interface User {
  id: string;
  username: string;
  role: string;
  disabled: boolean;
  rpm_limit: number | null;
  tpm_limit: number | null;
  monthly_budget: number | null;
  created_at: number;
}

export function UsageView({ admin }: { admin: boolean }) {
  const byDay = useAsync(() => api.get<UsageReport>('/v1/usage?group_by=day'), []);
  const byModel = useAsync(() => api.get<UsageReport>('/v1/usage?group_by=model'), []);
  return (
    <div class="stack">
      <Section
        title="Tokens per day"
        actions={
          <button
            type="button"
            onClick={() => {
              byDay.reload();
              byModel.reload();
            }}
          >
            Refresh
          </button>
        }
      >
        {byDay.value && <BarChart rows={byDay.value.data} label="Tokens per day, last 30 days" />}
        <ErrorNote error={byDay.error} />
      </Section>
      <Section title="Tokens per model">
        {byModel.value && <BarChart rows={byModel.value.data} label="Tokens per model, last 30 days" />}
        {byModel.value && <UsageTable rows={byModel.value.data} />}
        <ErrorNote error={byModel.error} />
      </Section>
      {admin && <UsersAdmin />}
    </div>
  );
}

/**
 * A horizontal bar chart in SVG, one bar per row (prompt and completion tokens stacked). Written here rather than
 * taken from a chart library: a few dozen lines, no dependency, and it works offline and with the strict CSP.
 */
function BarChart({ rows, label }: { rows: UsageRow[]; label: string }) {
  if (!rows.length) return <p data-testid="usage-empty">No usage yet.</p>;
  const max = Math.max(...rows.map((r) => r.total_tokens), 1);
  const bar = 22;
  const labelW = 130;
  const width = 560;
  const plot = width - labelW - 70;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${width} ${rows.length * (bar + 6) + 6}`}
        role="img"
        aria-label={`${label}: ${rows.map((r) => `${r.group} ${r.total_tokens}`).join(', ')}`}
        data-testid="usage-chart"
      >
        {rows.map((r, i) => {
          const y = 6 + i * (bar + 6);
          const pw = (r.prompt_tokens / max) * plot;
          const cw = (r.completion_tokens / max) * plot;
          return (
            <g key={r.group} data-group={r.group} data-tokens={r.total_tokens}>
              <text x={labelW - 6} y={y + bar * 0.7} text-anchor="end" class="chart-label">
                {r.group}
              </text>
              <rect x={labelW} y={y} width={pw} height={bar} class="bar-prompt">
                <title>{`${r.group}: ${r.prompt_tokens} prompt tokens`}</title>
              </rect>
              <rect x={labelW + pw} y={y} width={cw} height={bar} class="bar-completion">
                <title>{`${r.group}: ${r.completion_tokens} completion tokens`}</title>
              </rect>
              <text x={labelW + pw + cw + 6} y={y + bar * 0.7} class="chart-value">
                {r.total_tokens}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span class="swatch bar-prompt" /> prompt <span class="swatch bar-completion" /> completion
      </figcaption>
    </figure>
  );
}

function UsageTable({ rows }: { rows: UsageRow[] }) {
  return (
    <table>
      <TableHead columns={['Model', 'Requests', 'Prompt tokens', 'Completion tokens', 'Cost']} />
      <tbody>
        {rows.map((r) => (
          <tr key={r.group}>
            <th scope="row">{r.group}</th>
            <td>{r.requests}</td>
            <td>{r.prompt_tokens}</td>
            <td>{r.completion_tokens}</td>
            <td>{r.cost.toFixed(4)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The editable limits of a user, one column each. */
const LIMITS = [
  { field: 'rpm_limit', label: 'Requests per minute', min: 1, step: undefined },
  { field: 'tpm_limit', label: 'Tokens per minute', min: 1, step: undefined },
  { field: 'monthly_budget', label: 'Monthly budget', min: 0, step: '0.01' },
] as const;

function UsersAdmin() {
  const users = useAsync(() => api.get<ListPage<User>>('/v1/admin/users?limit=100'), []);
  const [error, setError] = useState<unknown>(null);
  const update = async (u: User, patch: Partial<User>) => {
    setError(null);
    try {
      await api.patch(`/v1/admin/users/${u.id}`, patch);
      users.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title="Users and their limits">
      <ErrorNote error={error ?? users.error} />
      <table data-testid="users-table">
        <TableHead columns={['User', 'Role', 'Requests/min', 'Tokens/min', 'Monthly budget', 'Created', 'Enabled']} />
        <tbody>
          {(users.value?.data ?? []).map((u) => (
            <tr key={u.id}>
              <th scope="row">{u.username}</th>
              <td>{u.role}</td>
              {LIMITS.map((f) => (
                <td key={f.field}>
                  <LimitInput
                    label={`${f.label} of ${u.username}`}
                    value={u[f.field]}
                    min={f.min}
                    step={f.step}
                    onCommit={(v) => void update(u, { [f.field]: v })}
                  />
                </td>
              ))}
              <td>{formatDate(u.created_at)}</td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${u.username} enabled`}
                  checked={!u.disabled}
                  onChange={(e) => void update(u, { disabled: !e.currentTarget.checked })}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

/**
 * A limit field: what is typed is the field's own state (a re-render of the table never resets it), committed on
 * change (blur or Enter); empty is no limit.
 */
function LimitInput(props: {
  label: string;
  value: number | null;
  min: number;
  step?: string;
  onCommit: (value: number | null) => void;
}) {
  const shown = props.value === null ? '' : String(props.value);
  const [text, setText] = useState(shown);
  useEffect(() => setText(shown), [shown]);
  return (
    <input
      type="number"
      min={props.min}
      step={props.step}
      aria-label={props.label}
      value={text}
      onInput={(e) => setText(e.currentTarget.value)}
      onChange={(e) => props.onCommit(e.currentTarget.value.trim() === '' ? null : Number(e.currentTarget.value))}
    />
  );
}
