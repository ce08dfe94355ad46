/**
 * The drivers stand alone, and load on demand. drivers/ imports nothing from agent/ (type imports
 * included); the configuration loader and the registry load the drivers' descriptions but none of
 * the modules their create/simulate/identify import when called; and a board with one BMP280
 * loads that one driver, and a simulator only when simulated.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { filesUnder, importsOf, resolveSpecifier, staticClosure } from './helpers/imports.js';

describe('the import scan itself', () => {
  it('finds static, type-only, multi-line, re-exported, bare and dynamic imports', () => {
    const text = [
      "import type {\n  A,\n  B,\n} from '../../agent/config/types.js';",
      "import { c } from \"./c.js\";export * from './d.js';",
      "export { e } from '../e.js';",
      "import './side-effect.js';",
      "const f = await import('./f.js'); const g = await import( \"./g.js\" );",
    ].join('\n');
    assert.deepEqual(importsOf(text), {
      static: ['../../agent/config/types.js', './c.js', './d.js', '../e.js', './side-effect.js'],
      dynamic: ['./f.js', './g.js'],
    });
  });
});

describe('drivers/ imports nothing from agent/', () => {
  const sources = filesUnder('drivers', '.ts');

  it('scans every driver source file', () => {
    assert.ok(sources.length > 40, `only ${sources.length} files under drivers/`);
    assert.ok(sources.includes('drivers/registry.ts') && sources.includes('drivers/bmp280/bmp280.ts'));
  });

  it('no file under drivers/ imports, re-exports or loads a module outside drivers/ but packages and node: built-ins', () => {
    const outside: string[] = [];
    for (const file of sources) {
      const { static: loaded, dynamic } = importsOf(readFileSync(file, 'utf8'));
      for (const specifier of [...loaded, ...dynamic]) {
        if (!specifier.startsWith('.')) continue; // a package or a built-in
        const target = resolveSpecifier(file, specifier);
        if (!target.startsWith('drivers/')) outside.push(`${file} → ${specifier}`);
      }
    }
    assert.deepEqual(outside, []);
  });
});

describe('drivers/ stands on its own in what it cites', () => {
  it('no driver source cites a file outside the repository (a build machine\'s paths, notes kept elsewhere)', () => {
    const outside = /shared\/hardware|\/work\/|\/home\/\w|\/Users\/\w/;
    const cited = filesUnder('drivers', '.ts').flatMap((file) => readFileSync(file, 'utf8').split('\n').flatMap((line, i) => (outside.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])));
    assert.deepEqual(cited, []);
  });
});

/** The modules each driver's description loads only when create, simulate or identify run. */
function onDemandModules(): Map<string, string[]> {
  const byDriver = new Map<string, string[]>();
  for (const description of filesUnder('dist/drivers', 'description.js').filter((f) => f !== 'dist/drivers/description.js')) {
    const folder = description.split('/').at(-2)!;
    byDriver.set(folder, importsOf(readFileSync(description, 'utf8')).dynamic.map((s) => resolveSpecifier(description, s)));
  }
  return byDriver;
}

describe('descriptions are importable without the drivers', () => {
  const onDemand = onDemandModules();

  it('every chip folder has a description whose create and simulate load the driver and the simulator on demand', () => {
    const folders = filesUnder('dist/drivers', '.js').filter((f) => f.split('/').length === 4).map((f) => f.split('/')[2]!);
    const chips = [...new Set(folders)].filter((f) => !['i2c', 'gpio'].includes(f));
    assert.deepEqual([...onDemand.keys()].sort(), chips.sort());
    for (const [chip, modules] of onDemand) {
      assert.ok(modules.includes(`dist/drivers/${chip}/${chip}.js`), `${chip}: create does not import its driver on demand (${modules.join(', ')})`);
      assert.ok(modules.some((m) => /simulator|scenarios/.test(m)), `${chip}: simulate does not import its simulator on demand`);
    }
  });

  for (const entry of ['dist/agent/config/load-config.js', 'dist/agent/config/describe.js', 'dist/drivers/registry.js', 'dist/drivers/probe.js', 'dist/agent/hardware.js']) {
    it(`${entry} does not load any module a description loads on demand`, () => {
      const closure = staticClosure(entry);
      assert.ok(closure.has('dist/drivers/registry.js'), `${entry} should read the registry`);
      const loaded = [...onDemand.values()].flat().filter((m) => closure.has(m));
      assert.deepEqual(loaded, [], `${entry} loads driver code with it`);
      // Nor any module those load with them: compensation maths, simulators, the environments.
      const heavy = [...closure].filter((m) => /\/(compensation|conversion|simulator|scenarios|environment)\.js$/.test(m));
      assert.deepEqual(heavy, []);
    });
  }
});

