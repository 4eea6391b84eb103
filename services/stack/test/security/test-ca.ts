import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway CA made with the machine's openssl CLI: server certificates for 127.0.0.1/localhost
 * and client certificates whose subject CN is a device id (#20). Files in a private temp dir.
 */
export interface TestCa {
  dir: string;
  caFile: string;
  ca: Buffer;
  /** A server certificate (SAN IP:127.0.0.1, DNS:localhost) signed by the CA. */
  server(name?: string): { certFile: string; keyFile: string };
  /** A client certificate with subject CN = `cn`, signed by the CA (or self-signed: a foreign one). */
  client(cn: string, opts?: { selfSigned?: boolean }): { cert: Buffer; key: Buffer };
  remove(): void;
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'test-ca-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const caFile = join(dir, 'ca.pem');
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    caFile,
    '-days',
    '2',
    '-subj',
    '/CN=telemetry test CA',
  );
  let serial = 1;
  const sign = (name: string, subj: string, ext: string, selfSigned = false) => {
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subj,
    );
    writeFileSync(join(dir, `${name}.ext`), ext);
    const signer = selfSigned
      ? ['-signkey', `${name}.key`]
      : ['-CA', caFile, '-CAkey', 'ca.key', '-set_serial', String(++serial)];
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      ...signer,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
    return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
  };
  return {
    dir,
    caFile,
    ca: readFileSync(caFile),
    server: (name = 'server') =>
      sign(name, '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'),
    client: (cn, opts = {}) => {
      const f = sign(`client-${cn}-${serial}`, `/CN=${cn}`, 'extendedKeyUsage=clientAuth\n', opts.selfSigned);
      return { cert: readFileSync(f.certFile), key: readFileSync(f.keyFile) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
