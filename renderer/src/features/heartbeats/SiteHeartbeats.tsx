import type { Site } from '../../../../shared/domain.ts';
import type { SiteHeartbeats } from '../../../../shared/heartbeats.ts';
import { api, call } from '../../api.ts';
import { useQuery } from '../../app/hooks.ts';
import { navigate } from '../../app/router.ts';
import { When } from '../../components/format.tsx';
import { Dialog } from '../../components/ui.tsx';
import { ExpectationForm, PauseForm } from './ExpectationForm.tsx';
import { StateCountChips, useNow } from './state.tsx';

/** A site's heartbeat roll-up for the Sites table: counts by state, each opening the filtered status table. */
export function SiteHeartbeatCounts({ summary }: { summary: SiteHeartbeats | undefined }) {
  if (!summary) return <span className="muted">—</span>;
  return (
    <span onClick={(e) => e.stopPropagation()}>
      <StateCountChips
        counts={summary.counts}
        notSetUp={summary.notSetUp}
        max={3}
        onPick={(state) => navigate(`heartbeats?site=${summary.siteId}&state=${state}`)}
      />
    </span>
  );
}

/** The same expectation for every camera of a site, and a maintenance window for all of them. */
export function SiteHeartbeatDialog({
  site,
  summary,
  onClose,
}: {
  site: Site;
  summary: SiteHeartbeats | undefined;
  onClose: () => void;
}) {
  const windows = useQuery(() => api.heartbeats.windows({ siteId: site.id }), []);
  const now = useNow();
  return (
    <Dialog title={`Heartbeats of ${site.name}`} onClose={onClose} wide>
      <p className="muted">
        {summary ? (
          <>
            Now: <StateCountChips counts={summary.counts} notSetUp={summary.notSetUp} /> · last heartbeat{' '}
            <When iso={summary.lastOkAt} />
          </>
        ) : null}
      </p>
      <h3 className="hb-dialog-title">Expectation for all {site.cameraCount} cameras</h3>
      <ExpectationForm
        initial={{ periodMinutes: 60, graceMinutes: null, schedule: null }}
        saveLabel={`Apply to all ${site.cameraCount} cameras`}
        save={(fields) => call(api.heartbeats.setSiteExpectation({ siteId: site.id, ...fields }))}
      />
      <h3 className="hb-dialog-title">Maintenance of the whole site</h3>
      <PauseForm
        siteId={site.id}
        cameraId={null}
        windows={(windows.data ?? []).filter((w) => w.scope === 'site')}
        onChanged={windows.reload}
        now={now}
      />
    </Dialog>
  );
}
