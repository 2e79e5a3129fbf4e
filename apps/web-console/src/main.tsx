import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { useAsync, ErrorNote } from './ui';
import { LoginView } from './views/login';
import { ChatView } from './views/chat';
import { DocumentsView } from './views/documents';
import { KeysView } from './views/keys';
import { UsageView } from './views/usage';
import { StatusView } from './views/status';
import './styles.css';

export interface Me {
  id: string;
  username: string;
  role: 'admin' | 'user';
}

const VIEWS = [
  { id: 'chat', label: 'Chat', admin: false },
  { id: 'documents', label: 'Documents', admin: false },
  { id: 'keys', label: 'API keys', admin: false },
  { id: 'usage', label: 'Usage', admin: false },
  { id: 'status', label: 'Status', admin: true },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

/** Hash routes (`#/chat`), so the gateway serves one index.html and no path can collide with the API's. */
function currentView(): ViewId {
  const id = location.hash.replace(/^#\/?/, '').split('/')[0];
  return (VIEWS.find((v) => v.id === id)?.id ?? 'chat') as ViewId;
}

function App() {
  const [signedIn, setSignedIn] = useState(api.signedIn);
  const [view, setView] = useState<ViewId>(currentView());
  useEffect(() => {
    const onHash = () => setView(currentView());
    addEventListener('hashchange', onHash);
    api.onSignedOut = () => setSignedIn(false);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (!signedIn) return <LoginView onSignedIn={() => setSignedIn(true)} />;
  return <Shell view={view} onSignOut={() => void api.logout().then(() => setSignedIn(false))} />;
}

function Shell({ view, onSignOut }: { view: ViewId; onSignOut: () => void }) {
  const me = useAsync(() => api.get<Me>('/v1/auth/me'), []);
  const admin = me.value?.role === 'admin';
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/chat">
          LLM Platform
        </a>
        <nav aria-label="Sections">
          <ul>
            {VIEWS.filter((v) => !v.admin || admin).map((v) => (
              <li key={v.id}>
                <a href={`#/${v.id}`} aria-current={view === v.id ? 'page' : undefined}>
                  {v.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" data-testid="who">
          {me.value ? `${me.value.username}${admin ? ' (admin)' : ''}` : ''}
        </span>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <ErrorNote error={me.error} />
        {view === 'chat' && <ChatView />}
        {view === 'documents' && <DocumentsView />}
        {view === 'keys' && <KeysView />}
        {view === 'usage' && <UsageView admin={admin} />}
        {view === 'status' && admin && <StatusView />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
