import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { ErrorNote, MoreButton, type Paged, TableHead, download, useAsync, usePaged } from '../ui';

interface Conversation {
  id: string;
  title: string | null;
  system_prompt: string | null;
  created_at: number;
}
interface Item {
  id: string;
  type: string;
  role?: string;
  content?: { type: string; text?: string }[];
}
interface Source {
  index?: number;
  file_id?: string;
  filename?: string;
  score?: number;
  text?: string;
}
interface ReplyContext {
  tokens?: Record<string, number>;
  summary_id?: string | null;
  memories?: { id: string; text: string; score: number }[];
  verbatim_item_ids?: string[];
  dropped_item_ids?: string[];
}
interface Message {
  key: string;
  role: string;
  text: string;
  context?: ReplyContext | null;
  sources?: Source[];
  streaming?: boolean;
}
interface PromptPart {
  section: string;
  role: string;
  content: string;
  tokens: number;
}
interface DryRun {
  model: string;
  prompt: string;
  sections?: PromptPart[];
  usage: { prompt_tokens: number };
  context: ReplyContext | null;
}

function itemText(item: Item): string {
  return (item.content ?? []).map((c) => c.text ?? '').join('');
}

export function ChatView({ conversationId }: { conversationId: string | null }) {
  // Only what can chat (the platform's `capabilities` extension; a model without it is offered too).
  const models = useAsync(
    () =>
      api
        .get<ListPage<{ id: string; capabilities?: string[] }>>('/v1/models')
        .then((page) => page.data.filter((m) => !m.capabilities || m.capabilities.includes('chat'))),
    [],
  );
  const stores = useAsync(() => api.get<ListPage<{ id: string; name: string }>>('/v1/vector_stores?limit=100'), []);
  const conversations = usePaged<Conversation>('/v1/conversations');
  const [current, setCurrent] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [model, setModel] = useState('');
  const [store, setStore] = useState('');
  const [systemPrompt, setSystemPrompt] = useState('');
  const [input, setInput] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [dryRun, setDryRun] = useState<DryRun | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    if (!model && models.value?.length) setModel(models.value[0]!.id);
  }, [models.value]);

  // The route names the open conversation: follow it (a link, a reload, the browser's back button).
  useEffect(() => {
    if ((current?.id ?? null) === conversationId) return;
    if (!conversationId) {
      void open(null);
      return;
    }
    api.get<Conversation>(`/v1/conversations/${encodeURIComponent(conversationId)}`).then(
      (c) => void open(c),
      (err: unknown) => setError(err),
    );
  }, [conversationId]);

  const open = async (c: Conversation | null) => {
    abort.current?.abort();
    const hash = c ? `#/chat/${encodeURIComponent(c.id)}` : '#/chat';
    if (location.hash !== hash) location.hash = hash;
    setCurrent(c);
    setSystemPrompt(c?.system_prompt ?? '');
    setDryRun(null);
    setError(null);
    setMessages([]);
    if (!c) return;
    try {
      // The newest 100 items, shown oldest first.
      const items = await api.get<ListPage<Item>>(`/v1/conversations/${c.id}/items?order=desc&limit=100`);
      setMessages(
        [...items.data]
          .reverse()
          .filter((i) => i.type === 'message' && (i.role === 'user' || i.role === 'assistant'))
          .map((i) => ({ key: i.id, role: i.role!, text: itemText(i) })),
      );
    } catch (err) {
      setError(err);
    }
  };

  const saveSystemPrompt = async () => {
    if (!current) return;
    try {
      const updated = await api.post<Conversation>(`/v1/conversations/${current.id}`, {
        system_prompt: systemPrompt || null,
      });
      setCurrent(updated);
      conversations.reload();
    } catch (err) {
      setError(err);
    }
  };

  /** The conversation to send on: the open one, or a new one titled after the first message. */
  const ensureConversation = async (text: string): Promise<Conversation> => {
    if (current) return current;
    const created = await api.post<Conversation>('/v1/conversations', {
      title: text.slice(0, 60),
      ...(systemPrompt ? { system_prompt: systemPrompt } : {}),
    });
    setCurrent(created);
    history.replaceState(null, '', `#/chat/${encodeURIComponent(created.id)}`);
    conversations.reload();
    return created;
  };

  const requestBody = (conversationId: string, text: string) => ({
    model,
    conversation_id: conversationId,
    messages: [{ role: 'user', content: text }],
    ...(store ? { file_search: { vector_store_ids: [store] } } : {}),
  });

  const send = async (e: Event) => {
    e.preventDefault();
    const text = input.trim();
    if (!text || busy) return;
    setBusy(true);
    setError(null);
    setDryRun(null);
    const replyKey = `reply-${Date.now()}`;
    try {
      const conv = await ensureConversation(text);
      setInput('');
      setMessages((m) => [
        ...m,
        { key: `user-${Date.now()}`, role: 'user', text },
        { key: replyKey, role: 'assistant', text: '', streaming: true },
      ]);
      const update = (f: (m: Message) => Message) =>
        setMessages((all) => all.map((m) => (m.key === replyKey ? f(m) : m)));
      abort.current = new AbortController();
      await api.stream(
        '/v1/chat/completions',
        { ...requestBody(conv.id, text), stream: true, stream_options: { include_usage: true } },
        (chunk) => {
          const choices = chunk.choices as { delta?: { content?: string } }[] | undefined;
          const delta = choices?.[0]?.delta?.content;
          if (delta) update((m) => ({ ...m, text: m.text + delta }));
          if ('context' in chunk || 'sources' in chunk) {
            update((m) => ({
              ...m,
              context: (chunk.context as ReplyContext | null) ?? m.context,
              sources: (chunk.sources as Source[] | undefined) ?? m.sources,
            }));
          }
        },
        abort.current.signal,
      );
      update((m) => ({ ...m, streaming: false }));
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError(err);
      setMessages((all) => all.map((m) => (m.key === replyKey ? { ...m, streaming: false } : m)));
    } finally {
      setBusy(false);
    }
  };

  const showDryRun = async () => {
    const text = input.trim() || '(next message)';
    setError(null);
    try {
      const conv = current ?? null;
      const body = conv
        ? requestBody(conv.id, text)
        : {
            model,
            messages: [
              ...(systemPrompt ? [{ role: 'system', content: systemPrompt }] : []),
              { role: 'user', content: text },
            ],
            ...(store ? { file_search: { vector_store_ids: [store] } } : {}),
          };
      setDryRun(await api.post<DryRun>('/v1/chat/completions?dry_run=true', body));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div class="chat">
      <ConversationList
        list={conversations.items}
        paged={conversations}
        currentId={current?.id ?? null}
        onOpen={(c) => void open(c)}
        onChanged={(deletedId) => {
          if (deletedId && deletedId === current?.id) void open(null);
          conversations.reload();
        }}
        onError={setError}
      />
      <section class="chat-main" aria-label="Chat">
        <div class="toolbar">
          <label>
            Model
            <select name="model" value={model} onChange={(e) => setModel(e.currentTarget.value)}>
              {(models.value ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Ground on
            <select name="vector_store" value={store} onChange={(e) => setStore(e.currentTarget.value)}>
              <option value="">no documents</option>
              {(stores.value?.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name || s.id}
                </option>
              ))}
            </select>
          </label>
        </div>
        <details class="system-prompt" open={!current}>
          <summary>System prompt{current?.system_prompt ? ' (set)' : ''}</summary>
          <label>
            System prompt of this conversation
            <textarea
              name="system_prompt"
              rows={3}
              value={systemPrompt}
              onInput={(e) => setSystemPrompt(e.currentTarget.value)}
            />
          </label>
          {current && (
            <button type="button" onClick={() => void saveSystemPrompt()}>
              Save system prompt
            </button>
          )}
        </details>
        <ol class="messages" aria-live="polite" aria-label="Messages" data-testid="messages">
          {messages.map((m) => (
            <li key={m.key} class={`msg msg-${m.role}`} data-role={m.role} aria-busy={m.streaming ? 'true' : undefined}>
              <span class="msg-role">{m.role === 'user' ? 'You' : 'Assistant'}</span>
              <div class="msg-text">{m.text || (m.streaming ? '…' : '')}</div>
              {m.sources && m.sources.length > 0 && <Sources sources={m.sources} />}
              {m.context && <ContextDetails context={m.context} />}
            </li>
          ))}
        </ol>
        <ErrorNote error={error} />
        <form class="composer" onSubmit={send}>
          <label class="grow">
            Message
            <textarea
              name="message"
              rows={2}
              value={input}
              onInput={(e) => setInput(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  e.currentTarget.form?.requestSubmit();
                }
              }}
            />
          </label>
          <div class="composer-actions">
            <button type="submit" disabled={busy || !model}>
              Send
            </button>
            {busy && (
              <button type="button" onClick={() => abort.current?.abort()}>
                Stop
              </button>
            )}
            <button type="button" onClick={() => void showDryRun()} disabled={!model}>
              Dry run
            </button>
          </div>
        </form>
        {dryRun && <DryRunView dry={dryRun} onClose={() => setDryRun(null)} />}
      </section>
    </div>
  );
}

