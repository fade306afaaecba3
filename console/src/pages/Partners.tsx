import { useState } from 'react';
import { get, post, query } from '../api.js';
import { formatDate } from '../format.js';
import { Link, useRouter } from '../router.js';
import { Card, CreateForm, Empty, ErrorBanner, Field, FormError, Json, ListPage, Loading, Opener, PagedTable, PageHeader, StatusBadge, TextField, useAction, useLoad, usePaged, useSubmit } from '../ui.js';
import { CreateEndpoint, EndpointsTable, rememberSecret, type Endpoint } from './Webhooks.js';

interface Partner {
  id: string;
  code: string;
  name: string;
  requiresAccountLink: boolean;
  createdAt: string;
}
interface Agreement {
  id: string;
  kind: 'co_brand' | 'procurement';
  revenueTerms: Record<string, unknown> | null;
  rules: { forbidPrograms?: string[]; forbidChannels?: string[]; procurementOnly?: boolean };
  validFrom: string;
  validUntil: string | null;
  note: string | null;
  active: boolean;
}
interface PartnerKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[] | null;
  createdAt: string;
  revokedAt: string | null;
}
interface Activation {
  entitlementId: string;
  memberId: string;
  benefitId: string;
  status: string;
  attempts: number;
  retries: number;
  nextAttemptAt: string | null;
  partnerReference: string | null;
  reason: string | null;
  updatedAt: string;
}
interface Activity {
  id: string;
  memberId: string;
  kind: string;
  occurredAt: string;
  reportedAt: string;
}

/** What a partner key may do (src/auth/api-key.ts). */
const SCOPES = ['activations:write', 'usage:write', 'members:read', 'settlements:read'];
const CHANNELS = ['points_mall', 'joint', 'membership'];

function CreatePartner({ onCreated }: { onCreated: (p: Partner) => void }) {
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [requiresAccountLink, setRequiresAccountLink] = useState(false);
  const form = useSubmit(() => post<Partner>('/v1/partners', { code, name, requiresAccountLink }), onCreated);
  return (
    <CreateForm label="Create a partner" form={form} fields={['code', 'name', 'requiresAccountLink']} submitLabel="Create partner">
      <TextField label="Code" name="code" error={form.error} hint="lowercase, e.g. youku" value={code} onChange={setCode} />
      <TextField label="Name" name="name" error={form.error} value={name} onChange={setName} />
      <Field label="Account link" param="requiresAccountLink" error={form.error}>
        <label className="check">
          <input type="checkbox" checked={requiresAccountLink} onChange={(e) => setRequiresAccountLink(e.target.checked)} /> activations wait until the member links
          their account
        </label>
      </Field>
    </CreateForm>
  );
}

