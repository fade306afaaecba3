import { useRef, useState, type ChangeEvent } from 'react';
import { get, post, type ApiError } from '../api.js';
import { formatDate, formatMoney, formatNumber, toMinor } from '../format.js';
import { Link, useRouter } from '../router.js';
import type { Batch, ImportResult, Pool } from '../types.js';
import { asApiError, Card, CreateForm, ErrorBanner, Field, FormError, ListPage, Loading, PagedTable, PageHeader, Pager, PartnerSuggestions, Stat, StatusBadge, TextField, useLoad, usePaged, useSubmit, WhenLoaded } from '../ui.js';

/** Codes of a pasted list or a file: one a line, or CSV with a "code" column. */
export function parseCodes(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const header = lines[0]?.split(',').map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  const column = header && header.length > 1 ? header.indexOf('code') : header?.[0] === 'code' ? 0 : -1;
  if (column >= 0) {
    return lines
      .slice(1)
      .map((l) => (l.split(',')[column] ?? '').trim().replace(/^"|"$/g, ''))
      .filter((c) => c !== '');
  }
  return lines;
}

export const CHUNK = 1000;

interface Progress {
  sent: number;
  total: number;
  imported: number;
  duplicates: number;
  chunks: number;
  batches: string[];
  done: boolean;
}

function ImportCodes({ pool, onProgress }: { pool: Pool; onProgress: () => void }) {
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [unitCost, setUnitCost] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [supplier, setSupplier] = useState('');
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const codes = parseCodes(text);
  const currency = pool.unitCost?.currency ?? 'CNY';

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    setFileName(file.name);
    setText(await file.text());
  };

  const start = async (event: { preventDefault(): void }) => {
    event.preventDefault();
    if (busy || codes.length === 0) return;
    setBusy(true);
    setError(null);
    const options: Record<string, unknown> = {};
    if (unitCost.trim()) options.unitCost = { amount: toMinor(unitCost, currency) ?? unitCost, currency };
    if (expiresAt) options.expiresAt = new Date(expiresAt).toISOString();
    if (supplier.trim()) options.supplier = supplier.trim();
    const total = codes.length;
    const run: Progress = { sent: 0, total, imported: 0, duplicates: 0, chunks: Math.ceil(total / CHUNK), batches: [], done: false };
    setProgress({ ...run });
    // One key per chunk: a chunk retried after a lost answer is not imported twice.
    const runId = crypto.randomUUID();
    try {
      for (let i = 0; i < total; i += CHUNK) {
        const chunk = codes.slice(i, i + CHUNK);
        const result = await post<ImportResult>(`/v1/pools/${pool.id}/codes`, { codes: chunk, ...options }, { idempotencyKey: `console-import-${runId}-${i}` });
        run.sent += chunk.length;
        run.imported += result.imported;
        run.duplicates += result.duplicates;
        run.batches.push(result.batchId);
        setProgress({ ...run });
        onProgress();
      }
      run.done = true;
      setProgress({ ...run });
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  const percent = progress ? Math.round((progress.sent / Math.max(progress.total, 1)) * 100) : 0;
  return (
    <form onSubmit={start} className="form" aria-label="Import codes">
      <div className="form-grid">
        <Field label="Codes: paste one a line (or CSV with a code column)" param="codes" error={error}>
          <textarea
            name="codes"
            rows={6}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setFileName(null);
            }}
            placeholder={'TXV-0001-AAAA\nTXV-0002-BBBB'}
          />
        </Field>
        <div>
          <Field label="…or choose a file" error={error}>
            <input ref={fileInput} type="file" name="file" accept=".txt,.csv,text/plain,text/csv" onChange={(e) => void onFile(e)} />
          </Field>
          {fileName && <p className="muted">{fileName}</p>}
          <p className="muted" data-testid="codes-count">
            {formatNumber(codes.length)} codes in {Math.ceil(codes.length / CHUNK)} chunk{Math.ceil(codes.length / CHUNK) === 1 ? '' : 's'} of up to{' '}
            {formatNumber(CHUNK)}
          </p>
        </div>
        <TextField label={`Unit cost (${currency}, optional)`} name="unitCost" error={error} value={unitCost} onChange={setUnitCost} placeholder="12.00" />
        <TextField label="Codes expire at (optional)" name="expiresAt" error={error} value={expiresAt} onChange={setExpiresAt} type="datetime-local" />
        <TextField label="Supplier (optional)" name="supplier" error={error} value={supplier} onChange={setSupplier} />
      </div>
      {progress && (
        <div className="import-progress" data-testid="import-progress">
          <progress max={progress.total} value={progress.sent} aria-label="Import progress" />
          <span data-testid="import-status">
            {progress.done ? 'Done: ' : `${percent}%: `}
            {formatNumber(progress.imported)} imported, {formatNumber(progress.duplicates)} duplicates skipped ({formatNumber(progress.sent)} of{' '}
            {formatNumber(progress.total)} sent, {progress.batches.length} of {progress.chunks} chunks)
          </span>
        </div>
      )}
      <FormError error={error} fields={['codes', 'unitCost', 'expiresAt', 'supplier']} />
      <button type="submit" disabled={busy || codes.length === 0}>
        {busy ? 'Importing…' : `Import ${formatNumber(codes.length)} codes`}
      </button>
    </form>
  );
}

