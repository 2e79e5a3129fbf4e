import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote } from '../ui';

export function LoginView({ onSignedIn }: { onSignedIn: () => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'register') await api.register(username, password, email || undefined);
      await api.login(username, password);
      onSignedIn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const registering = mode === 'register';
  return (
    <main class="login" id="main">
      <h1>LLM Platform</h1>
      <form class="card" onSubmit={submit} aria-label={registering ? 'Create an account' : 'Sign in'}>
        <h2>{registering ? 'Create an account' : 'Sign in'}</h2>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={registering ? 'new-password' : 'current-password'}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {registering && (
          <label>
            Email (optional)
            <input name="email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
        )}
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {registering ? 'Create account' : 'Sign in'}
        </button>
        <button type="button" class="link" onClick={() => setMode(registering ? 'login' : 'register')}>
          {registering ? 'I have an account: sign in' : 'New here? Create an account'}
        </button>
      </form>
    </main>
  );
}