export function Partners() {
  const partners = usePaged<Partner>('/v1/partners');
  const { navigate } = useRouter();
  return (
    <ListPage
      title="Partners"
      noun="partner"
      actions={<Link to="/webhooks">Webhooks</Link>}
      create={() => <CreatePartner onCreated={(p) => navigate(`/partners/${p.id}`)} />}
    >
      <Card>
        <PagedTable paged={partners} empty="No partners yet.">
          <table data-testid="partners-table">
            <thead>
              <tr>
                <th>Partner</th>
                <th>Code</th>
                <th>Account link</th>
                <th>Since</th>
              </tr>
            </thead>
            <tbody>
              {partners.items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/partners/${p.id}`}>{p.name}</Link>
                  </td>
                  <td>
                    <code>{p.code}</code>
                  </td>
                  <td>{p.requiresAccountLink ? 'required' : 'not needed'}</td>
                  <td>{formatDate(p.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
    </ListPage>
  );
}

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

function CreateAgreement({ partnerId, onCreated }: { partnerId: string; onCreated: () => void }) {
  const [kind, setKind] = useState<'co_brand' | 'procurement'>('co_brand');
  const [forbidPrograms, setForbidPrograms] = useState('');
  const [forbidChannels, setForbidChannels] = useState<string[]>([]);
  const [procurementOnly, setProcurementOnly] = useState(false);
  const [revenueTerms, setRevenueTerms] = useState('');
  const [validFrom, setValidFrom] = useState('');
  const [validUntil, setValidUntil] = useState('');
  const [note, setNote] = useState('');
  const [termsError, setTermsError] = useState<string | null>(null);
  const form = useSubmit(async () => {
    let terms: unknown;
    if (revenueTerms.trim()) {
      try {
        terms = JSON.parse(revenueTerms);
        setTermsError(null);
      } catch {
        setTermsError('Revenue terms must be a JSON object, e.g. {"sharePercent": 30}');
        throw new Error('Revenue terms are not JSON');
      }
    }
    const rules = {
      ...(list(forbidPrograms).length ? { forbidPrograms: list(forbidPrograms) } : {}),
      ...(forbidChannels.length ? { forbidChannels } : {}),
      ...(procurementOnly ? { procurementOnly } : {}),
    };
    return post(`/v1/partners/${partnerId}/agreements`, {
      kind,
      rules,
      ...(terms !== undefined ? { revenueTerms: terms } : {}),
      ...(validFrom ? { validFrom: new Date(validFrom).toISOString() } : {}),
      ...(validUntil ? { validUntil: new Date(validUntil).toISOString() } : {}),
      ...(note.trim() ? { note: note.trim() } : {}),
    });
  }, onCreated);
  return (
    <CreateForm
      label="Create an agreement"
      form={form}
      fields={['kind', 'rules', 'revenueTerms', 'validFrom', 'validUntil', 'note']}
      error={termsError ? null : form.error}
      submitLabel="Add agreement"
    >
      <Field label="Kind" param="kind" error={form.error}>
        <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'co_brand' | 'procurement')}>
          <option value="co_brand">co-brand (official partnership)</option>
          <option value="procurement">procurement (codes bought in bulk)</option>
        </select>
      </Field>
      <TextField label="Forbidden programs (plan / joint product codes)" name="forbidPrograms" param="rules.forbidPrograms" error={form.error} value={forbidPrograms} onChange={setForbidPrograms} placeholder="jd-plus" />
      <Field label="Forbidden channels" param="rules.forbidChannels" error={form.error}>
        <div className="checks">
          {CHANNELS.map((c) => (
            <label key={c} className="check">
              <input
                type="checkbox"
                checked={forbidChannels.includes(c)}
                onChange={(e) => setForbidChannels((old) => (e.target.checked ? [...old, c] : old.filter((x) => x !== c)))}
              />{' '}
              {c.replace(/_/g, ' ')}
            </label>
          ))}
        </div>
      </Field>
      <Field label="Procurement only" param="rules.procurementOnly" error={form.error}>
        <label className="check">
          <input type="checkbox" checked={procurementOnly} onChange={(e) => setProcurementOnly(e.target.checked)} /> only through pools and the mall
        </label>
      </Field>
      <TextField label="Revenue terms (JSON, optional)" name="revenueTerms" error={form.error} value={revenueTerms} onChange={setRevenueTerms} placeholder='{"sharePercent": 30}'>
        {termsError && <span className="field-error">{termsError}</span>}
      </TextField>
      <TextField label="Valid from (optional)" name="validFrom" error={form.error} value={validFrom} onChange={setValidFrom} type="datetime-local" />
      <TextField label="Valid until (optional)" name="validUntil" error={form.error} value={validUntil} onChange={setValidUntil} type="datetime-local" />
      <TextField label="Note (optional)" name="note" error={form.error} value={note} onChange={setNote} />
    </CreateForm>
  );
}

function Keys({ partnerId }: { partnerId: string }) {
  const keys = useLoad(() => get<{ data: PartnerKey[] }>(`/v1/partners/${partnerId}/keys`), [partnerId]);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['activations:write', 'usage:write']);
  const [secret, setSecret] = useState<string | null>(null);
  const { error: actionError, run } = useAction(keys.reload);
  const form = useSubmit(() => post<{ secret: string | null }>(`/v1/partners/${partnerId}/keys`, { name, scopes }), (created) => {
    setSecret(created.secret);
    setName('');
    keys.reload();
  });
  const revoke = (keyId: string) => run(() => post(`/v1/partners/${partnerId}/keys/${keyId}/revoke`, {}));
  return (
    <>
      {secret && (
        <div className="notice" data-testid="partner-key-secret">
          The new key, shown this once: <code className="code">{secret}</code>
        </div>
      )}
      <ErrorBanner error={keys.error ?? actionError} />
      {keys.data && keys.data.data.length === 0 ? (
        <Empty>No keys.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Key</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.data?.data.map((k) => (
              <tr key={k.id}>
                <td>
                  {k.name}
                  <div className="muted small">
                    <code>{k.prefix}…</code>
                  </div>
                </td>
                <td>{k.scopes?.join(', ') ?? '—'}</td>
                <td>{formatDate(k.createdAt)}</td>
                <td>{k.revokedAt ? <StatusBadge status="revoked" /> : <StatusBadge status="active" />}</td>
                <td>
                  {!k.revokedAt && (
                    <button type="button" className="secondary small" onClick={() => void revoke(k.id)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline-form" onSubmit={form.submit} aria-label="Create a partner key">
        <TextField label="New key name" name="keyName" param="name" error={form.error} value={name} onChange={setName} />
        <Field label="Scopes" param="scopes" error={form.error}>
          <div className="checks">
            {SCOPES.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes((old) => (e.target.checked ? [...old, s] : old.filter((x) => x !== s)))} /> {s}
              </label>
            ))}
          </div>
        </Field>
        <button type="submit" disabled={form.busy}>
          Create key
        </button>
        <FormError error={form.error} fields={['name', 'scopes']} />
      </form>
    </>
  );
}

function Activations({ partnerId }: { partnerId: string }) {
  const [status, setStatus] = useState('');
  const activations = usePaged<Activation>(`/v1/activations${query({ partnerId, status })}`, 20, (a) => a.entitlementId);
  const { error: actionError, run } = useAction(activations.reload);
  const retry = (entitlementId: string) => run(() => post(`/v1/activations/${entitlementId}/retry`, {}));
  return (
    <>
      <label className="field inline">
        <span className="field-label">Status</span>
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">all</option>
          {['awaiting_link', 'requested', 'confirmed', 'rejected', 'failed', 'closed'].map((s) => (
            <option key={s} value={s}>
              {s.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </label>
      <ErrorBanner error={actionError} />
      <PagedTable paged={activations} empty="No activations." emptyOnError>
        <table>
          <thead>
            <tr>
              <th>Member</th>
              <th>Status</th>
              <th className="num">Attempts</th>
              <th>Reference / reason</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {activations.items.map((a) => (
              <tr key={a.entitlementId}>
                <td>
                  <Link to={`/members/${a.memberId}`}>{a.memberId}</Link>
                </td>
                <td>
                  <StatusBadge status={a.status} />
                </td>
                <td className="num">
                  {a.attempts}
                  {a.retries ? ` (${a.retries} retries)` : ''}
                </td>
                <td>{a.partnerReference ?? a.reason ?? '—'}</td>
                <td>{formatDate(a.updatedAt)}</td>
                <td>
                  {(a.status === 'failed' || a.status === 'rejected') && (
                    <button type="button" className="secondary small" onClick={() => void retry(a.entitlementId)}>
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </PagedTable>
    </>
  );
}

export function PartnerDetail({ id }: { id: string }) {
  const partner = useLoad(() => get<Partner>(`/v1/partners/${id}`), [id]);
  const agreements = useLoad(() => get<{ data: Agreement[] }>(`/v1/partners/${id}/agreements`), [id]);
  const endpoints = useLoad(() => get<{ data: Endpoint[] }>(`/v1/webhooks/endpoints${query({ partnerId: id, limit: 100 })}`), [id]);
  const activity = usePaged<Activity>(`/v1/partners/${id}/activity`, 10);
  const { navigate } = useRouter();
  if (partner.error) return <ErrorBanner error={partner.error} />;
  if (!partner.data) return <Loading what="the partner" />;
  const p = partner.data;
  return (
    <>
      <PageHeader title={p.name}>
        <Link to="/partners">All partners</Link>
      </PageHeader>
      <Card>
        <p className="muted">
          <code>{p.id}</code> · code <code>{p.code}</code> · {p.requiresAccountLink ? 'members link their account first' : 'no account link needed'} · since{' '}
          {formatDate(p.createdAt)}
        </p>
      </Card>
      <Card title="Agreements">
        <ErrorBanner error={agreements.error} />
        {agreements.data && agreements.data.data.length === 0 && <Empty>No agreements.</Empty>}
        {agreements.data && agreements.data.data.length > 0 && (
          <table>
            <thead>
              <tr>
                <th>Kind</th>
                <th>Rules</th>
                <th>Revenue terms</th>
                <th>Valid</th>
                <th>In force</th>
              </tr>
            </thead>
            <tbody>
              {agreements.data.data.map((a) => (
                <tr key={a.id}>
                  <td>
                    {a.kind.replace(/_/g, ' ')}
                    {a.note && <div className="muted small">{a.note}</div>}
                  </td>
                  <td>
                    {[
                      a.rules.forbidPrograms?.length ? `not in ${a.rules.forbidPrograms.join(', ')}` : '',
                      a.rules.forbidChannels?.length ? `not through ${a.rules.forbidChannels.join(', ')}` : '',
                      a.rules.procurementOnly ? 'procurement only' : '',
                    ]
                      .filter(Boolean)
                      .join('; ') || 'none'}
                  </td>
                  <td>{a.revenueTerms ? <Json value={a.revenueTerms} /> : '—'}</td>
                  <td>
                    {formatDate(a.validFrom)} → {a.validUntil ? formatDate(a.validUntil) : 'open'}
                  </td>
                  <td>{a.active ? <StatusBadge status="active" /> : <StatusBadge status="inactive" />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Opener label="Add an agreement" className="secondary">
          {(close) => (
            <CreateAgreement
              partnerId={p.id}
              onCreated={() => {
                close();
                agreements.reload();
              }}
            />
          )}
        </Opener>
      </Card>
      <Card title="API keys">
        <Keys partnerId={p.id} />
      </Card>
      <Card title="Webhook endpoints">
        <ErrorBanner error={endpoints.error} />
        {endpoints.data && endpoints.data.data.length === 0 ? <Empty>No endpoints.</Empty> : <EndpointsTable endpoints={endpoints.data?.data ?? []} />}
        <Opener label="Add an endpoint" className="secondary">
          {() => (
            <CreateEndpoint
              partnerId={p.id}
              onCreated={(e) => {
                rememberSecret(e.id, e.secret);
                navigate(`/webhooks/${e.id}`);
              }}
            />
          )}
        </Opener>
      </Card>
      <Card title="Activations">
        <Activations partnerId={p.id} />
      </Card>
      <Card title="Reported activity">
        <PagedTable paged={activity} empty="No activity reported." emptyOnError>
          <table>
            <thead>
              <tr>
                <th>Member</th>
                <th>Kind</th>
                <th>Occurred</th>
                <th>Reported</th>
              </tr>
            </thead>
            <tbody>
              {activity.items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={`/members/${a.memberId}`}>{a.memberId}</Link>
                  </td>
                  <td>{a.kind.replace(/_/g, ' ')}</td>
                  <td>{formatDate(a.occurredAt)}</td>
                  <td>{formatDate(a.reportedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
    </>
  );
}
