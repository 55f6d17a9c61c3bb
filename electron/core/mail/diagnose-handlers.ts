import type { Handlers } from '../../../shared/contract.ts';
import type { DiagnoseParsed } from '../../../shared/schemas.ts';
import { pinnedIdentity } from '../certificates.ts';
import type { CoreContext } from '../context.ts';
import { diagnose, discoverSettings } from './diagnose.ts';
import { classifyContext, targetFor, type RouteConnector } from './engine.ts';
import { logsIn } from './session.ts';
import { oauthLogin, OAuthLoginError } from '../oauth/login.ts';

type DiagnosisCalls = Pick<Handlers['connectors'], 'diagnose' | 'findSettings'>;

/** A diagnosis target and why its login is withheld, when it is. */
interface DiagnosisTarget {
  route: RouteConnector;
  target: ReturnType<typeof targetFor>;
  /** Set when a login is configured but no password may be sent to this target. */
  loginWithheld: string | null;
}

/**
 * Where the saved password may go: only to the server it was saved for. A form whose host, port,
 * security, user name or pinned certificate differ from the saved connector is another target (a
 * typo in the host would otherwise hand the password to whoever answers there).
 */
function sameTarget(saved: RouteConnector, draft: RouteConnector): boolean {
  return (
    saved.host.toLowerCase() === draft.host.toLowerCase() &&
    saved.port === draft.port &&
    saved.security === draft.security &&
    saved.username === draft.username &&
    pinnedIdentity(saved.trustedCertificatePem) === pinnedIdentity(draft.trustedCertificatePem)
  );
}

/** The connector's Diagnose and Find working settings calls, on the saved connector or the unsaved form. */
export function diagnoseHandlers(
  ctx: Pick<CoreContext, 'connectors' | 'options' | 'audit' | 'emit' | 'oauth' | 'inventory'>,
): DiagnosisCalls {
  const { connectors, options, audit, emit, oauth, inventory } = ctx;

  /** A connector (saved, or as typed in the form) turned into a session target for a diagnosis. */
  async function diagnosisTarget(input: DiagnoseParsed): Promise<DiagnosisTarget> {
    const saved = input.connectorId ? connectors.route(connectors.stored(input.connectorId).id)! : null;
    const d = input.draft;
    const base: RouteConnector = saved ?? {
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
      oauthAccountId: null,
      sender: '',
      trustedCertificatePem: null,
      allowPlainLogin: false,
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
          trustedCertificatePem: d.trustedCertificatePem?.trim() ? d.trustedCertificatePem : null,
          allowPlainLogin: d.allowPlainLogin,
          connectionTimeoutSec: d.connectionTimeoutSec,
        }
      : base;

    let password = d?.password ?? '';
    let loginWithheld: string | null = null;
    if (!password && saved?.passwordSealed) {
      if (sameTarget(saved, route)) password = await options.secrets.open(saved.passwordSealed);
      else if (logsIn(route.auth))
        loginWithheld =
          'the host, port, security, user name or pinned certificate differ from the saved connector, so its saved password was not sent. Type the password again to test the login with these settings.';
    }
    const popPassword = route.pop?.passwordSealed ? await options.secrets.open(route.pop.passwordSealed) : '';
    const target = targetFor(route, route.username, password, popPassword);
    if (route.auth === 'xoauth2') {
      // The saved sign-in's token goes only where the saved connector sends, like its password.
      if (!saved || !sameTarget(saved, route) || saved.auth !== 'xoauth2')
        loginWithheld =
          'an OAuth2 login is tried only with the saved connector and its sign-in: save the connector and sign in first.';
      else {
        try {
          const login = await oauthLogin(oauth, inventory, saved);
          return { route, target: { ...target, oauth2: login }, loginWithheld: null };
        } catch (error) {
          if (!(error instanceof OAuthLoginError)) throw error;
          loginWithheld = `no access token could be had: ${error.message}`;
        }
      }
    }
    return { route, target: loginWithheld ? { ...target, auth: 'none' } : target, loginWithheld };
  }

  const record = (input: DiagnoseParsed, route: RouteConnector, ok: boolean, detail: string) => {
    if (!input.connectorId) return;
    audit.record({
      action: 'test',
      recordType: 'connector',
      recordId: input.connectorId,
      recordLabel: route.title,
      siteId: route.siteId,
      result: ok ? 'ok' : 'failed',
      detail,
    });
  };

  return {
    diagnose: async (input) => {
      const { route, target, loginWithheld } = await diagnosisTarget(input);
      const report = await diagnose(
        crypto.randomUUID(),
        target,
        classifyContext(route, route.username),
        options.lookup,
        (e) => emit('diagnosis', e),
        loginWithheld,
      );
      record(
        input,
        route,
        report.ok,
        `diagnosis ${route.host}:${route.port} ${route.security}${report.failure ? `: ${report.failure.class}` : ''}${loginWithheld ? ' (not logged in: settings differ from the saved connector)' : ''}`,
      );
      return report;
    },
    findSettings: async (input) => {
      const { route, target, loginWithheld } = await diagnosisTarget(input);
      const found = await discoverSettings(
        crypto.randomUUID(),
        target,
        (port, security) => classifyContext({ ...route, port, security }, route.username),
        options.lookup,
        (e) => emit('diagnosis', e),
        undefined,
        loginWithheld,
      );
      const best = found.recommended ? `${found.recommended.port} ${found.recommended.security}` : 'none';
      record(
        input,
        route,
        found.recommended !== null,
        `find working settings on ${route.host}: recommended ${best}${loginWithheld ? ' (not logged in: settings differ from the saved connector)' : ''}`,
      );
      return found;
    },
  };
}
