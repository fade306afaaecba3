import { useState } from 'react';
import { get, post } from '../api.js';
import { formatDate, formatNumber } from '../format.js';
import { Link } from '../router.js';
import type { CatalogItem, Pool, Rollout } from '../types.js';
import { Card, CreateForm, ErrorBanner, Field, ListPage, PagedTable, StatusBadge, TextField, useAction, useLoad, usePaged, useSubmit } from '../ui.js';

const int = (text: string): number | string | undefined => (text.trim() === '' ? undefined : /^\d+$/.test(text.trim()) ? Number(text) : text);
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function CreateItem({ onCreated }: { onCreated: () => void }) {
  const pools = useLoad(() => get<{ data: Pool[] }>('/v1/pools?limit=100'), []);
  const rollouts = useLoad(() => get<{ data: Rollout[] }>('/v1/rollouts?limit=100'), []);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [pointsPrice, setPointsPrice] = useState('');
  const [poolId, setPoolId] = useState('');
  const [perMemberLimit, setPerMemberLimit] = useState('');
  const [periodCount, setPeriodCount] = useState('');
  const [period, setPeriod] = useState<'day' | 'week' | 'month'>('month');
  const [timeZone, setTimeZone] = useState('Asia/Shanghai');
  const [totalCap, setTotalCap] = useState('');
  const [availableFrom, setAvailableFrom] = useState('');
  const [availableUntil, setAvailableUntil] = useState('');
  const [rolloutId, setRolloutId] = useState('');
  const form = useSubmit(() => {
    const body: Record<string, unknown> = { name, pointsPrice: int(pointsPrice) ?? '', poolId };
    if (description.trim()) body.description = description.trim();
    if (int(perMemberLimit) !== undefined) body.perMemberLimit = int(perMemberLimit);
    if (int(periodCount) !== undefined) body.periodLimit = { count: int(periodCount), period };
    if (timeZone.trim()) body.timeZone = timeZone.trim();
    if (int(totalCap) !== undefined) body.totalCap = int(totalCap);
    if (iso(availableFrom)) body.availableFrom = iso(availableFrom);
    if (iso(availableUntil)) body.availableUntil = iso(availableUntil);
    if (rolloutId) body.rolloutId = rolloutId;
    return post<CatalogItem>('/v1/catalog/items', body);
  }, onCreated);
  const fields = ['name', 'description', 'pointsPrice', 'poolId', 'perMemberLimit', 'periodLimit', 'timeZone', 'totalCap', 'availableFrom', 'availableUntil', 'rolloutId'];
  return (
    <CreateForm label="Create an item" form={form} fields={fields} submitLabel="Create item">
      <TextField label="Name" name="name" error={form.error} value={name} onChange={setName} placeholder="Tencent Video VIP, one month" />
      <TextField label="Points price" name="pointsPrice" error={form.error} value={pointsPrice} onChange={setPointsPrice} inputMode="numeric" />
      <Field label="Fulfilled from pool" param="poolId" error={form.error}>
        <select name="poolId" value={poolId} onChange={(e) => setPoolId(e.target.value)}>
          <option value="">Choose a pool…</option>
          {pools.data?.data.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({formatNumber(p.available)} available)
            </option>
          ))}
        </select>
      </Field>
      <TextField label="Description (optional)" name="description" error={form.error} value={description} onChange={setDescription} />
      <TextField label="Per-member limit (lifetime, optional)" name="perMemberLimit" error={form.error} value={perMemberLimit} onChange={setPerMemberLimit} inputMode="numeric" />
      <Field label="Per-period limit (optional)" param="periodLimit" error={form.error}>
        <span className="row">
          <input name="periodCount" value={periodCount} onChange={(e) => setPeriodCount(e.target.value)} inputMode="numeric" placeholder="count" />
          <select name="period" value={period} onChange={(e) => setPeriod(e.target.value as 'day' | 'week' | 'month')}>
            <option value="day">per day</option>
            <option value="week">per week</option>
            <option value="month">per month</option>
          </select>
        </span>
      </Field>
      <TextField label="Time zone of periods" name="timeZone" error={form.error} value={timeZone} onChange={setTimeZone} />
      <TextField label="Total cap (optional)" name="totalCap" error={form.error} value={totalCap} onChange={setTotalCap} inputMode="numeric" />
      <TextField label="Available from (optional)" name="availableFrom" error={form.error} value={availableFrom} onChange={setAvailableFrom} type="datetime-local" />
      <TextField label="Available until (optional)" name="availableUntil" error={form.error} value={availableUntil} onChange={setAvailableUntil} type="datetime-local" />
      <Field label="Behind a rollout (optional)" param="rolloutId" error={form.error}>
        <select name="rolloutId" value={rolloutId} onChange={(e) => setRolloutId(e.target.value)}>
          <option value="">Everyone (no rollout)</option>
          {rollouts.data?.data.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
      </Field>
    </CreateForm>
  );
}

