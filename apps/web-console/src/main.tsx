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
  /** What the signed-in credential holds. */
  scopes: string[];
}

const VIEWS = [
  { id: 'chat', label: 'Chat', admin: false },
  { id: 'documents', label: 'Documents', admin: false },
  { id: 'keys', label: 'API keys', admin: false },
  { id: 'usage', label: 'Usage', admin: false },
  { id: 'status', label: 'Status', admin: true },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

interface Route {
  view: ViewId;
  /** `#/chat/<conversation id>`: the open conversation, so a reload or a link keeps it. */
  param: string | null;
}

/** Hash routes (`#/chat`), so the gateway serves one index.html and no path can collide with the API's. */
function currentRoute(): Route {
  const [id, param] = location.hash.replace(/^#\/?/, '').split('/');
  const view = (VIEWS.find((v) => v.id === id)?.id ?? 'chat') as ViewId;
  return { view, param: param ? decodeURIComponent(param) : null };
}

function App() {
  const [signedIn, setSignedIn] = useState(api.signedIn);
  const [route, setRoute] = useState<Route>(currentRoute());
  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    addEventListener('hashchange', onHash);
    api.onSignedOut = () => setSignedIn(false);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (!signedIn) return <LoginView onSignedIn={() => setSignedIn(true)} />;
  return <Shell route={route} onSignOut={() => void api.logout().then(() => setSignedIn(false))} />;
}

function Shell({ route, onSignOut }: { route: Route; onSignOut: () => void }) {
  const view = route.view;
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
        {view === 'chat' && <ChatView conversationId={route.param} />}
        {view === 'documents' && <DocumentsView />}
        {view === 'keys' && <KeysView scopes={me.value?.scopes ?? []} />}
        {view === 'usage' && <UsageView admin={admin} />}
        {view === 'status' && admin && <StatusView />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
