#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so the installed command never lags the code.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