/**
 * Runs `code` in a fresh Node.js with a loader hook that reports every module loaded, and returns
 * the dist-relative paths of those (in load order) after the code ran.
 */
function modulesLoadedBy(code: string): string[] {
  const hook = `let port; export function initialize(data) { port = data.port; } export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
  const script = `
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const seen = [];
    port1.on('message', (url) => seen.push(url));
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}), { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
    const root = new URL('./dist/', 'file://' + process.cwd() + '/');
    const load = (path) => import(new URL(path, root).href);
    ${code}
    await new Promise((resolve) => setTimeout(resolve, 100));
    port1.close();
    process.stdout.write(JSON.stringify(seen));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const root = `file://${process.cwd()}/dist/`;
  return (JSON.parse(run.stdout) as string[]).filter((url) => url.startsWith(root)).map((url) => url.slice(root.length));
}

const ONE_BMP280 = JSON.stringify({ deviceId: 'd', i2c: { simulated: true }, sensors: [{ name: 'a', driver: 'bmp280', address: '0x76' }] });
const CHIPS = ['bmp280', 'bmp388', 'ms5611', 'bmp180', 'mpl3115a2'];
const chipModules = (loaded: string[], chip: string): string[] => loaded.filter((m) => m.startsWith(`drivers/${chip}/`));
/** What a description loads with it: its tables of names, registers and timing. */
const DESCRIBING = /\/(description|registers|settings|commands)\.js$/;

describe('drivers load on demand (README "Performance")', () => {
  it('loading a configuration loads descriptions only', () => {
    const loaded = modulesLoadedBy(`const { loadConfig } = await load('agent/config/load-config.js'); loadConfig({ text: ${JSON.stringify(ONE_BMP280)}, env: {} });`);
    assert.ok(loaded.includes('drivers/registry.js'));
    for (const chip of CHIPS) assert.ok(loaded.includes(`drivers/${chip}/description.js`), chip);
    assert.deepEqual(CHIPS.flatMap((chip) => chipModules(loaded, chip)).filter((m) => !DESCRIBING.test(m)), []);
  });

  it('a board with one BMP280 loads the bmp280 driver and no other; no simulator on a real bus', () => {
    const loaded = modulesLoadedBy(`
      const { loadConfig } = await load('agent/config/load-config.js');
      const { createSensor } = await load('agent/sensors.js');
      const { SimulatedI2cBus } = await load('drivers/i2c/simulated-bus.js');
      const { systemClock } = await load('drivers/clock.js');
      const config = loadConfig({ text: ${JSON.stringify(ONE_BMP280)}, env: {} });
      await createSensor(new SimulatedI2cBus(), systemClock, config.sensors[0]);
    `);
    assert.ok(loaded.includes('drivers/bmp280/bmp280.js'), loaded.join(' '));
    assert.ok(loaded.includes('drivers/bmp280/compensation.js'));
    assert.deepEqual(chipModules(loaded, 'bmp280').filter((m) => /simulator|scenarios/.test(m)), [], 'a real bus needs no simulator');
    for (const other of ['bmp388', 'ms5611', 'bmp180', 'mpl3115a2']) {
      assert.deepEqual(chipModules(loaded, other).filter((m) => !DESCRIBING.test(m)), [], `${other}'s driver was loaded`);
    }
    assert.ok(!loaded.includes('drivers/environment.js'), 'the simulated environments are for simulators');
  });

  it('simulated, the BMP280 brings its simulator and still no other driver', () => {
    const loaded = modulesLoadedBy(`
      const { loadConfig } = await load('agent/config/load-config.js');
      const { openHardware } = await load('agent/hardware.js');
      const { systemClock } = await load('drivers/clock.js');
      const hardware = await openHardware(loadConfig({ text: ${JSON.stringify(ONE_BMP280)}, env: {} }), systemClock);
      await hardware.close();
    `);
    assert.ok(loaded.includes('drivers/bmp280/simulator.js') && loaded.includes('drivers/bmp280/bmp280.js'), loaded.join(' '));
    for (const other of ['bmp388', 'ms5611', 'bmp180', 'mpl3115a2']) {
      assert.deepEqual(chipModules(loaded, other).filter((m) => !DESCRIBING.test(m)), [], `${other}'s driver was loaded`);
    }
  });
});
