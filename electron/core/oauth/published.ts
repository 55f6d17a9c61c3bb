import { DEFAULT_OAUTH_APPS, OAuthAppsFields, type OAuthApps } from '../../../shared/oauth.ts';

/** The build-time variables a publisher sets to ship its own registered sign-in apps. */
export const PUBLISHED_APP_VARIABLES = [
  'ALERTDESK_MICROSOFT_CLIENT_ID',
  'ALERTDESK_GOOGLE_CLIENT_ID',
  'ALERTDESK_GOOGLE_CLIENT_SECRET',
] as const;

export type PublishedAppVariables = Partial<Record<(typeof PUBLISHED_APP_VARIABLES)[number], string>>;

/**
 * The sign-in apps a build was published with, from the values written into it at build time
 * (scripts/build-electron.mjs). They are checked like the Sign-in apps form checks them: a value
 * that could not be a client ID is an error naming the variable, so a bad build fails to build
 * rather than failing every sign-in.
 */
export function publishedApps(values: PublishedAppVariables): OAuthApps {
  const apps: OAuthApps = {
    microsoft: {
      clientId: values.ALERTDESK_MICROSOFT_CLIENT_ID ?? '',
      tenant: DEFAULT_OAUTH_APPS.microsoft.tenant,
    },
    google: {
      clientId: values.ALERTDESK_GOOGLE_CLIENT_ID ?? '',
      clientSecret: values.ALERTDESK_GOOGLE_CLIENT_SECRET ?? '',
    },
  };
  const checked = OAuthAppsFields.safeParse(apps);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const variable =
      issue.path[0] === 'microsoft'
        ? 'ALERTDESK_MICROSOFT_CLIENT_ID'
        : issue.path[1] === 'clientSecret'
          ? 'ALERTDESK_GOOGLE_CLIENT_SECRET'
          : 'ALERTDESK_GOOGLE_CLIENT_ID';
    throw new Error(`${variable}: ${issue.message}`);
  }
  if ((apps.google.clientId === '') !== (apps.google.clientSecret === ''))
    throw new Error(
      'ALERTDESK_GOOGLE_CLIENT_ID and ALERTDESK_GOOGLE_CLIENT_SECRET are set together or not at all.',
    );
  return checked.data;
}
