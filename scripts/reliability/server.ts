/** The lab server as a child process with the V8 inspector on a free local port (see inspector.ts). */
import net, { type AddressInfo } from 'node:net';
import { type ChildServer, startChild } from '../../tools/child-process.js';
import { Inspector } from './inspector.js';

const START_TIMEOUT_MS = 120_000;

const LISTENING = /listening on (http:\/\/\S+) \(epoch (\w+)\)/;

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface InspectedServer {
  server: ChildServer;
  inspector: Inspector;
}

/** `node --inspect=127.0.0.1:<free> --import tsx server/main.ts --port <port> --paused …args`. */
export async function startInspectedLab(args: string[] = [], port = 0): Promise<InspectedServer> {
  // A busy shared machine may not start a tsx process within startChild's 20 s: try three times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(args, port);
    } catch (error) {
      if (attempt === 3) throw error;
      console.error(`lab did not start (attempt ${attempt}), trying again: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

async function startOnce(args: string[], port: number): Promise<InspectedServer> {
  const inspectPort = await freePort();
  const server = await startChild(
    [
      `--inspect=127.0.0.1:${inspectPort}`,
      '--import',
      'tsx',
      'server/main.ts',
      '--port',
      String(port),
      '--paused',
      // No HTTPS listener: its default port (3443) may be held by another lab on this machine.
      '--https-port',
      '0',
      ...args,
    ],
    LISTENING,
    {},
    // tsx compiles the server on start: 13 s was seen at load 17 on 2 cores, so allow far more.
    START_TIMEOUT_MS,
  );
  const inspector = await Inspector.connect(inspectPort);
  return { server, inspector };
}
