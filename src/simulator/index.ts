export { simulate, type SimulationOptions, type SimulationReport } from './simulate.js';
export { runDemoSimulation, demoSimulationWanted } from './demo-simulation.js';
