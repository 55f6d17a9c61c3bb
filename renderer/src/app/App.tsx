import { useEffect } from 'react';
import { api } from '../api.ts';
import { ToastOutlet, ToastProvider } from '../components/ui.tsx';
import { ConnectorsPage } from '../features/connectors/ConnectorsPage.tsx';
import { OverviewPage } from '../features/overview/OverviewPage.tsx';
import { DeliveriesPage } from '../features/deliveries/DeliveriesPage.tsx';
import { HeartbeatsPage } from '../features/heartbeats/HeartbeatsPage.tsx';
import { AuditPage } from '../features/audit/AuditPage.tsx';
import { BackupPage } from '../features/backup/BackupPage.tsx';
import { BenchPage } from '../features/bench/BenchPage.tsx';
import { CamerasPage } from '../features/cameras/CamerasPage.tsx';
import { MailboxesPage } from '../features/mailboxes/MailboxesPage.tsx';
import { VaultPage } from '../features/vault/VaultPage.tsx';
import { ReportPage } from '../features/runs/ReportPage.tsx';
import { ReadinessPage } from '../features/readiness/ReadinessPage.tsx';
import { RunsPage } from '../features/runs/RunsPage.tsx';
import { SitesPage } from '../features/sites/SitesPage.tsx';
import { useQuery } from './hooks.ts';
import { navigate, useRoute } from './router.ts';

const NAV = [
  { page: 'overview', label: 'Overview', icon: '◐' },
  { page: 'sites', label: 'Sites', icon: '⌂' },
  { page: 'connectors', label: 'Connectors', icon: '⇄' },
  { page: 'cameras', label: 'Cameras', icon: '◎' },
  { page: 'heartbeats', label: 'Heartbeats', icon: '♥' },
  { page: 'vault', label: 'App passwords', icon: '✱' },
  { page: 'runs', label: 'Handover runs', icon: '✔' },
  { page: 'deliveries', label: 'Deliveries', icon: '✉' },
  { page: 'mailboxes', label: 'Mailboxes', icon: '⇊' },
  { page: 'readiness', label: 'Basic-auth readiness', icon: '⚠' },
  { page: 'bench', label: 'Bench inbox', icon: '⇣' },
  { page: 'audit', label: 'Audit log', icon: '☰' },
  { page: 'backup', label: 'Backup', icon: '⇪' },
] as const;

export function App() {
  const route = useRoute();
  const info = useQuery(() => api.app.info(), []);
  useEffect(() => {
    if (!window.location.hash) navigate('overview');
  }, []);
  const secret = info.data?.secretStorage;
  if (route.page === 'report' && route.id && route.params.get('print') === '1') {
    return (
      <ToastProvider>
        <ReportPage runId={route.id} siteId={route.rest[0] ?? ''} printMode />
      </ToastProvider>
    );
  }

  return (
    <ToastProvider>
      <div className="shell">
        <nav className="sidebar" aria-label="Main">
          <div className="brand">
            <span className="brand-mark" aria-hidden>
              ◉
            </span>
            <span className="nav-label">AlertDesk</span>
          </div>
          <ul>
            {NAV.map((item) => (
              <li key={item.page}>
                <a
                  href={`#/${item.page}`}
                  title={item.label}
                  aria-current={route.page === item.page ? 'page' : undefined}
                >
                  <span className="nav-icon" aria-hidden>
                    {item.icon}
                  </span>
                  <span className="nav-label">{item.label}</span>
                </a>
              </li>
            ))}
          </ul>
          <div className="sidebar-foot">
            {secret ? (
              <div
                className={`secret-status ${secret.available ? 'ok' : 'bad'}`}
                title={
                  secret.reason ??
                  (secret.available ? `Secrets encrypted (${secret.backend})` : 'No secure password storage')
                }
              >
                <span className="nav-label">
                  {secret.available ? `Secrets encrypted (${secret.backend})` : 'No secure password storage'}
                </span>
              </div>
            ) : null}
            {info.data ? <div className="version nav-label">v{info.data.version}</div> : null}
          </div>
        </nav>
        <main className="content">
          {secret && !secret.available ? (
            <div className="banner bad" role="alert">
              <strong>Passwords cannot be saved on this computer.</strong> {secret.reason}
            </div>
          ) : null}
          <div className="content-page">
            {route.page === 'sites' ? (
              <SitesPage route={route} />
            ) : route.page === 'connectors' ? (
              <ConnectorsPage route={route} />
            ) : route.page === 'cameras' ? (
              <CamerasPage route={route} />
            ) : route.page === 'heartbeats' ? (
              <HeartbeatsPage route={route} />
            ) : route.page === 'vault' ? (
              <VaultPage route={route} />
            ) : route.page === 'deliveries' ? (
              <DeliveriesPage route={route} />
            ) : route.page === 'audit' ? (
              <AuditPage route={route} />
            ) : route.page === 'runs' ? (
              <RunsPage route={route} />
            ) : route.page === 'report' && route.id ? (
              <ReportPage runId={route.id} siteId={route.rest[0] ?? ''} printMode={false} />
            ) : route.page === 'mailboxes' ? (
              <MailboxesPage route={route} />
            ) : route.page === 'readiness' ? (
              <ReadinessPage route={route} />
            ) : route.page === 'bench' ? (
              <BenchPage />
            ) : route.page === 'backup' ? (
              <BackupPage />
            ) : (
              <OverviewPage route={route} />
            )}
          </div>
          <ToastOutlet />
        </main>
      </div>
    </ToastProvider>
  );
}
