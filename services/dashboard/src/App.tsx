import { lazy, type ReactNode, Suspense, useEffect, useRef, useState } from 'react';
import { logout, type Me, useSession } from './api/session.js';
import { can } from './lib/permissions.js';
import { LiveProvider, useLiveStatus } from './live/context.js';
import { AlertsPage } from './pages/Alerts.js';
import { FirstLoginPage } from './pages/FirstLogin.js';
import { FleetPage } from './pages/Fleet.js';
import { LoginPage } from './pages/Login.js';
import { TasksPage } from './pages/Tasks.js';
import { href, match, useLocation } from './router.js';

// Loaded on first visit: the chart library only with a device page, admin pages only for admins.
const DevicePage = lazy(() => import('./pages/Device.js').then((m) => ({ default: m.DevicePage })));
const UsersAdminPage = lazy(() => import('./pages/admin/Users.js').then((m) => ({ default: m.UsersAdminPage })));
const SitesAdminPage = lazy(() => import('./pages/admin/Sites.js').then((m) => ({ default: m.SitesAdminPage })));
const DevicesAdminPage = lazy(() => import('./pages/admin/Devices.js').then((m) => ({ default: m.DevicesAdminPage })));
const BoardsPage = lazy(() => import('./pages/boards/Boards.js').then((m) => ({ default: m.BoardsPage })));
const BoardPage = lazy(() => import('./pages/boards/Board.js').then((m) => ({ default: m.BoardPage })));
const AlertPage = lazy(() => import('./pages/Alert.js').then((m) => ({ default: m.AlertPage })));
const RulesAdminPage = lazy(() => import('./pages/admin/Rules.js').then((m) => ({ default: m.RulesAdminPage })));
const TenantsAdminPage = lazy(() => import('./pages/admin/Tenants.js').then((m) => ({ default: m.TenantsAdminPage })));
const AuditPage = lazy(() => import('./pages/admin/Audit.js').then((m) => ({ default: m.AuditPage })));
const FirmwarePage = lazy(() => import('./pages/firmware/Firmware.js').then((m) => ({ default: m.FirmwarePage })));
const RolloutPage = lazy(() => import('./pages/firmware/Rollout.js').then((m) => ({ default: m.RolloutPage })));

export function App() {
  const session = useSession();
  if (session.status === 'loading') return <p className="login muted">Loading…</p>;
  if (session.status === 'anonymous') return <LoginPage reason={session.reason} />;
  const me = session.me;
  if (me.mustChangePassword || !me.profileCompleted) return <FirstLoginPage me={me} />;
  return (
    <LiveProvider>
      <Shell me={me} />
    </LiveProvider>
  );
}

interface Route {
  path: string;
  title: string;
  render: (params: Record<string, string>) => ReactNode;
  nav?: { label: string; section?: 'admin'; allowed: (me: Me) => boolean };
}

const everyone = () => true;

