import { readFile } from 'node:fs/promises';
import type { Handlers } from '../../../shared/contract.ts';
import type { PickedFile } from '../../../shared/domain.ts';
import { newToken, subjectWithToken } from '../../../shared/arrival.ts';
import { TOKEN_HEADER } from '../../../shared/inbound.ts';
import { AppError } from '../../../shared/result.ts';
import type { TestMessageParsed } from '../../../shared/schemas.ts';
import type { CoreContext } from '../context.ts';
import { composeMessage } from './compose.ts';

type Ctx = Pick<CoreContext, 'connectors' | 'engine' | 'options' | 'pickedFiles' | 'arrival' | 'inventory'>;

/** The `files` calls: attachments picked in the native dialog, handed to the renderer as tokens. */
export function fileHandlers({ options, pickedFiles }: Ctx): Handlers['files'] {
  return {
    pickAttachments: async (): Promise<PickedFile[]> => {
      const refs = await options.files.pickAttachments();
      return refs.map((ref) => {
        const token = crypto.randomUUID();
        pickedFiles.set(token, ref);
        return { token, filename: ref.filename, size: ref.size };
      });
    },
  };
}

/** The `mail` calls: a connector's test e-mail, composed here and queued on the delivery engine. */
export function mailHandlers(ctx: Ctx): Handlers['mail'] {
  const { connectors, engine, options, pickedFiles, arrival, inventory } = ctx;

  async function attachmentsOf(input: TestMessageParsed) {
    return Promise.all(
      input.attachments.map(async (a, i) => {
        if (a.fileToken !== undefined) {
          const ref = pickedFiles.get(a.fileToken);
          if (!ref)
            throw new AppError(
              'invalid-input',
              'The picked file is no longer available; pick it again.',
              `attachments.${i}.fileToken`,
            );
          try {
            return { filename: a.filename ?? ref.filename, content: await readFile(ref.path) };
          } catch {
            throw new AppError(
              'invalid-input',
              `${ref.filename} can no longer be read (moved or deleted?).`,
              `attachments.${i}.fileToken`,
            );
          }
        }
        return { filename: a.filename!, content: Buffer.from(a.content!.replace(/\s+/g, ''), 'base64') };
      }),
    );
  }

  return {
    sendTest: async (input) => {
      const connector = connectors.stored(input.connectorId);
      // The token finds the message again when it lands in a watched mailbox (arrival proof).
      const token = newToken();
      const inSubject = input.tokenInSubject ?? inventory.settings.tokenInSubject;
      const message = await composeMessage({
        from: connector.sender,
        fromName: connector.senderName,
        to: input.to,
        cc: input.cc,
        bcc: input.bcc,
        replyTo: input.replyTo || connector.replyTo,
        subject: inSubject ? subjectWithToken(input.subject, token) : input.subject,
        body: input.body,
        contentType: input.contentType,
        importance: input.importance,
        attachments: await attachmentsOf(input),
        headers: { [TOKEN_HEADER]: token, 'X-Mailer': `AlertDesk ${options.appVersion}` },
      });
      const { id } = engine.submit({
        kind: 'test',
        connectorId: connector.id,
        message,
        allowStopped: true,
      });
      arrival.expect(id, token);
      return { deliveryId: id };
    },
  };
}
