/**
 * Every failed delivery attempt gets exactly one of these classes. The catalog gives the title and
 * the general advice the UI shows in legends and filters; the core composes the per-attempt
 * explanation with the host, port, reply and settings that were actually involved.
 */
export const FAILURE_CLASSES = [
  'dns-failure',
  'connection-refused',
  'connect-timeout',
  'greeting-timeout',
  'tls-mode-mismatch',
  'certificate-untrusted',
  'certificate-expired',
  'certificate-name-mismatch',
  'starttls-not-offered',
  'login-not-encrypted',
  'auth-not-offered',
  'auth-mechanism-unsupported',
  'auth-failed',
  'app-password-required',
  'basic-auth-disabled',
  'oauth-token-rejected',
  'oauth-consent-revoked',
  'oauth-sign-in-needed',
  'oauth-unreachable',
  'pop-before-smtp-failed',
  'sender-rejected',
  'recipient-rejected',
  'rate-limited',
  'message-too-large',
  'connection-dropped',
  'server-temporary',
  'server-permanent',
  'connector-stopped',
  'unexpected',
] as const;

export type FailureClass = (typeof FAILURE_CLASSES)[number];

export interface FailureClassInfo {
  title: string;
  /** Whether this class is normally worth retrying; a single failure may still override it. */
  transient: boolean;
  /** The general fix, shown in legends; each failure carries its own, more specific fix. */
  fix: string;
}

export const FAILURE_CATALOG: Record<FailureClass, FailureClassInfo> = {
  'dns-failure': {
    title: 'Host name not found',
    transient: true,
    fix: 'Check the spelling of the SMTP host. At the site, check the DNS servers the device uses.',
  },
  'connection-refused': {
    title: 'Connection refused',
    transient: true,
    fix: 'Check the port (465 for SSL, 587 for STARTTLS, 25 for relays) and that the server is running and reachable through the firewall.',
  },
  'connect-timeout': {
    title: 'No answer from the server',
    transient: true,
    fix: 'A firewall is probably dropping the connection: check that outbound SMTP on this port is allowed, and the host and port.',
  },
  'greeting-timeout': {
    title: 'Server never greeted',
    transient: true,
    fix: 'The port probably expects SSL from the first byte: use security "SSL/TLS" on port 465, or STARTTLS on port 587.',
  },
  'tls-mode-mismatch': {
    title: 'SSL/STARTTLS mismatch',
    transient: false,
    fix: 'The port speaks plain SMTP: use STARTTLS on 587 (or 25), or SSL/TLS on 465.',
  },
  'certificate-untrusted': {
    title: 'Certificate not trusted',
    transient: false,
    fix: "Pin the relay's certificate in the connector (Trusted certificate), or ask for a certificate from a public authority. Never turn verification off.",
  },
  'certificate-expired': {
    title: 'Certificate expired',
    transient: false,
    fix: "The server's certificate has expired: the mail server's administrator must renew it.",
  },
  'certificate-name-mismatch': {
    title: 'Certificate is for another name',
    transient: false,
    fix: 'Use the host name written in the certificate (for example smtp.office365.com, not an IP address).',
  },
  'starttls-not-offered': {
    title: 'STARTTLS not offered',
    transient: false,
    fix: 'The server does not offer STARTTLS on this port: use SSL/TLS on 465, or ask for STARTTLS to be enabled.',
  },
  'login-not-encrypted': {
    title: 'Login would be unencrypted',
    transient: false,
    fix: 'Use SSL/TLS on 465 or STARTTLS on 587. Only for a relay inside a trusted network that offers no encryption, turn on "Allow login without encryption" in the connector.',
  },
  'auth-not-offered': {
    title: 'Server offers no login',
    transient: false,
    fix: 'The server does not accept a login here: use the submission port (587/465) or set authentication to none for a relay that trusts your IP.',
  },
  'auth-mechanism-unsupported': {
    title: 'Login method not supported',
    transient: false,
    fix: 'Choose one of the login methods the server offers (shown in the diagnosis).',
  },
  'auth-failed': {
    title: 'Login rejected',
    transient: false,
    fix: 'Check the user name and password. For Gmail/Outlook use an app password; if it stopped working, it was probably revoked — create a new one.',
  },
  'app-password-required': {
    title: 'App password required',
    transient: false,
    fix: 'Turn on 2-Step Verification on the Google account and create an app password for this camera.',
  },
  'basic-auth-disabled': {
    title: 'Password login disabled by Microsoft',
    transient: false,
    fix: 'The tenant has SMTP AUTH turned off: enable it for this mailbox (Exchange admin center) or move to a relay / OAuth-capable service.',
  },
  'oauth-token-rejected': {
    title: 'Sign-in expired or refused',
    transient: false,
    fix: 'AlertDesk renewed the access token once and the server still refused it: check that the mailbox allows Authenticated SMTP (Microsoft 365 admin center → user → Mail → Manage email apps) and is the signed-in mailbox, then sign in again.',
  },
  'oauth-consent-revoked': {
    title: 'Sign-in revoked',
    transient: false,
    fix: 'Microsoft or Google no longer accepts the OAuth2 sign-in (consent revoked, password changed, or the sign-in expired): open the connector and sign in again.',
  },
  'oauth-sign-in-needed': {
    title: 'Not signed in',
    transient: false,
    fix: 'The connector has no usable OAuth2 sign-in for its mailbox: open it and sign in with the mailbox it sends from.',
  },
  'oauth-unreachable': {
    title: 'Sign-in service unreachable',
    transient: true,
    fix: "AlertDesk could not renew the access token because Microsoft's or Google's sign-in service did not answer: check this computer's internet connection; AlertDesk retries.",
  },
  'pop-before-smtp-failed': {
    title: 'POP-before-SMTP login failed',
    transient: false,
    fix: 'Check the POP3 host, port, security and credentials of the connector.',
  },
  'sender-rejected': {
    title: 'Sender refused',
    transient: false,
    fix: 'Send from the address of the account you log in with, or grant that account "Send As" rights for the sender address.',
  },
  'recipient-rejected': {
    title: 'Recipient refused',
    transient: false,
    fix: 'Check the recipient address; a relay may also refuse outside recipients unless you log in.',
  },
  'rate-limited': {
    title: 'Provider rate limit',
    transient: true,
    fix: 'The provider is throttling this account: lower the connector rate limit, spread cameras over several accounts, or wait for the daily quota to reset.',
  },
  'message-too-large': {
    title: 'Message too large',
    transient: false,
    fix: 'Send fewer or smaller snapshots (sub-stream resolution), keeping the message under the server limit.',
  },
  'connection-dropped': {
    title: 'Connection dropped',
    transient: true,
    fix: 'The connection broke mid-message: check the line quality at the site (4G: lower the MTU to 1380) and send smaller messages.',
  },
  'server-temporary': {
    title: 'Temporary server error',
    transient: true,
    fix: 'The server reported a temporary problem; AlertDesk retries. If it persists, contact the mail provider.',
  },
  'server-permanent': {
    title: 'Server refused the message',
    transient: false,
    fix: "Read the server's reply below; it names the reason. Contact the mail provider if it is not clear.",
  },
  'connector-stopped': {
    title: 'Connector stopped',
    transient: false,
    fix: 'Start the connector (state RUN) once its settings are right; a stopped connector sends nothing.',
  },
  unexpected: {
    title: 'Unexpected error',
    transient: false,
    fix: 'See the transcript for details.',
  },
};

