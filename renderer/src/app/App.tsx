import { useEffect } from 'react';
import { api } from '../api.ts';
import { ToastProvider } from '../components/ui.tsx';
import { ConnectorsPage } from '../features/connectors/ConnectorsPage.tsx';
import { DeliveriesPage } from '../features/deliveries/DeliveriesPage.tsx';
import { AuditPage } from '../features/audit/AuditPage.tsx';
import { BackupPage } from '../features/backup/BackupPage.tsx';
import { BenchPage } from '../features/bench/BenchPage.tsx';
import { CamerasPage } from '../features/cameras/CamerasPage.tsx';
import { VaultPage } from '../features/vault/VaultPage.tsx';
import { ReportPage } from '../features/runs/ReportPage.tsx';
import { RunsPage } from '../features/runs/RunsPage.tsx';
import { SitesPage } from '../features/sites/SitesPage.tsx';
import { useQuery } from './hooks.ts';
import { navigate, useRoute } from './router.ts';

const NAV = [
  { page: 'sites', label: 'Sites', icon: '⌂' },
  { page: 'connectors', label: 'Connectors', icon: '⇄' },
  { page: 'cameras', label: 'Cameras', icon: '◎' },
  { page: 'vault', label: 'App passwords', icon: '✱' },
  { page: 'runs', label: 'Handover runs', icon: '✔' },
  { page: 'deliveries', label: 'Deliveries', icon: '✉' },
  { page: 'bench', label: 'Bench inbox', icon: '⇣' },
  { page: 'audit', label: 'Audit log', icon: '☰' },
  { page: 'backup', label: 'Backup', icon: '⇪' },
] as const;

export function App() {
  const route = useRoute();
  const info = useQuery(() => api.app.info(), []);
  useEffect(() => {
    if (!window.location.hash) navigate('sites');
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
            AlertDesk
          </div>
          <ul>
            {NAV.map((item) => (
              <li key={item.page}>
                <a href={`#/${item.page}`} aria-current={route.page === item.page ? 'page' : undefined}>
                  <span className="nav-icon" aria-hidden>
                    {item.icon}
                  </span>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
          <div className="sidebar-foot">
            {secret ? (
              <div
                className={`secret-status ${secret.available ? 'ok' : 'bad'}`}
                title={secret.reason ?? undefined}
              >
                {secret.available ? `Secrets encrypted (${secret.backend})` : 'No secure password storage'}
              </div>
            ) : null}
            {info.data ? <div className="version">v{info.data.version}</div> : null}
          </div>
        </nav>
        <main className="content">
          {secret && !secret.available ? (
            <div className="banner bad" role="alert">
              <strong>Passwords cannot be saved on this computer.</strong> {secret.reason}
            </div>
          ) : null}
          {route.page === 'connectors' ? (
            <ConnectorsPage route={route} />
          ) : route.page === 'cameras' ? (
            <CamerasPage route={route} />
          ) : route.page === 'vault' ? (
            <VaultPage />
          ) : route.page === 'deliveries' ? (
            <DeliveriesPage route={route} />
          ) : route.page === 'audit' ? (
            <AuditPage route={route} />
          ) : route.page === 'runs' ? (
            <RunsPage route={route} />
          ) : route.page === 'report' && route.id ? (
            <ReportPage runId={route.id} siteId={route.rest[0] ?? ''} printMode={false} />
          ) : route.page === 'bench' ? (
            <BenchPage />
          ) : route.page === 'backup' ? (
            <BackupPage />
          ) : (
            <SitesPage />
          )}
        </main>
      </div>
    </ToastProvider>
  );
}
