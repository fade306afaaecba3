import { sql, type Kysely, type Transaction } from 'kysely';
import { runStatement } from './statements.js';

export type WriteWork<DB, T> = (tx: Transaction<DB>) => Promise<T>;

interface Job<DB> {
  work: WriteWork<DB, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  attempts: number;
}

export interface GroupCommitOptions<DB> {
  /** How many batches may be open at once: 1 for SQLite (one writer), a few for PostgreSQL. */
  writers: number;
  /** Upper bound on the work of one commit, so one batch cannot starve the event loop for long. */
  maxBatch: number;
  /** Errors after which a job is run again in a later batch (deadlocks, serialization failures). */
  isRetryable: (error: unknown) => boolean;
  /** Run first in every batch's transaction (PostgreSQL: a short lock_timeout, see db.ts). */
  beginBatch?: (tx: Transaction<DB>) => Promise<void>;
  /** Called as each batch's transaction opens; what it returns is called as it ends (SQLite: see statements.ts). */
  bindTransaction?: (tx: Transaction<DB>) => () => void;
  /** Send `release savepoint …; savepoint …` as one query (PostgreSQL: one round trip instead of two). */
  combineSavepointCommands?: boolean;
  /** When given, batches first run without a savepoint per job (see runOptimistically). */
  watch?: WriteWatch<DB>;
}

/** How a batch can tell that a failed job left nothing behind, so that it needs no savepoint of its own. */
export interface WriteWatch<DB> {
  /**
   * The transaction the batch's jobs are given, and a count of the rows changed through it so
   * far. It may over-count (anything that might have written), never under-count.
   */
  watch(tx: Transaction<DB>): { tx: Transaction<DB>; changes(): number };
  /** After a job failed having changed nothing: can the transaction go on? (PostgreSQL aborts it on any error.) */
  usable(tx: Transaction<DB>): Promise<boolean>;
}

/** Thrown inside a batch's transaction to roll it all back: a failed job left changes behind. */
class UndoBatch {}

/** After a batch had to be run again with savepoints, the next ones start with them too. */
const SAVEPOINT_BATCHES_AFTER_UNDO = 16;

const SAVEPOINT = 'savepoint group_commit_job';
const RELEASE = 'release savepoint group_commit_job';
const ROLLBACK_TO = 'rollback to savepoint group_commit_job';

// High: on PostgreSQL a job waiting for a row another writer's batch holds gives up after
// lock_timeout (db.ts) and is retried; on a hot member under load 8 attempts ran out (a 500).
const MAX_ATTEMPTS = 64;

/**
 * Group commit: the writes that arrive together run one after another inside a single
 * transaction, and every caller is answered only after the one durable commit. One fsync then
 * carries a whole batch instead of one request. A failing job undoes only its own work: it
 * either changed nothing (checked, see runOptimistically) or the batch runs again with a
 * savepoint per job (runJobs).
 */
