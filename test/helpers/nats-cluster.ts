/**
 * A 3-node NATS cluster with an MQTT listener on each node, for failover tests: `nats-server`
 * from Debian, each node with its own config file in a temp dir (server_name, a cluster block with
 * routes to the other two, JetStream with its own store_dir, an MQTT listener on a free port).
 * NATS's MQTT needs JetStream and a server_name: sessions, retained messages and QoS 1 messages
 * live in JetStream streams, replicated on every node here (mqtt.stream_replicas).
 * A node can be killed with SIGKILL and started again on the same ports and store.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Daemon, waitForPort } from './brokers.js';
import { findBinary, freePort } from './mosquitto.js';
import { tempDir } from './temp-dir.js';

export interface NatsNode {
  readonly name: string;
  /** mqtt://127.0.0.1:PORT of this node's MQTT listener. */
  readonly url: string;
  readonly mqttPort: number;
  readonly alive: boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  log(): string;
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** Every node's MQTT URL, comma-separated: what mqtt.url gets. */
  readonly urls: string;
  stop(): Promise<void>;
}

/** Whether an MQTT 3.1.1 client gets a CONNACK from `url` now (the listener is up and JetStream ready). */
async function answers(url: string): Promise<boolean> {
  try {
    const client = await mqtt.connectAsync(url, { clientId: `probe-${Math.random().toString(16).slice(2)}`, protocolVersion: 4, connectTimeout: 2000, reconnectPeriod: 0, log: () => undefined }, false);
    await client.endAsync(true);
    return true;
  } catch {
    return false;
  }
}

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = tempDir('nats-cluster');
  const ports: Array<{ client: number; cluster: number; mqtt: number }> = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), cluster: await freePort(), mqtt: await freePort() });
  const binary = findBinary('nats-server');
  const nodes = ports.map((port, i) => {
    const name = `n${i + 1}`;
    const conf = join(dir, `${name}.conf`);
    const routes = ports.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p.cluster}`);
    writeFileSync(conf, [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${port.client}`,
      `jetstream { store_dir: "${join(dir, name, 'js')}" }`,
      `cluster { name: edge-test, listen: 127.0.0.1:${port.cluster}, routes: [${routes.join(', ')}] }`,
      // Explicit: left out, NATS sizes the MQTT streams by the nodes it sees at the first MQTT
      // CONNECT, and a stream made with 2 replicas has no quorum once one of them dies (seen here:
      // every CONNECT then fails with "JetStream system temporarily unavailable").
      `mqtt { listen: 127.0.0.1:${port.mqtt}, stream_replicas: ${size} }`,
      '',
    ].join('\n'));
    const daemon = new Daemon(binary, ['-c', conf]);
    const url = `mqtt://127.0.0.1:${port.mqtt}`;
    const node: NatsNode = {
      name, url, mqttPort: port.mqtt,
      get alive() {
        return daemon.alive;
      },
      kill: () => daemon.kill(),
      start: async () => {
        daemon.launch();
        await waitForPort(port.mqtt, 15_000, () => daemon.alive, () => `nats-server ${name} exited:\n${daemon.output}`);
      },
      log: () => daemon.output,
    };
    return node;
  });
  const stop = async (): Promise<void> => {
    for (const node of nodes) await node.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    // The MQTT listeners open before JetStream has a meta leader; a CONNECT is answered once it has.
    for (const node of nodes) {
      for (const until = Date.now() + 30_000; !(await answers(node.url)); await new Promise((r) => setTimeout(r, 200))) {
        if (Date.now() > until) throw new Error(`NATS node ${node.name} answers no MQTT CONNECT within 30 s:\n${node.log().slice(-3000)}`);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, urls: nodes.map((n) => n.url).join(','), stop };
}

/** Wait until `node` answers MQTT again after start() (JetStream back in the cluster). */
export async function mqttReady(node: NatsNode, timeoutMs = 30_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !(await answers(node.url)); await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > until) throw new Error(`NATS node ${node.name} answers no MQTT CONNECT within ${timeoutMs} ms:\n${node.log().slice(-3000)}`);
  }
}
