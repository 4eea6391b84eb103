import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '@telemetry/contracts';
import { silentLogger } from '@telemetry/observability';
import { type ParsedMail, simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { createOutboxMailer, createSmtpMailer, type Mailer } from '../src/index.js';
import { startTestSmtp } from './smtp-server.js';

interface Backend {
  mailer: Mailer;
  /** What arrived, parsed. */
  received(): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/** The one contract every Mailer backend passes. */
function mailerContract(name: string, setup: () => Promise<Backend>) {
  describe(`Mailer contract: ${name}`, () => {
    let backend: Backend;
    afterAll(() => backend?.close());

    it('delivers a mail with the Message-ID chosen before sending, subject and text intact', async () => {
      backend = await setup();
      const mail = {
        messageId: '<contract-1@telemetry.test>',
        from: 'Telemetry <alerts@telemetry.test>',
        to: 'facilities@example.test',
        subject: '[WARNING] Low level: level 12 < 15 (Coffee 1, Pantry East, Floor 3) – café',
        text: 'Dispenser: Coffee 1\nType: coffee\nFloor: Floor 3\nPantry: Pantry East\n',
      };
      const result = await backend.mailer.send(mail);
      expect(result.messageId).toBe(mail.messageId);
      const [got, ...more] = await backend.received();
      expect(more).toEqual([]);
      expect(got?.messageId).toBe(mail.messageId);
      expect(got?.subject).toBe(mail.subject);
      expect(got?.text?.trim()).toBe(mail.text.trim());
      expect(got?.to && 'text' in got.to ? got.to.text : '').toContain('facilities@example.test');
    });
  });
}

mailerContract('smtp (real smtp-server)', async () => {
  const smtp = await startTestSmtp();
  const mailer = createSmtpMailer({ url: smtp.url, logger: silentLogger() });
  return {
    mailer,
    received: async () => smtp.received,
    close: async () => {
      await mailer.close();
      await smtp.close();
    },
  };
});

mailerContract('outbox folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
  const mailer = createOutboxMailer({ dir: join(dir, 'nested'), logger: silentLogger() });
  return {
    mailer,
    received: async () => {
      const files = (await readdir(join(dir, 'nested'))).filter((f) => f.endsWith('.eml'));
      // mails are the owner's only (#20): 0600 files in a 0700 folder
      expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
      for (const f of files) expect((await stat(join(dir, 'nested', f))).mode & 0o777).toBe(0o600);
      return Promise.all(files.map(async (f) => simpleParser(await readFile(join(dir, 'nested', f)))));
    },
    close: async () => {
      await mailer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('smtp backend errors', () => {
  it('classifies 4xx and connection errors as retriable, 5xx as permanent', async () => {
    const smtp = await startTestSmtp((a) =>
      a.address.startsWith('busy') ? 451 : a.address.startsWith('gone') ? 550 : undefined,
    );
    const mailer = createSmtpMailer({ url: smtp.url, logger: silentLogger() });
    const send = (to: string) => mailer.send({ messageId: `<${to}@t>`, from: 'a@t.test', to, subject: 's', text: 't' });
    try {
      const temporary = await send('busy@example.test').catch((e: unknown) => e);
      expect(isAppError(temporary) && temporary.retriable).toBe(true);
      const permanent = await send('gone@example.test').catch((e: unknown) => e);
      expect(isAppError(permanent) && !permanent.retriable).toBe(true);
    } finally {
      await mailer.close();
      await smtp.close();
    }
    const down = createSmtpMailer({ url: `smtp://127.0.0.1:${smtp.port}`, logger: silentLogger() });
    const refused = await down
      .send({ messageId: '<x@t>', from: 'a@t.test', to: 'b@t.test', subject: 's', text: 't' })
      .catch((e: unknown) => e);
    expect(isAppError(refused) && refused.retriable).toBe(true);
    await down.close();
  });
});
