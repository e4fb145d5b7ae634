/**
 * A lab with its HTTPS (ALPN h2 + http/1.1) and h2c ports, all on 127.0.0.1 port 0, and a
 * certificate made for the test in a temporary folder (the same code path as `npm start`'s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabOptions } from '../../server/config.js';
import { type LabCertificate, loadOrCreateCertificate } from '../../server/h2/certificate.js';
import { listenSecure } from '../../server/h2/listeners.js';
import { type Running, startLab } from '../harness.js';

export interface SecureRunning extends Running {
  httpsUrl: string;
  h2cUrl: string;
  httpsPort: number;
  h2cPort: number;
  certificate: LabCertificate;
}

export async function startSecureLab(options: Partial<LabOptions> = {}): Promise<SecureRunning> {
  const lab = await startLab(options);
  const dir = mkdtempSync(join(tmpdir(), 'lab-cert-'));
  const certificate = await loadOrCreateCertificate(dir);
  const secure = await listenSecure(lab.app, { host: '127.0.0.1', httpsPort: 0, h2cPort: 0, certificate });
  const httpsPort = secure.httpsPort as number;
  const h2cPort = secure.h2cPort as number;
  return {
    ...lab,
    httpsPort,
    h2cPort,
    httpsUrl: `https://127.0.0.1:${httpsPort}`,
    h2cUrl: `http://127.0.0.1:${h2cPort}`,
    certificate,
    close: async () => {
      await lab.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