function ConversationList(props: {
  list: Conversation[];
  paged: Paged<Conversation>;
  currentId: string | null;
  onOpen: (c: Conversation | null) => void;
  onChanged: (deletedId?: string) => void;
  onError: (e: unknown) => void;
}) {
  /** An action closes its menu, so the next open starts closed. */
  const closeMenu = (e: Event) => (e.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
  const act = async (f: () => Promise<unknown>, deletedId?: string) => {
    try {
      await f();
      props.onChanged(deletedId);
    } catch (err) {
      props.onError(err);
    }
  };
  const rename = (c: Conversation) => {
    const title = prompt('New title', c.title ?? '');
    if (title !== null) void act(() => api.post(`/v1/conversations/${c.id}`, { title: title || null }));
  };
  const remove = (c: Conversation) => {
    if (confirm(`Delete “${c.title ?? c.id}”?`)) void act(() => api.del(`/v1/conversations/${c.id}`), c.id);
  };
  const exportAs = (c: Conversation, format: 'json' | 'markdown') =>
    void act(async () => {
      const file = await api.text(`/v1/conversations/${c.id}/export?format=${format}`);
      download(file.text, file.filename ?? `${c.id}.${format === 'json' ? 'json' : 'md'}`, file.type);
    });
  return (
    <aside class="conversations" aria-label="Conversations">
      <button type="button" onClick={() => props.onOpen(null)}>
        New chat
      </button>
      <ul data-testid="conversation-list">
        {props.list.map((c) => (
          <li key={c.id} class={c.id === props.currentId ? 'current' : ''}>
            <button
              type="button"
              class="conv-title"
              aria-current={c.id === props.currentId ? 'true' : undefined}
              onClick={() => props.onOpen(c)}
            >
              {c.title ?? 'Untitled'}
            </button>
            <details class="conv-actions">
              <summary aria-label={`Actions for ${c.title ?? 'Untitled'}`}>⋯</summary>
              {(
                [
                  ['Rename', () => rename(c)],
                  ['Export JSON', () => exportAs(c, 'json')],
                  ['Export Markdown', () => exportAs(c, 'markdown')],
                  ['Delete', () => remove(c), 'danger'],
                ] as const
              ).map(([label, run, cls]) => (
                <button
                  key={label}
                  type="button"
                  class={cls}
                  onClick={(e) => {
                    closeMenu(e);
                    run();
                  }}
                >
                  {label}
                </button>
              ))}
            </details>
          </li>
        ))}
      </ul>
      <MoreButton paged={props.paged} label="Show older conversations" />
    </aside>
  );
}

function Sources({ sources }: { sources: Source[] }) {
  return (
    <details class="sources" open>
      <summary>Sources ({sources.length})</summary>
      <ol>
        {sources.map((s, i) => (
          <li key={i}>
            <strong>
              [{s.index ?? i + 1}] {s.filename ?? s.file_id}
            </strong>
            {s.score !== undefined && <span class="muted"> score {s.score.toFixed(3)}</span>}
            {s.text && <blockquote>{s.text.slice(0, 400)}</blockquote>}
          </li>
        ))}
      </ol>
    </details>
  );
}

function TokenTable({ tokens }: { tokens: Record<string, number> }) {
  return (
    <table class="tokens">
      <caption>Tokens per section</caption>
      <TableHead columns={['Section', 'Tokens']} />
      <tbody>
        {Object.entries(tokens).map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ContextDetails({ context }: { context: ReplyContext }) {
  return (
    <details class="context">
      <summary>Context used</summary>
      {context.tokens && <TokenTable tokens={context.tokens} />}
      <p>Summary: {context.summary_id ?? 'none'}</p>
      {context.memories && context.memories.length > 0 ? (
        <>
          <p>Recalled memories:</p>
          <ul>
            {context.memories.map((m) => (
              <li key={m.id}>
                “{m.text}” <span class="muted">({m.score.toFixed(2)})</span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>No memories recalled.</p>
      )}
      <p>
        Verbatim turns: {context.verbatim_item_ids?.length ?? 0}; dropped to fit:{' '}
        {context.dropped_item_ids?.length ?? 0}
      </p>
    </details>
  );
}

function DryRunView({ dry, onClose }: { dry: DryRun; onClose: () => void }) {
  return (
    <section class="card dry-run" aria-label="Dry run" data-testid="dry-run">
      <div class="card-head">
        <h2>Dry run: the exact prompt for {dry.model}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p>
        Prompt tokens: <strong>{dry.usage.prompt_tokens}</strong>
      </p>
      {dry.context?.tokens && <TokenTable tokens={dry.context.tokens} />}
      {dry.sections && (
        <ol class="sections" aria-label="Prompt sections" data-testid="dry-run-sections">
          {dry.sections.map((p, i) => (
            <li key={i} data-section={p.section}>
              <p>
                <strong>{p.section}</strong>{' '}
                <span class="muted">
                  ({p.role}, {p.tokens} tokens)
                </span>
              </p>
              <pre class="prompt">{p.content}</pre>
            </li>
          ))}
        </ol>
      )}
      <h3>After the chat template</h3>
      <pre class="prompt" data-testid="dry-run-prompt">
        {dry.prompt}
      </pre>
    </section>
  );
}
