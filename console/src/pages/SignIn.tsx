import { useState } from 'react';
import { get, storeKey, type Page } from '../api.js';
import { ErrorBanner, useSubmit } from '../ui.js';

export function SignIn({ onSignedIn, notice }: { onSignedIn: () => void; notice: string | null }) {
  const [key, setKey] = useState('');
  const { busy, error, submit } = useSubmit(
    async () => {
      const trimmed = key.trim();
      // Any authenticated read tells whether the API takes this key.
      await get<Page<unknown>>('/v1/members?limit=1', { key: trimmed });
      storeKey(trimmed);
    },
    () => onSignedIn(),
  );
  return (
    <div className="sign-in">
      <form className="card" onSubmit={submit}>
        <h1>
          Tessera <span className="muted">console</span>
        </h1>
        <p className="muted">
          Sign in with an operator (admin) API key: the one <code>npm start</code> printed on first start, <code>TESSERA_ADMIN_KEY</code>, or one
          from <code>tessera keys create</code>. It is kept in this tab only (sessionStorage).
        </p>
        {notice && <p className="notice">{notice}</p>}
        <label className="field">
          <span className="field-label">API key</span>
          <input
            name="apiKey"
            type="password"
            autoComplete="off"
            autoFocus
            placeholder="tsk_admin_…"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            required
          />
        </label>
        <ErrorBanner error={error} />
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
