import type { Handlers } from '../../../shared/contract.ts';
import { AppError } from '../../../shared/result.ts';
import type { CoreContext } from '../context.ts';

/** The `mailboxes` calls: watched mailboxes, their watchers, the mail read from them. */
export function mailboxHandlers({ mailboxes }: Pick<CoreContext, 'mailboxes'>): Handlers['mailboxes'] {
  return {
    list: () => mailboxes.list(),
    get: ({ id }) => mailboxes.get(id),
    create: (input) => mailboxes.create(input),
    update: (input) => mailboxes.update(input),
    remove: ({ id }) => mailboxes.remove(id),
    setEnabled: ({ id, enabled }) => mailboxes.setEnabled(id, enabled),
    test: (input) => mailboxes.test(input),
    folders: async (input) => {
      const result = await mailboxes.test(input);
      if (!result.ok && result.failure) {
        throw new AppError('mailbox-test-failed', `${result.failure.explanation} ${result.failure.fix}`);
      }
      return result.folders;
    },
    messages: ({ id, limit, offset }) => mailboxes.messages(id, limit, offset),
    body: ({ id, key }) => mailboxes.body(id, key),
  };
}
