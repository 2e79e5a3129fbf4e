import { useEffect, useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { ErrorNote, MoreButton, RowAction, Section, TableHead, errorText, formatDate, useAsync, usePaged } from '../ui';

interface VectorStore {
  id: string;
  name: string;
  created_at: number;
  status: string;
  usage_bytes: number;
  file_counts: { in_progress: number; completed: number; failed: number; cancelled: number; total: number };
}
interface StoreFile {
  id: string;
  status: 'in_progress' | 'completed' | 'cancelled' | 'failed';
  usage_bytes: number;
  created_at: number;
  last_error: { code: string; message: string } | null;
  /** The platform's extension while in_progress: stage, chunks embedded, share done (0..1). */
  progress?: { stage: string; chunks_embedded: number; chunks_total: number | null; fraction: number } | null;
}
interface SearchHit {
  file_id: string;
  filename: string;
  score: number;
  attributes: Record<string, unknown> | null;
  content: { type: string; text: string }[];
}
interface Upload {
  id: string;
  name: string;
  /** 0..1: the first half is the upload's bytes, the second the ingest (extract, chunk, embed, index). */
  progress: number;
  stage: string;
  error?: string;
}

const POLL_MS = 300;

export function DocumentsView() {
  const stores = useAsync(() => api.get<ListPage<VectorStore>>('/v1/vector_stores?limit=100'), []);
  const [selected, setSelected] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');

  useEffect(() => {
    if (!selected && stores.value?.data.length) setSelected(stores.value.data[0]!.id);
  }, [stores.value]);

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const vs = await api.post<VectorStore>('/v1/vector_stores', { name: name || 'Documents' });
      setName('');
      setSelected(vs.id);
      stores.reload();
    } catch (err) {
      setError(err);
    }
  };

  const store = stores.value?.data.find((s) => s.id === selected) ?? null;
  return (
    <div class="stack">
      <Section title="Vector stores">
        <form class="row" onSubmit={create}>
          <label>
            New vector store
            <input name="store_name" placeholder="Name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button type="submit">Create</button>
        </form>
        <label>
          Vector store
          <select name="store" value={selected} onChange={(e) => setSelected(e.currentTarget.value)}>
            {(stores.value?.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name || s.id} ({s.file_counts.completed}/{s.file_counts.total} files)
              </option>
            ))}
          </select>
        </label>
        <ErrorNote error={error ?? stores.error} />
      </Section>
      {store && <StoreFiles store={store} onChanged={stores.reload} />}
      {store && <StoreSearch store={store} />}
    </div>
  );
}

function StoreFiles({ store, onChanged }: { store: VectorStore; onChanged: () => void }) {
  const files = usePaged<StoreFile>(`/v1/vector_stores/${store.id}/files`);
  // The files' names (a vector store file carries only its id).
  const names = useAsync(
    () =>
      api
        .get<ListPage<{ id: string; filename: string }>>('/v1/files?limit=10000')
        .then((page) => new Map(page.data.map((f) => [f.id, f.filename]))),
    [store.id, files.items.length],
  );
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [detachError, setDetachError] = useState<unknown>(null);

  const upload = async (file: File) => {
    const id = `${Date.now()}-${Math.random()}`;
    const track = (patch: Partial<Upload>) =>
      setUploads((all) => all.map((u) => (u.id === id ? { ...u, ...patch } : u)));
    setUploads((all) => [{ id, name: file.name, progress: 0, stage: 'uploading' }, ...all]);
    try {
      const form = new FormData();
      form.append('purpose', 'assistants');
      form.append('file', file);
      const uploaded = await api.upload<{ id: string }>('/v1/files', form, (f) => track({ progress: f / 2 }));
      track({ progress: 0.5, stage: 'indexing' });
      let vf = await api.post<StoreFile>(`/v1/vector_stores/${store.id}/files`, { file_id: uploaded.id });
      while (vf.status === 'in_progress') {
        // The second half of the bar is the ingest's own report: its stage and the share of chunks embedded.
        const p = vf.progress;
        if (p) {
          const chunks = p.chunks_total ? ` ${p.chunks_embedded}/${p.chunks_total} chunks` : '';
          track({ progress: 0.5 + p.fraction / 2, stage: `${p.stage}${chunks}` });
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
        vf = await api.get<StoreFile>(`/v1/vector_stores/${store.id}/files/${uploaded.id}`);
      }
      if (vf.status === 'completed') track({ progress: 1, stage: 'indexed' });
      else track({ stage: vf.status, error: vf.last_error?.message ?? `The file ended ${vf.status}` });
    } catch (err) {
      track({ stage: 'failed', error: errorText(err) });
    }
    files.reload();
    onChanged();
  };

  return (
    <Section title={`Files in ${store.name || store.id}`}>
      <label>
        Upload a document (PDF, docx, HTML, Markdown, CSV, JSON or text)
        <input
          type="file"
          name="document"
          multiple
          onChange={(e) => {
            const list = Array.from(e.currentTarget.files ?? []);
            e.currentTarget.value = '';
            for (const f of list) void upload(f);
          }}
        />
      </label>
      <ul class="uploads" aria-live="polite">
        {uploads.map((u) => (
          <li key={u.id} data-testid="upload">
            <span>{u.name}</span>
            <progress max={100} value={Math.round(u.progress * 100)} aria-label={`Progress of ${u.name}`} />
            <span data-testid="upload-percent">{Math.round(u.progress * 100)}%</span>
            <span class="muted">{u.stage}</span>
            {u.error && (
              <span class="error" role="alert">
                {u.error}
              </span>
            )}
          </li>
        ))}
      </ul>
      <table>
        <caption>Attached files</caption>
        <TableHead columns={['File', 'Status', 'Indexed bytes', 'Added', '']} />
        <tbody>
          {files.items.map((f) => (
            <tr key={f.id}>
              <td title={f.id}>{names.value?.get(f.id) ?? f.id}</td>
              <td>{f.last_error ? `${f.status}: ${f.last_error.message}` : f.status}</td>
              <td>{f.usage_bytes}</td>
              <td>{formatDate(f.created_at)}</td>
              <td>
                <RowAction
                  verb="Detach"
                  target={names.value?.get(f.id) ?? f.id}
                  onClick={() =>
                    void api.del(`/v1/vector_stores/${store.id}/files/${f.id}`).then(() => {
                      files.reload();
                      onChanged();
                    }, setDetachError)
                  }
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <MoreButton paged={files} label="Show more files" />
      <ErrorNote error={detachError ?? files.error} />
    </Section>
  );
}

function StoreSearch({ store }: { store: VectorStore }) {
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const page = await api.post<{ data: SearchHit[] }>(`/v1/vector_stores/${store.id}/search`, {
        query,
        max_num_results: 5,
      });
      setHits(page.data);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title="Search">
      <form class="row" onSubmit={search} role="search">
        <label class="grow">
          Search the documents
          <input name="query" required value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={error} />
      {hits && (
        <ol class="hits" data-testid="search-results" aria-label="Search results">
          {hits.length === 0 && <li>Nothing found.</li>}
          {hits.map((h, i) => (
            <li key={`${h.file_id}-${i}`}>
              <p>
                <strong>
                  [{i + 1}] {h.filename}
                </strong>{' '}
                <span class="muted">score {h.score.toFixed(3)}</span>
              </p>
              <blockquote>
                {h.content
                  .map((c) => c.text)
                  .join(' ')
                  .slice(0, 600)}
              </blockquote>
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}
