import { useState } from 'react';
import type { OAuthApps } from '../../../../shared/oauth.ts';
import { api, call, fieldErrors } from '../../api.ts';
import { useQuery } from '../../app/hooks.ts';
import { TextField } from '../fields.tsx';
import { Dialog, DialogActions, useToast } from '../ui.tsx';

/** Client IDs and tenant: which registered app AlertDesk signs in as. */
export function SignInAppsDialog({ onClose }: { onClose: () => void }) {
  const toast = useToast();
  const apps = useQuery(() => api.oauth.apps(), []);
  const [draft, setDraft] = useState<OAuthApps | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const value = draft ?? apps.data ?? null;
  async function save() {
    if (!value) return;
    try {
      await call(api.oauth.updateApps(value));
      toast('ok', 'Sign-in apps saved.');
      onClose();
    } catch (e) {
      setErrors(fieldErrors(e));
    }
  }
  const set = (next: OAuthApps) => setDraft(next);
  return (
    <Dialog
      title="Sign-in apps"
      onClose={onClose}
      wide
      footer={<DialogActions onCancel={onClose} action="Save" onAction={() => void save()} />}
    >
      <p className="muted">
        AlertDesk signs in as an app registered at Microsoft and Google. Use your company's own registration
        (the README's "Registering your own sign-in app" shows how), or the one your build came with: a client
        ID left empty is the build's own, if it has one. Existing sign-ins keep the app they were made with.
      </p>
      {value ? (
        <div className="form-grid">
          <TextField
            label="Microsoft client ID (Application ID)"
            value={value.microsoft.clientId}
            onChange={(v) => set({ ...value, microsoft: { ...value.microsoft, clientId: v } })}
            error={errors['microsoft.clientId']}
            placeholder="00000000-0000-0000-0000-000000000000"
          />
          <TextField
            label="Microsoft tenant"
            value={value.microsoft.tenant}
            onChange={(v) => set({ ...value, microsoft: { ...value.microsoft, tenant: v } })}
            error={errors['microsoft.tenant']}
            hint="common (work and personal accounts), organizations, consumers, or your tenant ID or domain."
          />
          <TextField
            label="Google client ID"
            value={value.google.clientId}
            onChange={(v) => set({ ...value, google: { ...value.google, clientId: v } })}
            error={errors['google.clientId']}
            placeholder="….apps.googleusercontent.com"
          />
          <TextField
            label="Google client secret"
            value={value.google.clientSecret}
            onChange={(v) => set({ ...value, google: { ...value.google, clientSecret: v } })}
            error={errors['google.clientSecret']}
            hint="Google gives desktop apps a secret that is not secret; its sign-in still asks for it."
          />
        </div>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </Dialog>
  );
}
