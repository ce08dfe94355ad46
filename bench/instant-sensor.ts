/**
 * A sensor whose read costs nothing: the benchmark measures the agent (scheduler, sampler,
 * publisher, outbox, session), not the BMP280 simulator, whose register arithmetic is work a real
 * board does not do (it pays an I2C transfer in the kernel instead). Values change on every read,
 * so no layer can get away with caching a payload.
 */
import type { AgentConfig } from '../agent/config/types.js';
import type { Hardware } from '../agent/hardware.js';
import { SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import type { Measurement, Quantity, Sensor } from '../drivers/sensor.js';

const BASE: Record<Quantity, number> = { temperature: 21.5, pressure: 101325, humidity: 45, altitude: 120 };

export class InstantSensor implements Sensor {
  readonly model = 'instant';
  reads = 0;
  /** performance.now() of each read, by sample number (seq − 1 when the sampler starts at 1). */
  readonly readTimes: number[] = [];

  constructor(
    readonly quantities: readonly Quantity[],
    /** Resolves when the pipeline may take another sample (backpressure for max-rate runs). */
    private readonly gate?: () => Promise<void> | undefined,
    private readonly recordTimes = false,
    /** Altitude for read n (1-based), instead of the default slow ramp. */
    private readonly altitude?: (n: number) => number,
  ) {}

  async init(): Promise<void> {}

  async read(): Promise<Measurement[]> {
    const waiting = this.gate?.();
    if (waiting) await waiting;
    if (this.recordTimes) this.readTimes.push(performance.now());
    const n = ++this.reads;
    return this.quantities.map((quantity) => ({ quantity, value: quantity === 'altitude' && this.altitude ? this.altitude(n) : BASE[quantity] + (n % 100) / 10 }));
  }

  async halt(): Promise<void> {}
}

/** Hardware for the agent's composition root: one InstantSensor per configured sensor. */
export function instantHardware(
  config: AgentConfig,
  quantities: Quantity[][],
  gate?: () => Promise<void> | undefined,
  recordTimes = false,
  altitude?: (n: number) => number,
): Hardware & { instant: InstantSensor[] } {
  const instant = config.sensors.map((_, i) => new InstantSensor(quantities[i] ?? quantities[0]!, gate, recordTimes, altitude));
  return {
    bus: new SimulatedI2cBus(),
    simulated: true,
    sensors: config.sensors.map((sensorConfig, i) => ({ config: sensorConfig, sensor: instant[i]! })),
    instant,
    async close() {},
  };
}
