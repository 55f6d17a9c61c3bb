import {
  ARRIVAL_LABELS,
  type ArrivalState,
  type DeliveryArrival,
  type RecipientArrival,
} from '../../../shared/arrival.ts';

/**
 * A delivery's arrival from its recipients': the worst verdict wins among those that were checked
 * (not arrived, then in Junk), "waiting" while any is still awaited, and "not checked" only when
 * no recipient could be checked at all.
 */
export function overallOf(recipients: RecipientArrival[]): ArrivalState {
  const has = (s: ArrivalState) => recipients.some((r) => r.state === s);
  if (has('waiting')) return 'waiting';
  if (has('not-arrived')) return 'not-arrived';
  if (has('junk')) return 'junk';
  if (has('arrived')) return 'arrived';
  return 'not-checked';
}

const where = (r: RecipientArrival) =>
  r.folderRole === 'inbox'
    ? `the Inbox of ${r.mailboxTitle ?? 'its mailbox'}`
    : r.folderRole === 'junk'
      ? `the Junk folder (${r.folder}) of ${r.mailboxTitle ?? 'its mailbox'}`
      : `the folder ${r.folder} of ${r.mailboxTitle ?? 'its mailbox'}`;

const after = (m: number | null) =>
  m === null
    ? ''
    : m < 1
      ? ' within a minute of the server accepting it'
      : ` ${m} min after the server accepted it`;

function sentenceFor(r: RecipientArrival, waitMinutes: number): string {
  switch (r.state) {
    case 'waiting':
      return `Waiting for it to land for ${r.recipient} (up to ${waitMinutes} min after the server accepted it).`;
    case 'arrived':
    case 'junk':
      return `Arrived in ${where(r)}${after(r.minutesAfter)}.${r.reason ? ` ${r.reason}` : ''}`;
    case 'not-arrived':
      return r.reason ?? `Not arrived for ${r.recipient} within ${waitMinutes} min.`;
    case 'not-checked':
      return r.reason ?? `Not checked for ${r.recipient}.`;
  }
}

/** One sentence for the delivery and, when something is wrong, what to do. */
export function describe(
  recipients: RecipientArrival[],
  from: string,
  waitMinutes: number,
): Pick<DeliveryArrival, 'overall' | 'summary' | 'fix' | 'fixes'> {
  const overall = overallOf(recipients);
  let summary: string;
  if (recipients.length === 1) summary = sentenceFor(recipients[0]!, waitMinutes);
  else {
    const counts = new Map<ArrivalState, number>();
    for (const r of recipients) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    summary = `${recipients.length} recipients: ${[...counts]
      .map(([state, n]) => `${n} ${ARRIVAL_LABELS[state]}`)
      .join(', ')}.`;
  }
  const fixes: string[] = [];
  const junk = recipients.filter((r) => r.state === 'junk');
  if (junk.length)
    fixes.push(
      `In ${junk.map((r) => r.mailboxTitle).join(', ')} mark the message as not junk and add ${from || 'the sender'} to the safe senders, so alerts reach the Inbox.`,
    );
  const missing = recipients.filter((r) => r.state === 'not-arrived');
  if (missing.length)
    fixes.push(
      `The server accepted the message but ${missing.map((r) => r.recipient).join(', ')} did not receive it: look in the provider's quarantine or message trace for mail from ${from || 'the sender'}, and check no rule at the recipient deletes or forwards it.`,
    );
  const unwatched = recipients.filter((r) => r.state === 'not-checked' && r.mailboxId === null);
  if (unwatched.length && unwatched.length === recipients.length)
    fixes.push(
      `To prove arrival, add ${unwatched.map((r) => r.recipient).join(', ')} to a watched mailbox's addresses.`,
    );
  const auth = new Set<string>();
  for (const r of recipients)
    for (const c of r.auth?.checks ?? []) if (c.ok === false && c.fix) auth.add(c.fix);
  fixes.push(...auth);
  return { overall, summary, fix: fixes.length ? fixes.join(' ') : null, fixes };
}

const authOf = (arrival: DeliveryArrival, method: 'spf' | 'dkim' | 'dmarc') =>
  [
    ...new Set(
      arrival.recipients.flatMap((r) =>
        r.auth ? [r.auth.checks.find((c) => c.method === method)?.result ?? 'not reported'] : [],
      ),
    ),
  ].join('; ');

/** The arrival columns of a report or export row (empty when the delivery is not tracked). */
export function arrivalColumns(arrival: DeliveryArrival | null): Record<string, string | number> {
  const first = arrival?.recipients.find((r) => r.arrivedAt) ?? arrival?.recipients[0];
  return {
    arrival: arrival ? ARRIVAL_LABELS[arrival.overall] : '',
    arrival_folder: first?.folder ?? '',
    arrival_minutes: first?.minutesAfter ?? '',
    spf: arrival ? authOf(arrival, 'spf') : '',
    dkim: arrival ? authOf(arrival, 'dkim') : '',
    dmarc: arrival ? authOf(arrival, 'dmarc') : '',
    arrival_note: arrival ? [arrival.summary, arrival.fix].filter(Boolean).join(' ') : '',
  };
}