function CreatePool({ onCreated }: { onCreated: (pool: Pool) => void }) {
  const [name, setName] = useState('');
  const [unitCost, setUnitCost] = useState('');
  const [currency, setCurrency] = useState('CNY');
  const [supplier, setSupplier] = useState('');
  const [partnerId, setPartnerId] = useState('');
  const [threshold, setThreshold] = useState('');
  const form = useSubmit(
    () =>
      post<Pool>('/v1/pools', {
        name,
        ...(unitCost.trim() ? { unitCost: { amount: toMinor(unitCost, currency) ?? unitCost, currency } } : {}),
        ...(supplier.trim() ? { supplier: supplier.trim() } : {}),
        ...(partnerId.trim() ? { partnerId: partnerId.trim() } : {}),
        ...(threshold.trim() ? { lowStockThreshold: /^\d+$/.test(threshold.trim()) ? Number(threshold) : threshold } : {}),
      }),
    onCreated,
  );
  return (
    <CreateForm label="Create a pool" form={form} fields={['name', 'unitCost', 'supplier', 'partnerId', 'lowStockThreshold']} submitLabel="Create pool">
      <TextField label="Name" name="name" error={form.error} value={name} onChange={setName} placeholder="Tencent Video VIP month cards" />
      <TextField label="Unit cost (optional)" name="unitCost" error={form.error} value={unitCost} onChange={setUnitCost} placeholder="12.00" />
      <TextField label="Currency" name="currency" param="unitCost.currency" error={form.error} value={currency} maxLength={3} onChange={(v) => setCurrency(v.toUpperCase())} />
      <TextField label="Supplier (optional)" name="supplier" error={form.error} value={supplier} onChange={setSupplier} />
      <TextField label="Partner id (optional)" name="partnerId" error={form.error} list="pool-partners" value={partnerId} onChange={setPartnerId}>
        <PartnerSuggestions id="pool-partners" />
      </TextField>
      <TextField label="Low-stock threshold (optional)" name="lowStockThreshold" error={form.error} value={threshold} onChange={setThreshold} />
    </CreateForm>
  );
}

