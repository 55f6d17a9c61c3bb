import type { CoreContext } from '../context.ts';
import { composeMessage } from '../mail/compose.ts';
import type { Escalate } from './alerts.ts';

const stamp = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Alert e-mails, queued on the delivery engine like a test e-mail (kind `alert`), through the
 * connector the integrator chose. A missing or STOPPED connector is said plainly on the alert
 * instead of sending.
 */
export function emailEscalation(ctx: Pick<CoreContext, 'inventory' | 'engine' | 'options'>): Escalate {
  return async (alert, email) => {
    const connector = email.connectorId ? ctx.inventory.connector(email.connectorId) : undefined;
    if (!connector)
      return {
        deliveryId: null,
        problem:
          'The connector chosen for alert e-mails no longer exists: choose another under Heartbeats → Alerts.',
      };
    if (connector.state !== 'RUN')
      return {
        deliveryId: null,
        problem: `Connector "${connector.title}" is STOPPED: start it under Connectors so alert e-mails go out.`,
      };
    const lines = alert.transitions.map(
      (t) => `- ${t.cameraName}: ${t.from ?? 'not watched'} → ${t.to} at ${stamp(t.at)}`,
    );
    const message = await composeMessage({
      from: connector.sender,
      fromName: connector.senderName || 'AlertDesk',
      to: email.recipients,
      cc: [],
      bcc: [],
      replyTo: connector.replyTo,
      subject: `[AlertDesk] ${alert.title}`,
      body: [
        alert.title,
        '',
        alert.body,
        '',
        'Cameras:',
        ...lines,
        '',
        `Sent by AlertDesk ${ctx.options.appVersion} (${ctx.options.osUser}) at ${stamp(alert.at)}.`,
      ].join('\n'),
      contentType: 'text',
      importance: alert.kind === 'problem' ? 'high' : 'normal',
      attachments: [],
      headers: { 'X-Mailer': `AlertDesk ${ctx.options.appVersion}`, 'X-AlertDesk-Alert': alert.id },
    });
    const { id } = ctx.engine.submit({ kind: 'alert', connectorId: connector.id, message });
    return { deliveryId: id, problem: null };
  };
}
