import { type FormEvent, useEffect, useState } from 'react';
import { login } from '../api/session.js';
import { ErrorBox, Field } from '../components/ui.js';
import { useAction } from '../lib/use-resource.js';

export function LoginPage({ reason }: { reason?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(login);
  useEffect(() => {
    document.title = 'Sign in · Telemetry';
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(username.trim(), password);
  };
  return (
    <main className="login panel">
      <h1>Sign in</h1>
      {reason ? (
        <p className="notice" role="status">
          {reason}
        </p>
      ) : null}
      <form className="stack" onSubmit={submit} noValidate aria-describedby={action.error ? 'login-error' : undefined}>
        <Field label="Username" name="username" error={action.error}>
          {(p) => (
            <input
              {...p}
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          )}
        </Field>
        <Field label="Password" name="password" error={action.error}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <div id="login-error">
          <ErrorBox error={action.error} />
        </div>
        <button className="primary" type="submit" disabled={action.pending || !username || !password}>
          {action.pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
