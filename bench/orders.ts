/**
 * Orders ingested per second on SQLite: the bulk import (`tessera import orders`: each order row
 * with its points; per member and batch one ledger credit, the spend statistics, the loyalty day,
 * the debt check and the score) beside raw SQL doing the same writes with the same durability and
 * the same rows per commit. The import also reads and checks the CSV file; raw SQL starts from
 * values in memory. A benchmark, not a test: it prints.
 *
 *   npx tsx bench/orders.ts [orders]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTessera } from '../src/main.js';
import { DEFAULT_BATCH_SIZE, importOrders } from '../src/orders/index.js';
import { openSqliteConnection } from '../src/platform/db.js';
import { newId } from '../src/platform/ids.js';

const ORDERS = Number(process.argv[2] ?? 400_000);
const MEMBERS = 500;
const BATCH = DEFAULT_BATCH_SIZE;
const DAY = 86_400_000;

function config(dir: string) {
  return { port: 0, host: '127.0.0.1', databaseUrl: undefined, dataDir: dir, adminKey: 'bench-admin-key-000', demo: false, logLevel: 'warn', pgWriters: 4 };
}

async function prepare(label: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tessera-bench-orders-${label}-`));
  const t = await createTessera(config(dir), { logger: false });
  const members: string[] = [];
  await t.db.write(async (tx) => {
    await t.services.orders.createRule(tx, { name: 'base', kind: 'base', currency: 'CNY', pointsPerYuan: 1 });
    for (let i = 0; i < MEMBERS; i++) members.push((await t.services.members.create(tx, { externalId: `bench-${i}` })).id);
  });
  return { dir, t, members };
}

async function viaImport(): Promise<number> {
  const { dir, t, members } = await prepare('import');
  const file = path.join(dir, 'orders.csv');
  const out = fs.createWriteStream(file);
  out.write('memberId,externalId,amount,currency,category\n');
  for (let i = 0; i < ORDERS; i++) out.write(`${members[i % MEMBERS]},o-${i},${100 + ((i * 7919) % 100_000)},CNY,groceries\n`);
  await new Promise((resolve) => out.end(resolve));
  const start = performance.now();
  const report = await importOrders(t.db, t.services.orders, t.services.members, file, { batchSize: BATCH });
  const seconds = (performance.now() - start) / 1000;
  if (report.imported !== ORDERS) throw new Error(`imported ${report.imported} of ${ORDERS}`);
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return ORDERS / seconds;
}

async function viaRawSql(): Promise<number> {
  const { dir, t, members } = await prepare('raw');
  await t.close();
  const db = openSqliteConnection(path.join(dir, 'tessera.db'));
  const s = {
    balance: db.prepare('update point_accounts set balance = balance + ?, updated_at = ? where member_id = ? returning balance'),
    txn: db.prepare(`insert into ledger_transactions (id, member_id, kind, points, reason, expires_at, reverses_id, reversed_by, created_at) values (?, ?, 'earn', ?, ?, null, null, null, ?)`),
    entries: db.prepare(`insert into ledger_entries (transaction_id, line, account, member_id, amount) values (?, 1, ?, ?, ?), (?, 2, 'program:issuance', null, ?)`),
    lot: db.prepare('insert into point_lots (id, member_id, transaction_id, points, remaining, expires_at, created_at) values (?, ?, ?, ?, ?, null, ?)'),
    debt: db.prepare('select points from points_debts where member_id = ?'),
    spend: db.prepare(`insert into member_spend_stats (member_id, currency, order_count, refund_count, gross_amount, refunded_amount, first_order_at, last_order_at, updated_at) values (?, 'CNY', ?, 0, ?, 0, ?, ?, ?) on conflict (member_id, currency) do update set order_count = order_count + excluded.order_count, gross_amount = gross_amount + excluded.gross_amount, last_order_at = excluded.last_order_at, updated_at = excluded.updated_at`),
    event: db.prepare(`insert into loyalty_events (id, member_id, kind, ref_id, spend_delta, orders_delta, score_delta, active_day, note, occurred_at, created_at) values (?, ?, 'order', null, ?, ?, 0, 1, null, ?, ?)`),
    day: db.prepare(`insert into loyalty_days (member_id, day, spend, orders, adjustments, active) values (?, ?, ?, ?, 0, 1) on conflict (member_id, day) do update set spend = spend + excluded.spend, orders = orders + excluded.orders, active = 1`),
    scoreRow: db.prepare(`insert into loyalty_scores (member_id, score, breakdown, computed_at) values (?, 0, '{}', ?) on conflict (member_id) do nothing`),
    score: db.prepare('select score from loyalty_scores where member_id = ?'),
    window: db.prepare('select coalesce(sum(spend), 0) as spend, coalesce(sum(orders), 0) as orders, coalesce(sum(active), 0) as days from loyalty_days where member_id = ? and day > ? and day <= ?'),
    save: db.prepare('update loyalty_scores set score = ?, breakdown = ?, computed_at = ? where member_id = ?'),
    history: db.prepare('insert into loyalty_score_history (id, member_id, score, previous, reason, created_at) values (?, ?, ?, ?, ?, ?)'),
  };
  const now = Date.now();
  const today = Math.floor(now / DAY);
  const members_ = db.prepare(`select id from members where id in (${members.map(() => '?').join(',')})`);
  // The orders a hundred to a statement, as the import writes them on SQLite; the rest one by one.
  const insertOrder = db.prepare(
    "insert into orders (id, member_id, external_id, amount, currency, category, paid_at, points_earned, earn_transaction_id, refunded_amount, refunded_points, status, created_at, updated_at) values (?, ?, ?, ?, 'CNY', 'groceries', ?, ?, ?, 0, 0, 'paid', ?, ?) on conflict (external_id) do nothing returning id",
  );
  const insertOrders = db.prepare(
    'insert into orders (id, member_id, external_id, amount, currency, category, paid_at, points_earned, earn_transaction_id, refunded_amount, refunded_points, status, created_at, updated_at) values ' +
      Array.from({ length: 100 }, () => "(?, ?, ?, ?, 'CNY', 'groceries', ?, ?, ?, 0, 0, 'paid', ?, ?)").join(', ') +
      ' on conflict (external_id) do nothing returning id',
  );
  // Like the import: the orders, then per member one credit, one spend row, one
  // loyalty day and one score refresh for all of its orders in the batch.
  const batch = db.transaction((from: number, to: number) => {
    members_.all(...members);
    const perMember = new Map<string, { points: number; amount: number; orders: number; txn: string }>();
    let params: unknown[] = [];
    for (let i = from; i < to; i++) {
      const member = members[i % MEMBERS]!;
      const amount = 100 + ((i * 7919) % 100_000);
      const points = Math.floor(amount / 100);
      let m = perMember.get(member);
      if (!m) perMember.set(member, (m = { points: 0, amount: 0, orders: 0, txn: newId('txn') }));
      params.push(newId('ord'), member, `o-${i}`, amount, now, points, m.txn, now, now);
      if (params.length === 900) {
        insertOrders.all(params);
        params = [];
      }
      m.points += points;
      m.amount += amount;
      m.orders++;
    }
    for (let p = 0; p < params.length; p += 9) insertOrder.all(params.slice(p, p + 9));
    for (const [member, m] of perMember) {
      s.balance.get(m.points, now, member);
      s.txn.run(m.txn, member, m.points, `${m.orders} imported orders`, now);
      s.entries.run(m.txn, `member:${member}`, member, m.points, m.txn, -m.points);
      s.lot.run(newId('lot'), member, m.txn, m.points, m.points, now);
      s.debt.get(member);
      s.spend.run(member, m.orders, m.amount, now, now, now);
      s.event.run(newId('lev'), member, m.amount, m.orders, now, now);
      s.day.run(member, today, m.amount, m.orders);
      s.scoreRow.run(member, now);
      const previous = (s.score.get(member) as { score: number }).score;
      const w = s.window.get(member, today - 365, today) as { spend: number; orders: number; days: number };
      const score = Math.floor(w.spend / 1000) + 2 * w.orders + w.days;
      s.save.run(score, '{}', now, member);
      if (score !== previous) s.history.run(newId('lsh'), member, score, previous, 'orders imported', now);
    }
  });
  const start = performance.now();
  for (let from = 0; from < ORDERS; from += BATCH) batch(from, Math.min(ORDERS, from + BATCH));
  const seconds = (performance.now() - start) / 1000;
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return ORDERS / seconds;
}

const imported = await viaImport();
const raw = await viaRawSql();
console.log(`\nOrders ingested per second, SQLite, ${ORDERS} orders over ${MEMBERS} members, ${BATCH} per commit (synchronous=FULL)\n`);
console.log('| path                                   | orders/s | vs raw SQL |');
console.log('| -------------------------------------- | -------: | ---------: |');
console.log(`| tessera import orders (OrderService)   | ${Math.round(imported).toLocaleString('en').padStart(8)} | ${(imported / raw).toFixed(2).padStart(9)}× |`);
console.log(`| raw SQL, the same writes               | ${Math.round(raw).toLocaleString('en').padStart(8)} |     1.00× |`);
console.log('\nTarget of issue 3: 100,000 orders/s through the bulk import.');
