import { useState } from 'react';
import { draftFields, useDraft } from '../../app/draft.ts';
import type { Connector, PickedFile } from '../../../../shared/domain.ts';
import type { DeliveryDetail, DeliverySummary } from '../../../../shared/delivery.ts';
import type { Importance } from '../../../../shared/schemas.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useEvent } from '../../app/hooks.ts';
import {
  CheckboxField,
  SelectField,
  TextArea,
  TextField,
  listError,
  splitAddresses,
} from '../../components/fields.tsx';
import { Notice } from '../../components/ui.tsx';
import { DeliveryResult, isFinal } from '../deliveries/DeliveryResult.tsx';

interface Base64Attachment {
  kind: 'base64';
  filename: string;
  content: string;
}
type Attachment = Base64Attachment | { kind: 'file'; file: PickedFile };

interface TestDraft {
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  body: string;
  contentType: 'text' | 'html';
  importance: Importance;
  replyTo: string;
}

/** Sends a test e-mail through the connector and follows it live until the verdict. */
export function TestEmailPanel({ connector }: { connector: Connector }) {
  const [draft, , set] = useDraft<TestDraft>({
    to: '',
    cc: '',
    bcc: '',
    subject: `AlertDesk test — ${connector.title}`,
    body: `This is a test e-mail sent by AlertDesk through the connector "${connector.title}" (${connector.host}:${connector.port}).`,
    contentType: 'text',
    importance: 'normal',
    replyTo: '',
  });
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [deliveryId, setDeliveryId] = useState<string | null>(null);
  const [delivery, setDelivery] = useState<DeliverySummary | DeliveryDetail | null>(null);
  const [sending, setSending] = useState(false);
  const [tokenInSubject, setTokenInSubject] = useState<boolean | null>(null);
  const field = draftFields(draft, set, errors);

  // Each change of the delivery (sending, each attempt, waiting to retry, final) brings its full
  // detail, so a retry already shows why the first try failed.
  useEvent('delivery', ({ delivery: d }) => {
    if (d.id !== deliveryId) return;
    const final = isFinal(d.status);
    void api.deliveries.get({ id: d.id }).then((r) => {
      setDelivery(r.ok ? r.value : d);
      if (final) setSending(false);
    });
  });

  async function send() {
    setErrors({});
    setSummary(null);
    setDelivery(null);
    setSending(true);
    try {
      const { deliveryId: id } = await call(
        api.mail.sendTest({
          connectorId: connector.id,
          to: splitAddresses(draft.to),
          cc: splitAddresses(draft.cc),
          bcc: splitAddresses(draft.bcc),
          subject: draft.subject,
          body: draft.body,
          contentType: draft.contentType,
          importance: draft.importance,
          replyTo: draft.replyTo,
          ...(tokenInSubject === null ? {} : { tokenInSubject }),
          attachments: attachments.map((a) =>
            a.kind === 'file'
              ? { fileToken: a.file.token, filename: a.file.filename }
              : { filename: a.filename, content: a.content },
          ),
        }),
      );
      setDeliveryId(id);
      const first = await api.deliveries.get({ id });
      if (first.ok) setDelivery((current) => current ?? first.value);
    } catch (error) {
      setErrors(fieldErrors(error));
      setSummary(errorMessage(error));
      setSending(false);
    }
  }

  async function pick() {
    try {
      const files = await call(api.files.pickAttachments());
      setAttachments((a) => [...a, ...files.map((file) => ({ kind: 'file' as const, file }))]);
    } catch (error) {
      setSummary(errorMessage(error));
    }
  }

  return (
    <div className="test-email">
      {connector.state === 'STOPPED' ? (
        <Notice level="info">
          This connector is STOPPED. A test e-mail may still go through it; when it passes, the connector is
          started (RUN).
        </Notice>
      ) : null}
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        {summary ? (
          <div className="wide">
            <Notice level="error">{summary}</Notice>
          </div>
        ) : null}
        <TextField
          label="To"
          {...field('to')}
          error={listError(errors, 'to')}
          wide
          placeholder="ops@example.com, night-shift@example.com"
        />
        <TextField label="Cc" {...field('cc')} error={listError(errors, 'cc')} />
        <TextField label="Bcc" {...field('bcc')} error={listError(errors, 'bcc')} />
        <TextField label="Subject" {...field('subject')} wide />
        <SelectField
          label="Body format"
          {...field('contentType')}
          options={[
            { value: 'text', label: 'Plain text' },
            { value: 'html', label: 'HTML' },
          ]}
        />
        <SelectField
          label="Importance"
          {...field('importance')}
          options={[
            { value: 'normal', label: 'Normal' },
            { value: 'high', label: 'High' },
            { value: 'low', label: 'Low' },
          ]}
        />
        <TextArea label="Body" {...field('body')} wide rows={5} mono={draft.contentType === 'html'} />
        <TextField label="Reply-to" {...field('replyTo')} placeholder={connector.replyTo || 'optional'} />
        <CheckboxField
          label="Token in the subject too"
          checked={tokenInSubject ?? false}
          onChange={setTokenInSubject}
          hint="Arrival proof finds the message by its X-AlertDesk-Token header; add [AD:…] to the subject for servers that strip it (default: the arrival setting)."
        />
        <div className="wide attachments">
          <div className="row">
            <strong>Attachments</strong>
            <button type="button" className="btn small" onClick={() => void pick()}>
              Add files…
            </button>
            <button
              type="button"
              className="btn small"
              onClick={() => setAttachments((a) => [...a, { kind: 'base64', filename: '', content: '' }])}
            >
              Add base64 attachment
            </button>
          </div>
          {attachments.length === 0 ? <p className="muted small">No attachments.</p> : null}
          {attachments.map((a, i) =>
            a.kind === 'file' ? (
              <div className="attachment-row" key={i}>
                <span>
                  📎 {a.file.filename} <span className="muted">({Math.ceil(a.file.size / 1024)} KB)</span>
                </span>
                {errors[`attachments.${i}.fileToken`] ? (
                  <span className="field-error">{errors[`attachments.${i}.fileToken`]}</span>
                ) : null}
                <button
                  type="button"
                  className="link"
                  onClick={() => setAttachments((all) => all.filter((_, j) => j !== i))}
                >
                  remove
                </button>
              </div>
            ) : (
              <div className="attachment-row base64" key={i}>
                <TextField
                  label={`File name ${i + 1}`}
                  value={a.filename}
                  onChange={(v) =>
                    setAttachments((all) => all.map((x, j) => (j === i ? { ...a, filename: v } : x)))
                  }
                  error={errors[`attachments.${i}.filename`]}
                />
                <TextArea
                  label="Content (base64)"
                  value={a.content}
                  mono
                  rows={2}
                  onChange={(v) =>
                    setAttachments((all) => all.map((x, j) => (j === i ? { ...a, content: v } : x)))
                  }
                  error={errors[`attachments.${i}.content`]}
                />
                <button
                  type="button"
                  className="link"
                  onClick={() => setAttachments((all) => all.filter((_, j) => j !== i))}
                >
                  remove
                </button>
              </div>
            ),
          )}
        </div>
        <div className="wide row">
          <button type="submit" className="btn primary" disabled={sending}>
            {sending ? 'Sending…' : 'Send test e-mail'}
          </button>
        </div>
      </form>
      {delivery ? <DeliveryResult delivery={delivery} /> : null}
    </div>
  );
}
