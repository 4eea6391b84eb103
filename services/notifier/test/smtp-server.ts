import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface TestSmtp {
  url: string;
  port: number;
  /** Every message the server accepted, parsed. */
  received: ParsedMail[];
  /** Every RCPT TO the server answered with a refusal: [address, code]. */
  refused: [string, number][];
  close(): Promise<void>;
}

/**
 * A real SMTP server (the smtp-server package) on a free local port. `refuse` decides per RCPT TO:
 * return an SMTP code (4xx temporary, 5xx permanent) to refuse that recipient, or undefined to take it.
 */
export async function startTestSmtp(
  refuse: (address: SMTPServerAddress) => number | undefined = () => undefined,
  options: {
    /** Runs after a message is received (and recorded), before the server's 250 reply: a test may hold it there. */
    beforeReply?: (mail: ParsedMail) => Promise<void>;
  } = {},
): Promise<TestSmtp> {
  const received: ParsedMail[] = [];
  const refused: [string, number][] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = refuse(address);
      if (code === undefined) return callback();
      refused.push([address.address, code]);
      const err = new Error(code >= 500 ? 'mailbox unavailable' : 'try again later') as Error & {
        responseCode: number;
      };
      err.responseCode = code;
      return callback(err);
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          received.push(mail);
          await options.beforeReply?.(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
