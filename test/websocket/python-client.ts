/** Runs ws_probe.py (Python's `websockets`, from Debian) against a lab URL and reads its one JSON line. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireSystemTool } from '../system-tool.js';

export interface PythonProbe {
  subprotocol: string | null;
  protocolHeader: string | null;
  extensions: string | null;
  offeredExtensions: string | null;
  frames: ({ text: string } | { binary: string })[];
}

const SCRIPT = fileURLToPath(new URL('./ws_probe.py', import.meta.url));

export function pythonProbe(
  url: string,
  frames: number,
  subprotocols: string[] = [],
  options: { deflate?: boolean; send?: string } = {},
): Promise<PythonProbe> {
  const python = requireSystemTool('python3');
  requireSystemTool('python3-websockets');
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [SCRIPT, url, String(frames), ...subprotocols],
      {
        timeout: 60_000,
        env: { ...process.env, NO_DEFLATE: options.deflate === false ? '1' : '0', SEND: options.send ?? '' },
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`ws_probe.py failed: ${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as PythonProbe);
      },
    );
  });
}
