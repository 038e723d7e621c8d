/** One SMTP submission of a notification through nodemailer, its failures classified. */
import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type { EmailConfig } from './config.ts';
import { DeliveryAttemptError } from './errors.ts';

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

/** RFC 5321: 5yz is final, except 503 (wrong session state), which a new connection can pass. */
function isPermanentReply(code: number): boolean {
  return code >= 500 && code < 600 && code !== 503;
}

function classify(error: unknown, config: EmailConfig): DeliveryAttemptError {
  const e = error as NodemailerError;
  const where = `SMTP server ${config.host}:${config.port}`;
  const reply = (e.response ?? e.message ?? String(error)).trim();
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    const permanent = e.responseCode === undefined ? true : (e.permanent ?? isPermanentReply(e.responseCode));
    const who = config.auth ? ` as ${config.auth.user}` : '';
    return new DeliveryAttemptError(`${where} refused the login${who}: ${reply}. Check SMTP_USER and SMTP_PASSWORD`, permanent);
  }
  if (e.responseCode !== undefined) {
    const permanent = e.permanent ?? isPermanentReply(e.responseCode);
    return new DeliveryAttemptError(`${where} answered ${e.command ? `${e.command} with ` : ''}"${reply}"`, permanent);
  }
  if (e.code === 'ETLS') {
    return new DeliveryAttemptError(`TLS with ${where} failed: ${e.message}. Check SMTP_SECURE (true for implicit TLS, usually port 465) and the server's certificate`, true);
  }
  if (e.code === 'EENVELOPE') return new DeliveryAttemptError(`${where} cannot take the envelope: ${e.message}. Check NOTIFY_EMAIL_FROM and NOTIFY_EMAIL_TO`, true);
  const cause = e.originalCode && !e.message?.includes(e.originalCode) ? `${e.originalCode}, ` : '';
  return new DeliveryAttemptError(`could not talk to ${where}: ${cause}${e.message}`, false);
}

/** Returns a detail line. A recipient refused for good fails the delivery: nothing is dropped silently. */
export async function sendEmail(message: EmailMessage, config: EmailConfig, timeoutMs: number): Promise<string> {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.auth ? { auth: { user: config.auth.user, pass: config.auth.pass } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
  try {
    const info = await transport.sendMail({ from: config.from, to: config.to, subject: message.subject, text: message.text, html: message.html });
    const where = `${config.host}:${config.port}`;
    if (info.rejected.length) {
      throw new DeliveryAttemptError(
        `SMTP server ${where} refused ${info.rejected.join(', ')} (accepted: ${info.accepted.join(', ') || 'none'}). Check NOTIFY_EMAIL_TO`,
        true,
      );
    }
    return `sent to ${info.accepted.join(', ')} via ${where} (${info.response})`;
  } catch (error) {
    throw error instanceof DeliveryAttemptError ? error : classify(error, config);
  } finally {
    transport.close();
  }
}
