export { composeAlertMail, composeTaskMail, type Whereabouts } from './compose.js';
export {
  createMailer,
  createOutboxMailer,
  createSmtpMailer,
  type Mail,
  type Mailer,
  type SendResult,
} from './mailer/index.js';
export { createNotifier, type NotifierDeps, type NotifierService, type NotifierTopics } from './notifier.js';
