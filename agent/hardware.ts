/**
 * The one place that opens hardware: the Linux I2C bus for a real board, or a simulated bus with
 * each configured sensor's simulator attached at its address. Drivers only ever see the bus.
 */
import type { Clock } from '../drivers/clock.js';
import type { I2cBus } from '../drivers/i2c/i2c-bus.js';
import { openLinuxI2cBus } from '../drivers/i2c/linux-bus.js';
import { RecordingBus } from '../drivers/i2c/recording-bus.js';
import { FaultyDevice, SimulatedI2cBus } from '../drivers/i2c/simulated-bus.js';
import type { Sensor } from '../drivers/sensor.js';
import type { AgentConfig, SensorConfig } from './config/types.js';
import { createSensor, simulateSensor } from './sensors.js';

export interface Hardware {
  bus: I2cBus;
  simulated: boolean;
  sensors: Array<{ config: SensorConfig; sensor: Sensor }>;
  /** Close the bus (and write the recording, if one was asked for). */
  close(): Promise<void>;
}

export interface HardwareOptions {
  /** Record every bus transaction to this file (a playback script for tests). */
  recordTo?: string;
}

export async function simulatedBus(config: AgentConfig, clock: Clock): Promise<SimulatedI2cBus> {
  const bus = new SimulatedI2cBus();
  for (const sensor of config.sensors) {
    const chip = await simulateSensor(clock, sensor);
    const rate = sensor.simulation.faultRate ?? 0; // absent in configs built by hand in tests
    bus.attach(sensor.address, rate > 0 ? new FaultyDevice(chip, sensor.address, rate, sensor.address) : chip);
  }
  return bus;
}

export async function openBus(config: AgentConfig, clock: Clock): Promise<I2cBus> {
  return config.i2c.simulated ? simulatedBus(config, clock) : openLinuxI2cBus(config.i2c.bus);
}

export async function openHardware(config: AgentConfig, clock: Clock, options: HardwareOptions = {}): Promise<Hardware> {
  const opened = await openBus(config, clock);
  const recorder = options.recordTo ? new RecordingBus(opened) : undefined;
  const bus: I2cBus = recorder ?? opened;
  let sensors: Hardware['sensors'];
  try {
    sensors = await Promise.all(config.sensors.map(async (sensorConfig) => ({ config: sensorConfig, sensor: await createSensor(bus, clock, sensorConfig) })));
  } catch (error) {
    await bus.close(); // a driver that failed to load must not leave /dev/i2c-N open behind it
    throw error;
  }
  return {
    bus,
    simulated: config.i2c.simulated,
    sensors,
    async close() {
      if (recorder && options.recordTo) await recorder.save(options.recordTo);
      await bus.close();
    },
  };
}