const ROUTES: Route[] = [
  { path: '/', title: 'Fleet', render: () => <FleetPage />, nav: { label: 'Fleet', allowed: everyone } },
  { path: '/devices/:id', title: 'Device', render: (p) => <DevicePage id={p.id ?? ''} /> },
  { path: '/alerts', title: 'Alerts', render: () => <AlertsPage />, nav: { label: 'Alerts', allowed: everyone } },
  { path: '/alerts/:id', title: 'Alert', render: (p) => <AlertPage id={p.id ?? ''} /> },
  { path: '/tasks', title: 'Tasks', render: () => <TasksPage />, nav: { label: 'Tasks', allowed: everyone } },
  {
    path: '/boards',
    title: 'Dashboards',
    render: () => <BoardsPage />,
    nav: { label: 'Dashboards', allowed: (me) => can(me.role, 'dashboards:read') },
  },
  { path: '/boards/:id', title: 'Dashboard', render: (p) => <BoardPage id={p.id ?? ''} /> },
  {
    path: '/admin/users',
    title: 'Users',
    render: () => <UsersAdminPage />,
    nav: { label: 'Users', section: 'admin', allowed: (me) => can(me.role, 'users:read') },
  },
  {
    path: '/admin/sites',
    title: 'Sites and assets',
    render: () => <SitesAdminPage />,
    nav: { label: 'Sites and assets', section: 'admin', allowed: (me) => can(me.role, 'assets:write') },
  },
  {
    path: '/admin/devices',
    title: 'Devices',
    render: () => <DevicesAdminPage />,
    nav: { label: 'Devices', section: 'admin', allowed: (me) => can(me.role, 'devices:write') },
  },
  {
    path: '/admin/rules',
    title: 'Rules and recipients',
    render: () => <RulesAdminPage />,
    nav: { label: 'Rules and recipients', section: 'admin', allowed: (me) => can(me.role, 'rules:read') },
  },
  {
    path: '/admin/tenants',
    title: 'Tenants',
    render: () => <TenantsAdminPage />,
    nav: { label: 'Tenants', section: 'admin', allowed: (me) => can(me.role, 'tenants:write') },
  },
  {
    path: '/admin/audit',
    title: 'Audit log',
    render: () => <AuditPage />,
    nav: { label: 'Audit log', section: 'admin', allowed: (me) => can(me.role, 'audit:read') },
  },
  {
    path: '/firmware',
    title: 'Firmware',
    render: () => <FirmwarePage />,
    nav: { label: 'Firmware', section: 'admin', allowed: (me) => can(me.role, 'devices:write') },
  },
  { path: '/firmware/rollouts/:id', title: 'Rollout', render: (p) => <RolloutPage id={p.id ?? ''} /> },
];

function Shell({ me }: { me: Me }) {
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  let route: Route | undefined;
  let params: Record<string, string> = {};
  for (const r of ROUTES) {
    const m = match(r.path, path);
    if (m) {
      route = r;
      params = m;
      break;
    }
  }

  // A route change is a new page for assistive tech: set the title and move focus to the content.
  useEffect(() => {
    document.title = `${route?.title ?? 'Not found'} · Telemetry`;
    setMenuOpen(false);
    mainRef.current?.focus();
  }, [route?.title]);

  const navItems = ROUTES.filter((r) => r.nav?.allowed(me));
  const renderLink = (r: Route) => (
    <a key={r.path} href={href(r.path)} aria-current={match(r.path, path) ? 'page' : undefined}>
      {r.nav?.label}
    </a>
  );
  return (
    <div className="shell">
      {/* a button, not a #main link: the hash is the router's */}
      <button type="button" className="skip-link" onClick={() => mainRef.current?.focus()}>
        Skip to content
      </button>
      <button
        type="button"
        className="menu-toggle"
        aria-expanded={menuOpen}
        aria-controls="nav"
        onClick={() => setMenuOpen((o) => !o)}
      >
        Menu
      </button>
      <nav id="nav" className={`nav${menuOpen ? ' open' : ''}`} aria-label="Main">
        <div className="brand">Telemetry</div>
        {navItems.filter((r) => !r.nav?.section).map(renderLink)}
        {navItems.some((r) => r.nav?.section === 'admin') ? <div className="section">Administration</div> : null}
        {navItems.filter((r) => r.nav?.section === 'admin').map(renderLink)}
        <div className="me">
          <div>
            Signed in as <strong>{me.username}</strong> ({me.role})
          </div>
          <LiveIndicator />
          <button type="button" onClick={() => void logout()} style={{ marginTop: '0.5rem' }}>
            Sign out
          </button>
        </div>
      </nav>
      <main id="main" className="main" ref={mainRef} tabIndex={-1}>
        {route ? (
          <Suspense fallback={<p className="muted">Loading…</p>}>{route.render(params)}</Suspense>
        ) : (
          <>
            <h1>Page not found</h1>
            <p>
              This address does not exist. Go to the <a href={href('/')}>fleet overview</a>.
            </p>
          </>
        )}
      </main>
    </div>
  );
}

function LiveIndicator() {
  const status = useLiveStatus();
  const text =
    status === 'live'
      ? 'Live updates on'
      : status === 'connecting'
        ? 'Connecting to live updates…'
        : status === 'refused'
          ? 'Live updates refused: sign in again'
          : 'Live updates paused, reconnecting…';
  return (
    <div className="live-banner" role="status" aria-live="polite">
      <span className={`badge ${status === 'live' ? 'online' : 'offline'}`}>{text}</span>
    </div>
  );
}
