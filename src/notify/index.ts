/** Outcome notifications of the pipeline: task log always, email (SMTP) and Slack on request when configured. */
export { DEFAULT_NOTIFICATION_CHANNELS, NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, type DeliveryResult, type Notification, type NotificationChannel, type NotifyLogger } from './notification.ts';
export { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, notifyConfigFromEnv, type EmailConfig, type NotifyConfig, type RetrySettings, type SlackConfig } from './config.ts';
export { sendNotification, type SendOptions } from './dispatch.ts';
export { NotificationDeliveryError, NotificationRefusedError, NotifyConfigError } from './errors.ts';
export { escapeHtml, escapeSlack, htmlBody, plainTextBody, slackPayload, subjectLine } from './render.ts';