export function Pools() {
  const pools = usePaged<Pool>('/v1/pools');
  const { navigate } = useRouter();
  return (
    <ListPage title="Code pools" noun="pool" create={() => <CreatePool onCreated={(pool) => navigate(`/pools/${pool.id}`)} />}>
      <Card>
        <PagedTable paged={pools} empty="No pools yet.">
          <table data-testid="pools-table">
            <thead>
              <tr>
                <th>Pool</th>
                <th className="num">Available</th>
                <th className="num">Issued</th>
                <th className="num">Total</th>
                <th className="num">Expired</th>
                <th>Unit cost</th>
                <th>Supplier</th>
              </tr>
            </thead>
            <tbody>
              {pools.items.map((p) => (
                <tr key={p.id} data-pool-id={p.id}>
                  <td>
                    <Link to={`/pools/${p.id}`}>{p.name}</Link> {p.lowStock && <StatusBadge status="low_stock" />}
                  </td>
                  <td className="num" data-testid="pool-available">
                    {formatNumber(p.available)}
                  </td>
                  <td className="num">{formatNumber(p.issued)}</td>
                  <td className="num">{formatNumber(p.total)}</td>
                  <td className="num">{formatNumber(p.expired)}</td>
                  <td>{formatMoney(p.unitCost)}</td>
                  <td>{p.supplier ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
    </ListPage>
  );
}

interface CostLine {
  batchId: string | null;
  currency: string | null;
  unitCost: number | null;
  issued: number;
  available: number;
  issuedCost: number | null;
  stockValue: number | null;
}

export function PoolDetail({ id }: { id: string }) {
  const pool = useLoad(() => get<Pool>(`/v1/pools/${id}`), [id]);
  const batches = useLoad(() => get<{ data: Batch[] }>(`/v1/pools/${id}/batches`), [id]);
  const cost = useLoad(() => get<{ totals: CostLine[] }>(`/v1/pools/${id}/cost-report`), [id]);
  const codes = usePaged<{ id: string; maskedCode: string; status: string; expiresAt: string | null; issuedTo: string | null; issuedAt: string | null }>(
    `/v1/pools/${id}/codes`,
    10,
  );
  const refresh = () => {
    pool.reload();
    batches.reload();
    cost.reload();
    codes.reload();
  };
  if (pool.error) return <ErrorBanner error={pool.error} />;
  if (!pool.data) return <Loading what="the pool" />;
  const p = pool.data;
  return (
    <>
      <PageHeader title={p.name}>
        <Link to="/pools">All pools</Link>
      </PageHeader>
      <Card title="Stock">
        <div className="stats" data-testid="pool-stock">
          <Stat label="available" value={formatNumber(p.available)} testId="stock-available" />
          <Stat label="issued" value={formatNumber(p.issued)} testId="stock-issued" />
          <Stat label="total" value={formatNumber(p.total)} testId="stock-total" />
          <Stat label="expired" value={formatNumber(p.expired)} />
          <Stat label="voided" value={formatNumber(p.voided)} />
          {cost.data?.totals.map((t) => (
            <Stat
              key={t.currency ?? 'none'}
              label={`cost of issued codes${t.currency ? '' : ' (no unit cost)'}`}
              value={t.currency && t.issuedCost !== null ? formatMoney({ amount: t.issuedCost, currency: t.currency }) : '—'}
            />
          ))}
        </div>
        <p className="muted">
          <code>{p.id}</code>
          {p.lowStockThreshold !== null ? ` · low-stock alert below ${p.lowStockThreshold}` : ''}
          {p.lowStock ? ' · stock is low' : ''}
        </p>
      </Card>
      <Card title="Import codes">
        <ImportCodes pool={p} onProgress={refresh} />
      </Card>
      <Card title="Batches">
        <WhenLoaded load={batches} isEmpty={(d) => d.data.length === 0} empty="No codes imported yet.">
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th>Batch</th>
                  <th className="num">Total</th>
                  <th className="num">Available</th>
                  <th className="num">Issued</th>
                  <th className="num">Duplicates</th>
                  <th>Unit cost</th>
                  <th>Expires</th>
                  <th>Imported</th>
                </tr>
              </thead>
              <tbody>
                {d.data.map((b) => (
                  <tr key={b.id}>
                    <td>
                      <code>{b.id}</code>
                    </td>
                    <td className="num">{formatNumber(b.total)}</td>
                    <td className="num">{formatNumber(b.available)}</td>
                    <td className="num">{formatNumber(b.issued)}</td>
                    <td className="num">{formatNumber(b.duplicates)}</td>
                    <td>{formatMoney(b.unitCost)}</td>
                    <td>{formatDate(b.expiresAt)}</td>
                    <td>{formatDate(b.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </WhenLoaded>
      </Card>
      <Card title="Codes (masked)">
        <table>
          <thead>
            <tr>
              <th>Code</th>
              <th>Status</th>
              <th>Expires</th>
              <th>Issued to</th>
            </tr>
          </thead>
          <tbody>
            {codes.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <code>{c.maskedCode}</code>
                </td>
                <td>
                  <StatusBadge status={c.status} />
                </td>
                <td>{formatDate(c.expiresAt)}</td>
                <td>{c.issuedTo ? <Link to={`/members/${c.issuedTo}`}>{c.issuedTo}</Link> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager paged={codes} />
      </Card>
    </>
  );
}