export const isFailureClass = (value: string): value is FailureClass =>
  (FAILURE_CLASSES as readonly string[]).includes(value);

// ─── Reading mail: the watched mailboxes (IMAP) ────────────────────────────────────────────────

/**
 * Every failure of a mailbox watcher (or of "Test connection") gets one of these. Where the concept
 * is the same as for sending, the name is the same (`auth-failed`, `connection-refused`…); the
 * titles and fixes speak of IMAP ports (993 for SSL/TLS, 143 for STARTTLS).
 */
export const IMAP_FAILURE_CLASSES = [
  'dns-failure',
  'connection-refused',
  'connect-timeout',
  'greeting-timeout',
  'tls-mode-mismatch',
  'certificate-untrusted',
  'certificate-expired',
  'certificate-name-mismatch',
  'starttls-not-offered',
  'login-disabled',
  'missing-password',
  'auth-failed',
  'app-password-required',
  'basic-auth-disabled',
  'oauth-sign-in-needed',
  'oauth-consent-revoked',
  'oauth-token-rejected',
  'oauth-unreachable',
  'too-many-connections',
  'folder-missing',
  'command-timeout',
  'connection-dropped',
  'server-unavailable',
  'unexpected',
] as const;

export type ImapFailureClass = (typeof IMAP_FAILURE_CLASSES)[number];

/** The classes that mean the login itself was refused: the watcher waits for a new password or sign-in. */
export const IMAP_LOGIN_REJECTED: readonly ImapFailureClass[] = [
  'login-disabled',
  'missing-password',
  'auth-failed',
  'app-password-required',
  'basic-auth-disabled',
  'oauth-sign-in-needed',
  'oauth-consent-revoked',
  'oauth-token-rejected',
];

/**
 * Rejected logins that only a new sign-in can mend: the watcher does not try again on a timer at
 * all (asking the provider again changes nothing) and waits until someone signs in.
 */
export const IMAP_WAITS_FOR_SIGN_IN: readonly ImapFailureClass[] = [
  'oauth-sign-in-needed',
  'oauth-consent-revoked',
];

