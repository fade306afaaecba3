import { createTessera } from '../main.js';
import { ManualClock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import { simulate, type SimulationReport } from './simulate.js';

/** The small simulation a fresh demo install runs so that no dashboard is empty; TESSERA_DEMO_SIMULATION=0 skips it. */
export const DEMO_SIMULATION = { members: 500, days: 120, seed: 1111 };

export function demoSimulationWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TESSERA_DEMO_SIMULATION !== '0';
}

/**
 * Runs the demo simulation on its own Tessera (same database, a manual clock ending now), so
 * the serving node keeps the real clock. Call before the server starts its jobs.
 */
export async function runDemoSimulation(config: Config, onProgress?: (day: number, days: number) => void): Promise<SimulationReport> {
  const clock = new ManualClock(Date.now());
  const tessera = await createTessera(config, { clock, logger: false });
  try {
    const report = await simulate(tessera.db, tessera.services, clock, { ...DEMO_SIMULATION, endAt: clock.now(), ...(onProgress ? { onProgress } : {}) });
    await tessera.services.analytics.refresh();
    return report;
  } finally {
    await tessera.close();
  }
}
