import { describe, expect, it } from 'vitest';
import { publishedApps } from '../../electron/core/oauth/published.ts';

describe('the sign-in apps a build is published with', () => {
  it('are empty (sign-in asks for the settings) when the publisher set none', () => {
    expect(publishedApps({})).toEqual({
      microsoft: { clientId: '', tenant: 'common' },
      google: { clientId: '', clientSecret: '' },
    });
  });

  it('carry the publisher’s client IDs, trimmed, with the common tenant', () => {
    expect(
      publishedApps({
        ALERTDESK_MICROSOFT_CLIENT_ID: ' 11111111-2222-4333-8444-555555555555 ',
        ALERTDESK_GOOGLE_CLIENT_ID: '123-abc.apps.googleusercontent.com',
        ALERTDESK_GOOGLE_CLIENT_SECRET: 'GOCSPX-not-secret',
      }),
    ).toEqual({
      microsoft: { clientId: '11111111-2222-4333-8444-555555555555', tenant: 'common' },
      google: { clientId: '123-abc.apps.googleusercontent.com', clientSecret: 'GOCSPX-not-secret' },
    });
  });

  it('refuse a value that cannot be a client ID, naming the variable, so the build fails', () => {
    expect(() => publishedApps({ ALERTDESK_MICROSOFT_CLIENT_ID: 'my app' })).toThrow(
      /^ALERTDESK_MICROSOFT_CLIENT_ID: .*characters a client ID never has/,
    );
    expect(() =>
      publishedApps({ ALERTDESK_GOOGLE_CLIENT_ID: 'x', ALERTDESK_GOOGLE_CLIENT_SECRET: 'a b' }),
    ).toThrow(/^ALERTDESK_GOOGLE_CLIENT_SECRET: /);
    expect(() => publishedApps({ ALERTDESK_GOOGLE_CLIENT_ID: '123.apps.googleusercontent.com' })).toThrow(
      /set together or not at all/,
    );
  });
});
