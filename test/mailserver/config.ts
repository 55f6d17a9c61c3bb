import { readFile } from 'node:fs/promises';

/**
 * The config templates next to this file: Postfix's main.cf and master.cf, Dovecot's dovecot.conf
 * and, when a test wants OAuth2 logins, the oauth2 pass database it includes.
 */
export type TemplateName =
  'main.cf' | 'master.cf' | 'dovecot.conf' | 'dovecot-oauth2.conf' | 'dovecot-oauth2.conf.ext';

const TEMPLATE_DIR = new URL('./templates/', import.meta.url);

/**
 * Renders a template: every `{{NAME}}` is replaced by `values[NAME]`. A placeholder without a value
 * (or a value with a line break, which would smuggle in a setting) is an error, never left in place.
 */
export async function renderTemplate(name: TemplateName, values: Record<string, string | number>) {
  const text = await readFile(new URL(name, TEMPLATE_DIR), 'utf8');
  return text.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${name}: no value for {{${key}}}`);
    const s = String(value);
    if (/[\r\n]/.test(s)) throw new Error(`${name}: the value for {{${key}}} spans lines`);
    return s;
  });
}

export interface MailboxUser {
  address: string;
  password: string;
  /**
   * Where Dovecot keeps this user's mail when not in the usual Maildir (a Dovecot mail_location):
   * the big-mailbox user is an mbox, which the harness can fill with 100,000 messages in one write.
   */
  mail?: string;
}

/**
 * Dovecot's passwd-file: `user:{PLAIN}password:uid:gid:gecos:home:shell:extra fields`. `nodelay=y`
 * stops Dovecot from delaying the answer after a failed login, so wrong-password tests stay fast.
 */
export function dovecotUsersFile(users: MailboxUser[], mailDir: string, uid: number, gid: number): string {
  return users
    .map((u) => {
      if (/[:\s]/.test(u.address) || /[:\s]/.test(u.password))
        throw new Error(`test mailbox ${u.address}: no ":" or spaces in addresses or passwords`);
      const extra = u.mail ? ` userdb_mail=${u.mail}` : '';
      return `${u.address}:{PLAIN}${u.password}:${uid}:${gid}::${mailDir}/${u.address}::nodelay=y${extra}`;
    })
    .join('\n')
    .concat('\n');
}

/** Postfix's `inline:{ … }` virtual mailbox map: address → Maildir (trailing slash) under the mail dir. */
export function postfixMailboxes(users: MailboxUser[]): string {
  return users.map((u) => `${u.address}=${u.address}/Maildir/`).join(', ');
}

/**
 * The global Sieve script Dovecot's LMTP runs before delivering (sieve_before): a stand-in for a
 * provider's spam filter, so tests can land a message in Junk (found by its \Junk special-use flag)
 * or in an ordinary extra folder, through the real delivery path.
 */
export const SIEVE_BEFORE = `require ["fileinto", "editheader", "envelope", "variables"];
if envelope :matches "to" "*" {
  addheader "Delivered-To" "\${1}";
}
if anyof (header :contains "subject" "[junk-me]", header :is "X-Spam-Flag" "YES") {
  fileinto "Junk";
  stop;
}
if header :contains "subject" "[alarm-folder]" {
  fileinto "Alarms";
  stop;
}
`;

/** The big-mailbox user's storage: an mbox per folder under ~/mail, the Inbox in ~/mail/inbox. */
export const MBOX_LOCATION = 'mbox:~/mail:INBOX=~/mail/inbox';