function limits(item: CatalogItem): string {
  const parts: string[] = [];
  if (item.perMemberLimit !== null) parts.push(`${item.perMemberLimit} per member`);
  if (item.periodLimit) parts.push(`${item.periodLimit.count} per ${item.periodLimit.period} (${item.timeZone})`);
  if (item.totalCap !== null) parts.push(`cap ${formatNumber(item.redeemedCount)} / ${formatNumber(item.totalCap)}`);
  return parts.join(' · ') || 'none';
}

export function Catalog() {
  const [showArchived, setShowArchived] = useState(false);
  const items = usePaged<CatalogItem>(`/v1/catalog/items${showArchived ? '?includeArchived=true' : ''}`);
  const pools = useLoad(() => get<{ data: Pool[] }>('/v1/pools?limit=100'), []);
  const rollouts = useLoad(() => get<{ data: Rollout[] }>('/v1/rollouts?limit=100'), []);
  const poolName = (id: string) => pools.data?.data.find((p) => p.id === id)?.name ?? id;
  const rolloutName = (id: string) => rollouts.data?.data.find((r) => r.id === id)?.name ?? id;
  const { error: actionError, run } = useAction(items.reload);
  const setStatus = (item: CatalogItem, status: 'active' | 'archived') => run(() => post(`/v1/catalog/items/${item.id}`, { status }));
  return (
    <ListPage
      title="Points mall"
      noun="item"
      actions={
        <label className="check">
          <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} /> Show archived
        </label>
      }
      create={(close) => (
        <CreateItem
          onCreated={() => {
            close();
            items.reload();
          }}
        />
      )}
    >
      <Card>
        <ErrorBanner error={actionError} />
        <PagedTable paged={items} empty="No items in the mall yet.">
          <table data-testid="catalog-table">
            <thead>
              <tr>
                <th>Item</th>
                <th className="num">Points</th>
                <th className="num">Stock</th>
                <th className="num">Redeemed</th>
                <th>Limits</th>
                <th>Window</th>
                <th>Rollout</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.items.map((item) => (
                <tr key={item.id}>
                  <td>
                    {item.name}
                    <div className="muted small">
                      from <Link to={`/pools/${item.poolId}`}>{poolName(item.poolId)}</Link>
                    </div>
                  </td>
                  <td className="num">{formatNumber(item.pointsPrice)}</td>
                  <td className="num">{formatNumber(item.stock)}</td>
                  <td className="num">{formatNumber(item.redeemedCount)}</td>
                  <td>{limits(item)}</td>
                  <td>
                    {item.availableFrom || item.availableUntil ? `${formatDate(item.availableFrom)} → ${formatDate(item.availableUntil)}` : 'always'}
                  </td>
                  <td>{item.rolloutId ? <Link to={`/rollouts/${item.rolloutId}`}>{rolloutName(item.rolloutId)}</Link> : 'everyone'}</td>
                  <td>
                    <StatusBadge status={item.status} />
                  </td>
                  <td>
                    {item.status === 'archived' ? (
                      <button type="button" className="secondary small" onClick={() => void setStatus(item, 'active')}>
                        Restore
                      </button>
                    ) : (
                      <button type="button" className="secondary small" onClick={() => void setStatus(item, 'archived')}>
                        Archive
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
    </ListPage>
  );
}
