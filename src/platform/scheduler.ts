import type { FastifyBaseLogger } from 'fastify';

/**
 * Runs recurring jobs on timers, one run of a job at a time. Several nodes may each run the
 * same job: every job is written to be safe when it does (each unit is its own transaction
 * and re-checks its work under lock).
 */
export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly log: FastifyBaseLogger) {}

  every(name: string, intervalMs: number, job: () => Promise<unknown>): void {
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      const run = job()
        .then((result) => this.log.debug({ job: name, result }, 'scheduled job done'))
        .catch((err: unknown) => this.log.error({ err, job: name }, 'scheduled job failed'))
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    };
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  async stop(): Promise<void> {
    this.timers.splice(0).forEach((t) => clearInterval(t));
    await Promise.allSettled([...this.running]);
  }
}
