import { useEffect, useState, type ReactNode } from 'react';
import { forgetKey, onUnauthorized, storedKey } from './api.js';
import { Link, match, RouterProvider, useRouter } from './router.js';
import { SignIn } from './pages/SignIn.js';
import { Dashboard } from './pages/Dashboard.js';
import { PlanDetail, Plans } from './pages/Plans.js';
import { Benefits } from './pages/Benefits.js';
import { PoolDetail, Pools } from './pages/Pools.js';
import { Catalog } from './pages/Catalog.js';
import { Rollouts, RolloutDetail } from './pages/Rollouts.js';
import { Partners, PartnerDetail } from './pages/Partners.js';
import { Webhooks, WebhookDetail } from './pages/Webhooks.js';
import { MemberDetail, Members } from './pages/Members.js';
import { MemberCentre } from './pages/MemberCentre.js';

const NAV: Array<{ to: string; label: string }> = [
  { to: '/', label: 'Dashboard' },
  { to: '/plans', label: 'Plans & prices' },
  { to: '/benefits', label: 'Benefits' },
  { to: '/pools', label: 'Code pools' },
  { to: '/catalog', label: 'Points mall' },
  { to: '/rollouts', label: 'Rollouts' },
  { to: '/partners', label: 'Partners' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/members', label: 'Members' },
  { to: '/member-centre', label: 'Member centre' },
];

type Route = [pattern: string, render: (params: Record<string, string>) => ReactNode];
const ROUTES: Route[] = [
  ['/', () => <Dashboard />],
  ['/plans', () => <Plans />],
  ['/plans/:id', (p) => <PlanDetail id={p.id ?? ''} />],
  ['/benefits', () => <Benefits />],
  ['/pools', () => <Pools />],
  ['/pools/:id', (p) => <PoolDetail id={p.id ?? ''} />],
  ['/catalog', () => <Catalog />],
  ['/rollouts', () => <Rollouts />],
  ['/rollouts/:id', (p) => <RolloutDetail id={p.id ?? ''} />],
  ['/partners', () => <Partners />],
  ['/partners/:id', (p) => <PartnerDetail id={p.id ?? ''} />],
  ['/webhooks', () => <Webhooks />],
  ['/webhooks/:id', (p) => <WebhookDetail id={p.id ?? ''} />],
  ['/members', () => <Members />],
  ['/members/:id', (p) => <MemberDetail id={p.id ?? ''} />],
  ['/member-centre', () => <MemberCentre />],
];

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { path } = useRouter();
  let page: ReactNode = (
    <div className="card">
      <h1>Not found</h1>
      <p>
        There is no console page at <code>{path}</code>. <Link to="/">Back to the dashboard</Link>.
      </p>
    </div>
  );
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      page = render(params);
      break;
    }
  }
  const active = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`));
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Console">
        <div className="brand">
          Tessera <span>console</span>
        </div>
        <ul>
          {NAV.map((item) => (
            <li key={item.to}>
              <Link to={item.to} className={active(item.to) ? 'active' : ''}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <a href="/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
          <button type="button" className="link" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </nav>
      <main className="content" key={path}>
        {page}
      </main>
    </div>
  );
}

export function App() {
  const [signedIn, setSignedIn] = useState(() => storedKey() !== null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(
    () =>
      onUnauthorized(() => {
        forgetKey();
        setNotice('The API no longer accepts the stored key (revoked, or the server was reset). Sign in again.');
        setSignedIn(false);
      }),
    [],
  );
  return (
    <RouterProvider>
      {signedIn ? (
        <Shell
          onSignOut={() => {
            forgetKey();
            setNotice(null);
            setSignedIn(false);
          }}
        />
      ) : (
        <SignIn
          notice={notice}
          onSignedIn={() => {
            setNotice(null);
            setSignedIn(true);
          }}
        />
      )}
    </RouterProvider>
  );
}