export class GroupCommit<DB> {
  private readonly queue: Job<DB>[] = [];
  private open = 0;
  private scheduled = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private savepointBatches = 0;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly options: GroupCommitOptions<DB>,
  ) {}

  run<T>(work: WriteWork<DB, T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closing'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject, attempts: 0 });
      this.schedule();
    });
  }

  /** Resolves once every queued write has committed or failed. */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && this.open === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private schedule(): void {
    if (this.scheduled || this.open >= this.options.writers) return;
    this.scheduled = true;
    // Let the requests already read by this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.open < this.options.writers && this.queue.length > 0) {
        this.open++;
        void this.loop();
      }
    });
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        await this.runBatch(batch);
      }
    } finally {
      this.open--;
      if (this.queue.length > 0) this.schedule();
      else if (this.open === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
    }
  }

  private async runBatch(batch: Job<DB>[]): Promise<void> {
    const watch = this.savepointBatches === 0 ? this.options.watch : undefined;
    if (this.savepointBatches > 0) this.savepointBatches--;
    if ((await this.runTransaction(batch, watch)) === 'undo') {
      // Nobody has heard anything yet: the batch runs again from the start, a savepoint per job.
      this.savepointBatches = SAVEPOINT_BATCHES_AFTER_UNDO;
      await this.runTransaction(batch, undefined);
    }
  }

  private async runTransaction(batch: Job<DB>[], watch: WriteWatch<DB> | undefined): Promise<'settled' | 'undo'> {
    const done: Array<{ job: Job<DB>; ok: boolean; value: unknown }> = [];
    const retry: Job<DB>[] = [];
    try {
      await this.db.transaction().execute(async (transaction) => {
        const watched = watch?.watch(transaction);
        const tx = watched?.tx ?? transaction;
        const unbind = this.options.bindTransaction?.(tx);
        try {
          await this.options.beginBatch?.(tx);
          if (watch && watched) await this.runOptimistically(tx, () => watch.usable(transaction), watched.changes, batch, done, retry);
          else await this.runJobs(tx, batch, done, retry);
        } finally {
          unbind?.();
        }
      });
    } catch (commitError) {
      if (commitError instanceof UndoBatch) return 'undo';
      // Nothing of this batch is durable: every caller hears of it, none is told it succeeded.
      for (const { job, ok, value } of done) job.reject(ok ? commitError : value);
      for (const job of retry) job.reject(commitError);
      return 'settled';
    }
    for (const { job, ok, value } of done) (ok ? job.resolve : job.reject)(value);
    if (retry.length > 0) this.queue.unshift(...retry);
    return 'settled';
  }

  /**
   * The fast way, with no savepoint per job: a job that fails having changed no row leaves
   * nothing to undo, which is how jobs almost always fail (they check before they write). If
   * one fails after changing rows, or leaves the transaction unusable, the whole batch is
   * rolled back and run again with savepoints (runJobs). Each job sees exactly what it would
   * have seen in its own savepoint: the work of the jobs before it that succeeded.
   */
  private async runOptimistically(
    tx: Transaction<DB>,
    usable: () => Promise<boolean>,
    changes: () => number,
    batch: Job<DB>[],
    done: Array<{ job: Job<DB>; ok: boolean; value: unknown }>,
    retry: Job<DB>[],
  ): Promise<void> {
    const counted: Job<DB>[] = [];
    for (const job of batch) {
      const before = changes();
      try {
        const value = await job.work(tx);
        done.push({ job, ok: true, value });
      } catch (error) {
        if (changes() !== before || !(await usable())) {
          for (const failed of counted) failed.attempts--;
          throw new UndoBatch();
        }
        counted.push(job);
        job.attempts++;
        if (this.options.isRetryable(error) && job.attempts < MAX_ATTEMPTS) retry.push(job);
        else done.push({ job, ok: false, value: error });
      }
    }
  }

  /**
   * One savepoint, `group_commit_job`, marks where the running job began. After a job succeeds
   * it moves on (release and set again: one round trip on PostgreSQL); after a job fails and is
   * rolled back to it, it already stands where the next job begins. The commit releases the last.
   */
  private async runJobs(
    tx: Transaction<DB>,
    batch: Job<DB>[],
    done: Array<{ job: Job<DB>; ok: boolean; value: unknown }>,
    retry: Job<DB>[],
  ): Promise<void> {
    let savepoint: 'none' | 'behind' | 'here' = 'none';
    for (const job of batch) {
      if (savepoint === 'none') await runStatement(tx, SAVEPOINT, []);
      else if (savepoint === 'behind') {
        if (this.options.combineSavepointCommands) await runStatement(tx, `${RELEASE}; ${SAVEPOINT}`, []);
        else {
          await runStatement(tx, RELEASE, []);
          await runStatement(tx, SAVEPOINT, []);
        }
      }
      savepoint = 'behind';
      try {
        const value = await job.work(tx);
        done.push({ job, ok: true, value });
      } catch (error) {
        await runStatement(tx, ROLLBACK_TO, []);
        savepoint = 'here';
        job.attempts++;
        if (this.options.isRetryable(error) && job.attempts < MAX_ATTEMPTS) retry.push(job);
        else done.push({ job, ok: false, value: error });
      }
    }
  }
}

let savepointCounter = 0;

/** Runs work in a nested savepoint: if it throws, only its own writes are undone. */
export async function withSavepoint<DB, T>(tx: Transaction<DB>, work: () => Promise<T>): Promise<T> {
  const name = sql.raw(`nested_${++savepointCounter}`);
  await sql`savepoint ${name}`.execute(tx);
  try {
    const value = await work();
    await sql`release savepoint ${name}`.execute(tx);
    return value;
  } catch (error) {
    await sql`rollback to savepoint ${name}`.execute(tx);
    await sql`release savepoint ${name}`.execute(tx);
    throw error;
  }
}