export const IMAP_FAILURE_CATALOG: Record<ImapFailureClass, FailureClassInfo> = {
  'dns-failure': {
    title: 'Host name not found',
    transient: true,
    fix: 'Check the spelling of the IMAP host (for example imap.gmail.com or outlook.office365.com) and that this computer is online.',
  },
  'connection-refused': {
    title: 'Connection refused',
    transient: true,
    fix: 'Check the port (993 for SSL/TLS, 143 for STARTTLS) and that the IMAP server is running and reachable through the firewall.',
  },
  'connect-timeout': {
    title: 'No answer from the server',
    transient: true,
    fix: 'A firewall is probably dropping the connection: check that outbound IMAP (993 or 143) is allowed here, and the host and port.',
  },
  'greeting-timeout': {
    title: 'Server never greeted',
    transient: true,
    fix: 'The port probably expects SSL from the first byte: use security "SSL/TLS" on port 993, or STARTTLS on port 143.',
  },
  'tls-mode-mismatch': {
    title: 'SSL/STARTTLS mismatch',
    transient: false,
    fix: 'The port speaks plain IMAP: use STARTTLS on 143, or SSL/TLS on 993.',
  },
  'certificate-untrusted': {
    title: 'Certificate not trusted',
    transient: false,
    fix: "Pin the server's certificate in the mailbox (Trusted certificate), or ask for a certificate from a public authority. Never turn verification off.",
  },
  'certificate-expired': {
    title: 'Certificate expired',
    transient: false,
    fix: "The server's certificate has expired: the mail server's administrator must renew it.",
  },
  'certificate-name-mismatch': {
    title: 'Certificate is for another name',
    transient: false,
    fix: 'Use the host name written in the certificate (for example outlook.office365.com, not an IP address).',
  },
  'starttls-not-offered': {
    title: 'STARTTLS not offered',
    transient: false,
    fix: 'The server does not offer STARTTLS on this port: use SSL/TLS on 993, or ask for STARTTLS to be enabled.',
  },
  'login-disabled': {
    title: 'Server refuses this login',
    transient: false,
    fix: 'The server accepts no password login on this connection: use SSL/TLS (993) or STARTTLS, never a plain connection.',
  },
  'missing-password': {
    title: 'No password stored',
    transient: false,
    fix: 'Enter the mailbox password (for Gmail, an app password) and save.',
  },
  'auth-failed': {
    title: 'Login rejected',
    transient: false,
    fix: 'Check the user name and password. For Gmail use an app password; if it stopped working, it was probably revoked: create a new one and save it here.',
  },
  'app-password-required': {
    title: 'App password required',
    transient: false,
    fix: 'Turn on 2-Step Verification on the Google account, create an app password for AlertDesk and save it here (not the account password).',
  },
  'basic-auth-disabled': {
    title: 'Password login disabled by Microsoft',
    transient: false,
    fix: 'Microsoft 365 and Outlook.com refuse passwords for IMAP: set the mailbox to OAuth2 and sign in with it, or have the alert mail forwarded to a mailbox that takes an app password.',
  },
  'oauth-sign-in-needed': {
    title: 'OAuth2 sign-in needed',
    transient: false,
    fix: 'Sign in with this mailbox (OAuth2 sign-in in its settings) and allow AlertDesk to read its mail.',
  },
  'oauth-consent-revoked': {
    title: 'Sign-in revoked',
    transient: false,
    fix: 'Sign in again with the mailbox.',
  },
  'oauth-token-rejected': {
    title: 'Access token refused',
    transient: false,
    fix: 'AlertDesk renewed the access token and the server still refused it: check that IMAP is turned on for the mailbox (Microsoft 365 admin center → user → Mail → Manage email apps; Gmail: IMAP access in its settings) and that the signed-in account is this mailbox, then sign in again.',
  },
  'oauth-unreachable': {
    title: 'Sign-in service unreachable',
    transient: true,
    fix: "AlertDesk could not renew the access token because Microsoft's or Google's sign-in service did not answer: check this computer's internet connection; the watcher retries by itself.",
  },
  'too-many-connections': {
    title: 'Too many connections to this account',
    transient: true,
    fix: 'The provider limits connections per account (Gmail: 15). Close other mail programs using this account, or watch fewer mailboxes of it at once; AlertDesk retries.',
  },
  'folder-missing': {
    title: 'Folder not found',
    transient: false,
    fix: "The folder was renamed or deleted on the server: pick it again from the server's folder list (Test connection) and save.",
  },
  'command-timeout': {
    title: 'Server stopped answering',
    transient: true,
    fix: 'The connection went quiet (network change, sleep, a stalled server); AlertDesk reconnects by itself. If it keeps happening, check the network at this computer.',
  },
  'connection-dropped': {
    title: 'Server dropped the connection',
    transient: true,
    fix: 'The server or the network closed the connection; AlertDesk reconnects and catches up by itself. If it keeps happening, check the server and the network.',
  },
  'server-unavailable': {
    title: 'Server temporarily unavailable',
    transient: true,
    fix: 'The mail server reported a temporary problem; AlertDesk retries with growing pauses. If it persists, contact the mail provider.',
  },
  unexpected: {
    title: 'Unexpected error',
    transient: true,
    fix: 'AlertDesk retries by itself. If it persists, the log file names what happened.',
  },
};
