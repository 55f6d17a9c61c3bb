import { useEffect, useState } from 'react';
import type { SignInStart } from '../../../../shared/oauth.ts';
import { api, call, errorMessage } from '../../api.ts';
import { plural } from '../format.tsx';
import { useToast } from '../ui.tsx';

/** The code to type and the page to type it on, until the sign-in ends or the code expires. */
export function SignInProgress({ flow, onCancel }: { flow: SignInStart; onCancel: () => void }) {
  const toast = useToast();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.round((Date.parse(flow.expiresAt) - now) / 60_000));
  if (flow.method === 'browser') {
    return (
      <div className="oauth-progress" role="status">
        <span className="spinner" aria-hidden />
        <div>
          <strong>Finish the sign-in in your browser.</strong>
          <div className="muted small">
            Google's page opened in your default browser; AlertDesk continues by itself once you have allowed
            access. Waiting up to {plural(left, 'minute')}.
          </div>
        </div>
        <span className="spacer" />
        <button type="button" className="btn small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    );
  }
  return (
    <div className="oauth-progress device" role="status">
      <div>
        <div className="muted small">1. Open Microsoft's sign-in page</div>
        <div className="row">
          <button
            type="button"
            className="btn small"
            onClick={() =>
              void call(api.oauth.openSignInPage({ flowId: flow.flowId })).catch((e: unknown) =>
                toast('bad', errorMessage(e)),
              )
            }
          >
            Open {flow.verificationUri?.replace(/^https?:\/\//, '')}
          </button>
        </div>
      </div>
      <div>
        <div className="muted small">2. Enter this code</div>
        <div className="row">
          <code className="device-code" aria-label="Sign-in code">
            {flow.userCode}
          </code>
          <button
            type="button"
            className="btn small"
            onClick={() =>
              void navigator.clipboard
                .writeText(flow.userCode ?? '')
                .then(() => toast('ok', 'Code copied.'))
                .catch(() => toast('bad', 'The code could not be copied; type it instead.'))
            }
          >
            Copy code
          </button>
        </div>
      </div>
      <div className="oauth-wait">
        <span className="spinner" aria-hidden />
        <span className="muted small">
          3. Sign in with the mailbox and accept. Waiting… (code valid {plural(left, 'more minute')})
        </span>
        <span className="spacer" />
        <button type="button" className="btn small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
