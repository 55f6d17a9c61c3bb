import type { Handlers } from '../../../shared/contract.ts';
import { notFound } from '../../../shared/result.ts';
import type { CoreContext } from '../context.ts';

/** The `heartbeats` calls: the status table, a camera's timeline, rules, unmatched mail, expectations, alerts. */
export function heartbeatHandlers({
  heartbeats,
  inventory,
}: Pick<CoreContext, 'heartbeats' | 'inventory'>): Handlers['heartbeats'] {
  const { settings, mail, monitor } = heartbeats;
  return {
    overview: () => heartbeats.overview(),
    sites: () => heartbeats.siteSummaries(),
    camera: ({ cameraId }) => heartbeats.detail(cameraId),
    rules: (input) => settings.rules(input ?? {}),
    createRule: (input) => monitor.because('Heartbeat rule added', () => settings.createRule(input)),
    updateRule: (input) => monitor.because('Heartbeat rule changed', () => settings.updateRule(input)),
    removeRule: ({ id }) => monitor.because('Heartbeat rule deleted', () => settings.removeRule(id)),
    previewRule: (input) => mail.preview(input),
    unmatched: (input) => mail.unmatched(input?.days ?? 7, input?.sourceId),
    proposeRule: ({ messageKey, cameraId }) => mail.propose(messageKey, cameraId),
    assign: (input) => mail.assign(input),
    setExpectation: ({ cameraId, ...fields }) => {
      heartbeats.setExpectation([cameraId], fields, 'Expectation changed');
      return heartbeats.cameraState(cameraId)!;
    },
    setSiteExpectation: ({ siteId, ...fields }) => {
      if (!inventory.site(siteId)) throw notFound('Site', siteId);
      const ids = inventory.cameras.filter((c) => c.siteId === siteId).map((c) => c.id);
      heartbeats.setExpectation(ids, fields, "Site's expectation changed");
      return { updated: ids.length };
    },
    pause: (input) => monitor.because('Maintenance window set', () => settings.pause(input)),
    resume: ({ id }) => monitor.because('Maintenance window ended', () => settings.resume(id)),
    windows: (input) => settings.windows(input?.siteId ? { siteId: input.siteId } : {}),
    alerts: (input) => heartbeats.alertHistory(input?.limit ?? 100),
    alertSettings: () => settings.alertSettings(),
    setAlertSettings: (input) => settings.setAlertSettings(input),
  };
}
