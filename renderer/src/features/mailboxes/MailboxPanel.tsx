import { useRef, useState } from 'react';
import type { Site } from '../../../../shared/domain.ts';
import type { ConnectionTest, Mailbox, MailboxFolder } from '../../../../shared/mailboxes.ts';
import type { Camera } from '../../../../shared/vault.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { navigate } from '../../app/router.ts';
import { plural } from '../../components/format.tsx';
import type { SignInHandle } from '../../components/oauth/OAuthSignIn.tsx';
import { Dialog, DialogActions, Notice, SidePanel, Tabs, useToast } from '../../components/ui.tsx';
import { draftOf, emptyDraft, inputOf, testInputOf, type MailboxDraft } from './draft.ts';
import { MailboxForm } from './MailboxForm.tsx';
import { MessagesPanel } from './MessagesPanel.tsx';
import { LoginSummary, Verdict, WatcherBadge, WatcherSummary } from './WatcherStatus.tsx';

type Tab = 'settings' | 'messages';

/** One mailbox: its watcher, its settings (with Test connection), the messages read from it. */
export function MailboxPanel(p: {
  mailbox: Mailbox | null;
  sites: Site[];
  cameras: Camera[];
  tab: Tab;
  onClose: () => void;
  onChanged: () => void;
}) {
  const toast = useToast();
  const m = p.mailbox;
  const [draft, setDraft] = useState<MailboxDraft>(() => (m ? draftOf(m) : emptyDraft()));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [tab, setTab] = useState<Tab>(p.tab);
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<ConnectionTest | null>(null);
  const [folders, setFolders] = useState<MailboxFolder[] | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const signIn = useRef<SignInHandle>(null);

  async function save() {
    setSaving(true);
    try {
      const input = inputOf(draft);
      const saved = m
        ? await call(api.mailboxes.update({ ...input, id: m.id }))
        : await call(api.mailboxes.create(input));
      setErrors({});
      setSummary(null);
      setDraft(draftOf(saved));
      toast('ok', `Mailbox "${saved.title}" saved${saved.enabled ? '; it is watched now' : ''}.`);
      p.onChanged();
      if (!m) navigate(`mailboxes/${saved.id}`);
    } catch (error) {
      setErrors(fieldErrors(error));
      setSummary(errorMessage(error));
    } finally {
      setSaving(false);
    }
  }

  async function runTest() {
    setTesting(true);
    try {
      const result = await call(api.mailboxes.test(testInputOf(draft, m?.id ?? null)));
      setTest(result);
      setErrors({});
      if (result.ok) setFolders(result.folders);
    } catch (error) {
      setErrors(fieldErrors(error));
      setTest(null);
      setSummary(errorMessage(error));
    } finally {
      setTesting(false);
    }
  }

  async function setEnabled(enabled: boolean) {
    try {
      await call(api.mailboxes.setEnabled({ id: m!.id, enabled }));
      toast('ok', enabled ? `Watching "${m!.title}".` : `"${m!.title}" stopped: nothing is read from it.`);
      p.onChanged();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  async function remove() {
    try {
      await call(api.mailboxes.remove({ id: m!.id }));
      toast('ok', `Mailbox "${m!.title}" deleted.`);
      p.onChanged();
      p.onClose();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  return (
    <SidePanel
      wide
      title={m ? m.title : 'New mailbox'}
      subtitle={
        m ? (
          <span className="row">
            <WatcherBadge status={m.status} /> {m.username} · {m.host}:{m.port} ·{' '}
            {m.auth === 'oauth2' ? 'OAuth2' : null} <LoginSummary mailbox={m} />
          </span>
        ) : (
          'An IMAP mailbox where alert mail lands'
        )
      }
      onClose={p.onClose}
      footer={
        tab === 'settings' || !m ? (
          <>
            {m ? (
              <>
                <button type="button" className="btn danger" onClick={() => setConfirmDelete(true)}>
                  Delete…
                </button>
                {m.enabled ? (
                  <button type="button" className="btn" onClick={() => void setEnabled(false)}>
                    Stop
                  </button>
                ) : (
                  <button type="button" className="btn" onClick={() => void setEnabled(true)}>
                    Start
                  </button>
                )}
              </>
            ) : null}
            <button type="button" className="btn" disabled={testing} onClick={() => void runTest()}>
              {testing ? 'Testing…' : 'Test connection'}
            </button>
            <span className="spacer" />
            <button type="button" className="btn" onClick={p.onClose}>
              Close
            </button>
            <button type="button" className="btn primary" disabled={saving} onClick={() => void save()}>
              {saving ? 'Saving…' : m ? 'Save changes' : 'Create mailbox'}
            </button>
          </>
        ) : undefined
      }
    >
      {m ? (
        <Tabs
          tabs={[
            { id: 'settings', label: 'Watcher and settings' },
            { id: 'messages', label: `Messages (${m.status.messagesSeen.toLocaleString()})` },
          ]}
          selected={tab}
          onSelect={setTab}
        />
      ) : null}
      {tab === 'messages' && m ? (
        <MessagesPanel mailbox={m} />
      ) : (
        <>
          {m ? (
            <WatcherSummary
              status={m.status}
              backfillDays={m.backfillDays}
              onSignIn={
                m.auth === 'oauth2'
                  ? () => {
                      // The sign-in lives in the form; shown again if the login method was changed there.
                      if (draft.auth !== 'oauth2') setDraft({ ...draft, auth: 'oauth2' });
                      else signIn.current?.start();
                    }
                  : undefined
              }
            />
          ) : null}
          {test ? <TestResult test={test} /> : null}
          {summary ? <Notice level="error">{summary}</Notice> : null}
          <MailboxForm
            draft={draft}
            onChange={setDraft}
            errors={errors}
            existing={m}
            sites={p.sites}
            cameras={p.cameras}
            folders={folders}
            onLoadFolders={() => void runTest()}
            loadingFolders={testing}
            signIn={signIn}
          />
        </>
      )}
      {confirmDelete && m ? (
        <Dialog
          title={`Delete mailbox "${m.title}"?`}
          onClose={() => setConfirmDelete(false)}
          footer={
            <DialogActions
              onCancel={() => setConfirmDelete(false)}
              onAction={() => void remove()}
              action="Delete mailbox"
              danger
            />
          }
        >
          <p>
            Its stored password is destroyed, and the {plural(m.status.messagesSeen, 'message')} read from it
            are removed from AlertDesk (the mail stays on the server). The cameras it covers read as unknown
            until another mailbox covers them.
          </p>
        </Dialog>
      ) : null}
    </SidePanel>
  );
}

/** "Test connection": logged in, which folder is the Inbox and which Junk, or what failed and why. */
function TestResult({ test }: { test: ConnectionTest }) {
  if (!test.ok && test.failure) {
    return (
      <Notice level="error" title={`Test connection: ${test.failure.title}`}>
        <Verdict failure={test.failure} />
      </Notice>
    );
  }
  const junk = test.folders.find((f) => f.role === 'junk');
  const inbox = `${test.inbox}${test.inboxMessages !== null ? ` (${plural(test.inboxMessages, 'message')})` : ''}`;
  const junkText = junk
    ? `${junk.path} (${junk.foundBy === 'flag' ? 'by its \\Junk flag' : 'by its name'})`
    : 'none found';
  return (
    <Notice level="success" title="Test connection passed">
      <div>
        {`Logged in to ${test.server ?? 'the server'} in ${test.durationMs} ms ${test.tls ? `over ${test.tls.protocol}` : 'without encryption'}; it ${test.idle ? 'pushes new mail (IDLE)' : 'has no IDLE, so folders are checked on a timer'}.`}
      </div>
      <div>{`Inbox: ${inbox} · Junk: ${junkText} · ${plural(test.folders.length, 'folder')} in all. No mail was read.`}</div>
    </Notice>
  );
}
