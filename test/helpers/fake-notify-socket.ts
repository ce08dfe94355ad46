/**
 * A stand-in for systemd's notify socket: an AF_UNIX datagram socket (which Node cannot open, so
 * python3 holds it) that prints each message it receives as a JSON line. It closes the file
 * descriptor systemd-notify passes with BARRIER=1, as the service manager does, so the sender
 * does not wait for its timeout.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const LISTENER = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data, ancdata, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;
import { tempDir } from './temp-dir.js';

export interface FakeNotifySocket {
  path: string;
  /** Every datagram received, in order (BARRIER=1 messages left out). */
  messages(): string[];
  waitFor(predicate: (messages: string[]) => boolean, what: string, timeoutMs?: number): Promise<string[]>;
  close(): void;
}

export async function startFakeNotifySocket(): Promise<FakeNotifySocket> {
  const path = join(tempDir('notify'), 'notify.sock');
  const child = spawn('python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const messages = (): string[] =>
    out
      .split('\n')
      .slice(1)
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as string)
      .filter((m) => m !== 'BARRIER=1');
  for (let i = 0; i < 200 && !out.startsWith('listening'); i++) {
    if (child.exitCode !== null) throw new Error(`fake notify socket: python3 exited ${child.exitCode}: ${err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!out.startsWith('listening')) throw new Error(`fake notify socket did not start: ${err}`);
  return {
    path,
    messages,
    async waitFor(predicate, what, timeoutMs = 20_000) {
      for (let waited = 0; waited < timeoutMs; waited += 50) {
        if (predicate(messages())) return messages();
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`notify socket never saw ${what}; got ${JSON.stringify(messages())}`);
    },
    close: () => void child.kill('SIGKILL'),
  };
}
