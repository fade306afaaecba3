export { consoleRoutes, DEFAULT_CONSOLE_DIR, type ConsoleOptions } from './console-routes.js';
