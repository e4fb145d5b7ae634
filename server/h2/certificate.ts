/**
 * The lab's self-signed certificate for https://localhost and https://127.0.0.1: made on this
 * machine on first start (never downloaded) with the `selfsigned` package, kept in a git-ignored
 * folder (`.certs/` by default), reused afterwards so a browser's exception for it keeps working.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface LabCertificate {
  key: string;
  cert: string;
  certPath: string;
  keyPath: string;
  /** True when this start made it. */
  created: boolean;
}

const VALID_DAYS = 365;

export async function loadOrCreateCertificate(dir: string): Promise<LabCertificate> {
  const certPath = join(dir, 'localhost-cert.pem');
  const keyPath = join(dir, 'localhost-key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return {
      key: readFileSync(keyPath, 'utf8'),
      cert: readFileSync(certPath, 'utf8'),
      certPath,
      keyPath,
      created: false,
    };
  }
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'Transport Lab (localhost)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + VALID_DAYS * 86_400_000),
    extensions: [
      // Its own trust anchor: a CA that may sign nothing but itself (pathLen 0), so `--cacert`,
      // NODE_EXTRA_CA_CERTS and a system store all accept it.
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { key: pems.private, cert: pems.cert, certPath, keyPath, created: true };
}

/** How to trust it, for the start-up banner. */
export function trustAdvice(certPath: string, httpsUrl: string): string[] {
  return [
    `The certificate is self-signed (${certPath}). To trust it:`,
    `  browser: open ${httpsUrl} once and accept the warning (Chromium: "Advanced" → "Proceed")`,
    `  curl:    curl --cacert ${certPath} ${httpsUrl}/api/time`,
    `  Node:    NODE_EXTRA_CA_CERTS=${certPath} node …`,
    `  system:  sudo cp ${certPath} /usr/local/share/ca-certificates/transport-lab.crt && sudo update-ca-certificates`,
  ];
}
