import type { Handlers } from '../../../shared/contract.ts';
import type { DiagnoseParsed } from '../../../shared/schemas.ts';
import type { CoreContext } from '../context.ts';
import { diagnose, discoverSettings } from './diagnose.ts';
import { classifyContext, targetFor, type RouteConnector } from './engine.ts';

type DiagnosisCalls = Pick<Handlers['connectors'], 'diagnose' | 'findSettings'>;

/** The connector's Diagnose and Find working settings calls, on the saved connector or the unsaved form. */
export function diagnoseHandlers(
  ctx: Pick<CoreContext, 'connectors' | 'options' | 'audit' | 'emit'>,
): DiagnosisCalls {
  const { connectors, options, audit, emit } = ctx;

  /** A connector (saved, or as typed in the form) turned into a session target for a diagnosis. */
  async function diagnosisTarget(input: DiagnoseParsed) {
    const stored = input.connectorId ? connectors.stored(input.connectorId) : null;
    const d = input.draft;
    const base: RouteConnector = stored
      ? connectors.route(stored.id)!
      : {
          id: 'draft',
          siteId: '',
          siteName: '',
          title: 'draft',
          host: d!.host,
          port: d!.port,
          security: d!.security,
          auth: d!.auth,
          username: d!.username,
          passwordSealed: null,
          sender: '',
          trustedCertificatePem: null,
          connectionTimeoutSec: d!.connectionTimeoutSec,
          state: 'STOPPED',
          maxSessions: 1,
          rateLimitPerMinute: null,
          dailyLimit: null,
          retryDelaysSec: [],
          pop: null,
        };
    const route: RouteConnector = d
      ? {
          ...base,
          host: d.host,
          port: d.port,
          security: d.security,
          auth: d.auth,
          username: d.username,
          trustedCertificatePem: d.trustedCertificatePem?.trim()
            ? d.trustedCertificatePem
            : base.trustedCertificatePem,
          connectionTimeoutSec: d.connectionTimeoutSec,
        }
      : base;
    const password = d?.password
      ? d.password
      : route.passwordSealed
        ? await options.secrets.open(route.passwordSealed)
        : '';
    const popPassword = route.pop?.passwordSealed ? await options.secrets.open(route.pop.passwordSealed) : '';
    return { route, target: targetFor(route, route.username, password, popPassword) };
  }

  return {
    diagnose: async (input) => {
      const { route, target } = await diagnosisTarget(input);
      const report = await diagnose(
        crypto.randomUUID(),
        target,
        classifyContext(route, route.username),
        options.lookup,
        (e) => emit('diagnosis', e),
      );
      if (input.connectorId) {
        audit.record({
          action: 'test',
          recordType: 'connector',
          recordId: input.connectorId,
          recordLabel: route.title,
          siteId: route.siteId,
          result: report.ok ? 'ok' : 'failed',
          detail: `diagnosis ${route.host}:${route.port} ${route.security}${report.failure ? `: ${report.failure.class}` : ''}`,
        });
      }
      return report;
    },
    findSettings: async (input) => {
      const { route, target } = await diagnosisTarget(input);
      return discoverSettings(
        crypto.randomUUID(),
        target,
        (port, security) => classifyContext({ ...route, port, security }, route.username),
        options.lookup,
        (e) => emit('diagnosis', e),
      );
    },
  };
}
