/**
 * A stand-in for systemd's notify socket: an AF_UNIX datagram socket (which Node cannot open, so
 * python3 holds it) that prints each message it receives as a JSON line, with the sender's pid
 * (SO_PASSCRED, as the manager reads it for NotifyAccess=main). It closes the file descriptor
 * systemd-notify passes with BARRIER=1, as the service manager does, so the sender does not wait
 * for its timeout. An abstract socket (`@name`) is bound too when asked for.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

const LISTENER = `
import array, json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
name = sys.argv[1]
s.bind("\\0" + name[1:] if name.startswith("@") else name)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("listening", flush=True)
while True:
    data, ancdata, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4) + socket.CMSG_SPACE(12))
    pid = None
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            for fd in fds:
                os.close(fd)
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iii", payload[:12])[0]
    print(json.dumps({"data": data.decode("utf-8", "replace"), "pid": pid}), flush=True)
`;

export interface FakeNotifySocket {
  /** NOTIFY_SOCKET's value: a path, or `@name` for an abstract socket. */
  path: string;
  /** Every datagram received, in order (BARRIER=1 messages left out). */
  messages(): string[];
  /** The same datagrams with the pid of the process that sent each. */
  received(): Array<{ data: string; pid: number | null }>;
  waitFor(predicate: (messages: string[]) => boolean, what: string, timeoutMs?: number): Promise<string[]>;
  /** Stop / resume reading (SIGSTOP / SIGCONT): a busy manager, whose queue fills. */
  pause(): void;
  resume(): void;
  close(): void;
}

export async function startFakeNotifySocket(options: { abstract?: boolean } = {}): Promise<FakeNotifySocket> {
  const dir = tempDir('notify');
  const path = options.abstract ? `@edge-agent-test-notify-${process.pid}-${dir.slice(-6)}` : join(dir, 'notify.sock');
  const child = spawn('python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const received = (): Array<{ data: string; pid: number | null }> =>
    out
      .split('\n')
      .slice(1)
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { data: string; pid: number | null })
      .filter((m) => m.data !== 'BARRIER=1');
  const messages = (): string[] => received().map((m) => m.data);
  const close = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200 && !out.startsWith('listening'); i++) {
    if (child.exitCode !== null) {
      close();
      throw new Error(`fake notify socket: python3 exited ${child.exitCode}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!out.startsWith('listening')) {
    close();
    throw new Error(`fake notify socket did not start: ${err}`);
  }
  return {
    path,
    messages,
    received,
    async waitFor(predicate, what, timeoutMs = 20_000) {
      for (let waited = 0; waited < timeoutMs; waited += 50) {
        if (predicate(messages())) return messages();
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`notify socket never saw ${what}; got ${JSON.stringify(messages())}`);
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    close,
  };
}
