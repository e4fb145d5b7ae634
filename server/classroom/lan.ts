/**
 * Where students reach the instructor's lab: this machine's LAN addresses (IPv4, not loopback),
 * and the banner with the join URL, its QR code and the instructor's links. (What binding to every
 * interface exposes is said before it, by server/security/exposure.ts.)
 */
import os from 'node:os';
import QRCode from 'qrcode';

export function lanAddresses(): string[] {
  const out: string[] = [];
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) out.push(address.address);
    }
  }
  return out;
}

/** The URL to give students: the first LAN address, else this machine's name. */
export function joinUrlFor(port: number): string {
  const host = lanAddresses()[0] ?? os.hostname();
  return `http://${host}:${port}/`;
}

export async function classroomBanner(joinUrl: string, instructorToken: string, port: number): Promise<string> {
  const qr = await QRCode.toString(joinUrl, { type: 'terminal', small: true });
  const others = lanAddresses()
    .slice(1)
    .map((ip) => `http://${ip}:${port}/`);
  return [
    '',
    `Students open: ${joinUrl}${others.length > 0 ? `   (also: ${others.join(', ')})` : ''}`,
    qr,
    `Instructor (keep it off the projector): ${new URL(`/?token=${instructorToken}`, joinUrl)}`,
    `Class view:                             ${new URL(`/class?token=${instructorToken}`, joinUrl)}`,
    '',
  ].join('\n');
}
