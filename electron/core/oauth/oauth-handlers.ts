import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';

/** The `oauth` calls: sign-in apps, signing in and out, and the signed-in accounts. */
export function oauthHandlers(ctx: Pick<CoreContext, 'oauth'>): Handlers['oauth'] {
  const { oauth } = ctx;
  return {
    apps: () => oauth.apps(),
    updateApps: (input) => oauth.updateApps(input),
    accounts: () => oauth.list(),
    startSignIn: (input) => oauth.startSignIn(input),
    openSignInPage: async ({ flowId }) => {
      await oauth.openSignInPage(flowId);
      return { opened: true };
    },
    cancelSignIn: ({ flowId }) => oauth.cancelSignIn(flowId),
    check: ({ id }) => oauth.check(id),
    signOut: ({ id }) => oauth.signOut(id),
  };
}
