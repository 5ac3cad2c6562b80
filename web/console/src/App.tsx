// The console's shell: the sign-in form until an admin is signed in, then the header (navigation, who is
// signed in, Sign out) and the page the URL names: the service map, instances, metrics, traces, logs, sagas,
// events and dead letters, schemas, config.

import { useEffect, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { ConfigPage } from './pages/ConfigPage.tsx';
import { DeadLetterPage } from './pages/DeadLetterPage.tsx';
import { EventsPage } from './pages/EventsPage.tsx';
import { InstancesPage } from './pages/InstancesPage.tsx';
import { LogsPage } from './pages/LogsPage.tsx';
import { MapPage } from './pages/MapPage.tsx';
import { MetricsPage } from './pages/MetricsPage.tsx';
import { SagaPage } from './pages/SagaPage.tsx';
import { SagasPage } from './pages/SagasPage.tsx';
import { SchemasPage } from './pages/SchemasPage.tsx';
import { ServiceConfigPage } from './pages/ServiceConfigPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { SubjectPage } from './pages/SubjectPage.tsx';
import { TracePage } from './pages/TracePage.tsx';
import { TracesPage } from './pages/TracesPage.tsx';
import { Link, navigate, useLocation, type Location } from './router.tsx';
import { sessionState, signOut, subscribeSession } from './session.ts';

const SECTIONS = [
  { to: '/map', label: 'Map' },
  { to: '/instances', label: 'Instances' },
  { to: '/metrics', label: 'Metrics' },
  { to: '/traces', label: 'Traces' },
  { to: '/logs', label: 'Logs' },
  { to: '/sagas', label: 'Sagas' },
  { to: '/events', label: 'Events' },
  { to: '/schemas', label: 'Schemas' },
  { to: '/config', label: 'Config' },
] as const;

/** `/sagas/orders/abc` with `/^\/sagas\/([^/]+)\/([^/]+)\/?$/` → ['orders', 'abc'], decoded; null when it does not match. */
function partsOf(path: string, pattern: RegExp): string[] | null {
  const match = pattern.exec(path);
  if (!match) return null;
  try {
    return match.slice(1).map((p) => decodeURIComponent(p));
  } catch {
    return null; // a malformed escape: no such page
  }
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function NotFound() {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        The console has no page here. <Link to="/traces">Go to the traces</Link>.
      </p>
    </>
  );
}

function PageFor({ location }: { location: Location }) {
  const { path, params } = location;
  if (path === '/') return <Redirect to="/traces" />;
  if (path === '/traces' || path === '/traces/') return <TracesPage params={params} />;
  const trace = /^\/traces\/([^/]+)\/?$/.exec(path);
  if (trace) {
    const traceId = decodeURIComponent(trace[1]!).toLowerCase();
    return <TracePage key={traceId} traceId={traceId} selected={params.get('span')} />;
  }
  if (path === '/logs' || path === '/logs/') return <LogsPage params={params} />;
  if (path === '/map' || path === '/map/') return <MapPage params={params} />;
  if (path === '/metrics' || path === '/metrics/') return <MetricsPage params={params} />;
  if (path === '/instances' || path === '/instances/') return <InstancesPage params={params} />;
  if (path === '/sagas' || path === '/sagas/') return <SagasPage params={params} />;
  const saga = partsOf(path, /^\/sagas\/([^/]+)\/([^/]+)\/?$/);
  if (saga) return <SagaPage key={path} service={saga[0]!} id={saga[1]!} />;
  if (path === '/events' || path === '/events/') return <EventsPage params={params} />;
  const letter = partsOf(path, /^\/events\/dead-letters\/([^/]+)\/([^/]+)\/?$/);
  if (letter) return <DeadLetterPage key={path} service={letter[0]!} id={Number(letter[1])} />;
  if (path === '/schemas' || path === '/schemas/') return <SchemasPage />;
  const subject = partsOf(path, /^\/schemas\/([^/]+)\/?$/);
  if (subject) return <SubjectPage key={path} subject={subject[0]!} params={params} />;
  if (path === '/config' || path === '/config/') return <ConfigPage />;
  const configured = partsOf(path, /^\/config\/([^/]+)\/?$/);
  if (configured) return <ServiceConfigPage key={path} service={configured[0]!} />;
  return <NotFound />;
}

function Shell({ email, path, children }: { email: string; path: string; children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">souk console</span>
        <nav aria-label="Console">
          <ul>
            {SECTIONS.map(({ to, label }) => (
              <li key={to}>
                <Link to={to} aria-current={path.startsWith(to) ? 'page' : undefined}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <span className="who" title="Signed in as">
            {email}
          </span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

export function App() {
  const { session, notice } = useSyncExternalStore(subscribeSession, sessionState);
  const location = useLocation();

  // After a move to another page (or signing in or out), focus goes to its heading, so that a screen
  // reader starts there and Tab goes on from the top.
  const view = `${session ? 'in' : 'out'} ${location.path}`;
  const lastView = useRef(view);
  useEffect(() => {
    if (lastView.current === view) return;
    lastView.current = view;
    document.querySelector<HTMLElement>('main h1')?.focus();
    window.scrollTo(0, 0);
  }, [view]);

  if (!session) return <SignInPage notice={notice} />;
  return (
    <Shell email={session.email} path={location.path}>
      <PageFor location={location} />
    </Shell>
  );
}
