export { simulate, DEFAULT_CONVERSION, type SimulationOptions, type SimulationReport } from './simulate.js';
export { Random } from './random.js';
export { runDemoSimulation, demoSimulationWanted, DEMO_SIMULATION } from './demo-simulation.js';
