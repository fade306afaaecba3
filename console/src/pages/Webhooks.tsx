import { Fragment, useEffect, useState } from 'react';
import { get, post, query } from '../api.js';
import { formatDate } from '../format.js';
import { Link, useRouter } from '../router.js';
import { Card, CreateForm, ErrorBanner, Field, ListPage, Loading, PagedTable, PageHeader, PartnerSuggestions, StatusBadge, TextField, useAction, useLoad, usePaged, useSubmit } from '../ui.js';

export interface Endpoint {
  id: string;
  partnerId: string | null;
  url: string;
  description: string | null;
  eventTypes: string[];
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  disabledAt: string | null;
  createdAt: string;
}
interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
}
interface Attempt {
  id: string;
  attempt: number;
  outcome: string;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  createdAt: string;
}
const STATUSES = ['pending', 'succeeded', 'failed_retrying', 'dead', 'canceled'];

// A new endpoint's secret is shown once on its page, without passing through the URL (history).
const freshSecrets = new Map<string, string>();
export function rememberSecret(endpointId: string, secret: string): void {
  freshSecrets.set(endpointId, secret);
}

function SecretOnce({ secret }: { secret: string }) {
  return (
    <div className="notice" data-testid="webhook-secret">
      Signing secret, shown this once: <code className="code">{secret}</code>
    </div>
  );
}

export function CreateEndpoint({ partnerId, onCreated }: { partnerId?: string; onCreated: (e: Endpoint & { secret: string }) => void }) {
  const types = useLoad(() => get<{ data: Array<{ type: string; description: string }> }>('/v1/webhooks/event-types'), []);
  const [url, setUrl] = useState('');
  const [eventTypes, setEventTypes] = useState<string[]>(['*']);
  const [description, setDescription] = useState('');
  const [partner, setPartner] = useState(partnerId ?? '');
  const form = useSubmit(
    () =>
      post<Endpoint & { secret: string }>('/v1/webhooks/endpoints', {
        url,
        eventTypes,
        ...(partner.trim() ? { partnerId: partner.trim() } : {}),
        ...(description.trim() ? { description: description.trim() } : {}),
      }),
    onCreated,
  );
  const toggle = (type: string, on: boolean) => setEventTypes((old) => (on ? [...old.filter((t) => t !== type), type] : old.filter((t) => t !== type)));
  return (
    <CreateForm
      label="Create a webhook endpoint"
      form={form}
      fields={['url', 'description', 'partnerId', 'eventTypes']}
      submitLabel="Create endpoint"
      below={
        <Field label="Events" param="eventTypes" error={form.error}>
          <div className="checks">
            <label className="check">
              <input type="checkbox" checked={eventTypes.includes('*')} onChange={(e) => toggle('*', e.target.checked)} /> every event (*)
            </label>
            {types.data?.data.map((t) => (
              <label className="check" key={t.type} title={t.description}>
                <input type="checkbox" checked={eventTypes.includes(t.type)} onChange={(e) => toggle(t.type, e.target.checked)} /> {t.type}
              </label>
            ))}
          </div>
        </Field>
      }
    >
      <TextField label="URL" name="url" error={form.error} value={url} onChange={setUrl} placeholder="https://partner.example/webhooks/tessera" />
      <TextField label="Description (optional)" name="description" error={form.error} value={description} onChange={setDescription} />
      {partnerId === undefined && (
        <TextField label="Partner id (optional)" name="partnerId" error={form.error} list="webhook-partners" value={partner} onChange={setPartner} placeholder="ptr_…">
          <PartnerSuggestions id="webhook-partners" values="id" />
        </TextField>
      )}
    </CreateForm>
  );
}

export function EndpointsTable({ endpoints }: { endpoints: Endpoint[] }) {
  return (
    <table data-testid="webhook-endpoints">
      <thead>
        <tr>
          <th>Endpoint</th>
          <th>Events</th>
          <th>Partner</th>
          <th>Status</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {endpoints.map((e) => (
          <tr key={e.id}>
            <td>
              <Link to={`/webhooks/${e.id}`}>{e.url}</Link>
              {e.description && <div className="muted small">{e.description}</div>}
            </td>
            <td>{e.eventTypes.join(', ')}</td>
            <td>{e.partnerId ? <Link to={`/partners/${e.partnerId}`}>{e.partnerId}</Link> : '—'}</td>
            <td>
              <StatusBadge status={e.status} />
              {e.disabledReason ? <span className="muted"> ({e.disabledReason})</span> : null}
            </td>
            <td>{formatDate(e.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Webhooks() {
  const endpoints = usePaged<Endpoint>('/v1/webhooks/endpoints');
  const { navigate } = useRouter();
  return (
    <ListPage
      title="Webhooks"
      noun="endpoint"
      create={() => (
        <CreateEndpoint
          onCreated={(e) => {
            rememberSecret(e.id, e.secret);
            navigate(`/webhooks/${e.id}`);
          }}
        />
      )}
    >
      <Card>
        <PagedTable paged={endpoints} empty="No webhook endpoints yet.">
          <EndpointsTable endpoints={endpoints.items} />
        </PagedTable>
      </Card>
    </ListPage>
  );
}

function DeliveryAttempts({ id, onReplayed }: { id: string; onReplayed: () => void }) {
  const detail = useLoad(() => get<Delivery & { attempts: Attempt[] }>(`/v1/webhooks/deliveries/${id}`), [id]);
  const replay = useSubmit(() => post(`/v1/webhooks/deliveries/${id}/replay`, {}), () => {
    detail.reload();
    onReplayed();
  });
  if (detail.error) return <ErrorBanner error={detail.error} />;
  if (!detail.data) return <Loading />;
  return (
    <div className="delivery-detail">
      {detail.data.attempts.length === 0 && <p className="muted small">No attempt yet{detail.data.nextAttemptAt ? `: the first is due ${formatDate(detail.data.nextAttemptAt)}` : ''}.</p>}
      <table className="compact">
        <thead>
          <tr>
            <th>Attempt</th>
            <th>Outcome</th>
            <th>Status code</th>
            <th>Duration</th>
            <th>Response / error</th>
            <th>When</th>
          </tr>
        </thead>
        <tbody>
          {detail.data.attempts.map((a) => (
            <tr key={a.id}>
              <td>{a.attempt}</td>
              <td>{a.outcome}</td>
              <td>{a.statusCode ?? '—'}</td>
              <td>{a.durationMs} ms</td>
              <td>
                <code className="small">{a.error ?? a.responseBody ?? ''}</code>
              </td>
              <td>{formatDate(a.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBanner error={replay.error} />
      <button type="button" className="small" onClick={() => void replay.submit()} disabled={replay.busy}>
        Replay now
      </button>
    </div>
  );
}

export function WebhookDetail({ id }: { id: string }) {
  const [secret] = useState(() => freshSecrets.get(id) ?? null);
  useEffect(() => {
    freshSecrets.delete(id);
  }, [id]);
  const endpoint = useLoad(() => get<Endpoint>(`/v1/webhooks/endpoints/${id}`), [id]);
  const [status, setStatus] = useState('');
  const deliveries = usePaged<Delivery>(`/v1/webhooks/endpoints/${id}/deliveries${query({ status })}`, 20);
  const [open, setOpen] = useState<string | null>(null);
  const [newSecret, setNewSecret] = useState<string | null>(null);
  const [since, setSince] = useState('');
  const [replayNote, setReplayNote] = useState<string | null>(null);

  const { error: actionError, run: act } = useAction(() => {
    endpoint.reload();
    deliveries.reload();
  });
  if (endpoint.error) return <ErrorBanner error={endpoint.error} />;
  if (!endpoint.data) return <Loading what="the endpoint" />;
  const e = endpoint.data;
  return (
    <>
      <PageHeader title={e.url}>
        <Link to="/webhooks">All endpoints</Link>
      </PageHeader>
      {secret && <SecretOnce secret={secret} />}
      {newSecret && <SecretOnce secret={newSecret} />}
      <Card>
        <dl className="facts">
          <dt>Id</dt>
          <dd>
            <code>{e.id}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={e.status} /> {e.disabledReason ? `(${e.disabledReason} ${formatDate(e.disabledAt)})` : ''}
          </dd>
          <dt>Events</dt>
          <dd>{e.eventTypes.join(', ')}</dd>
          <dt>Partner</dt>
          <dd>{e.partnerId ?? '—'}</dd>
        </dl>
        <ErrorBanner error={actionError} />
        <div className="button-row">
          <button type="button" className="secondary" onClick={() => void act(() => post(`/v1/webhooks/endpoints/${id}/test`, {}))}>
            Send a test event
          </button>
          <button type="button" className="secondary" onClick={() => void act(() => post(`/v1/webhooks/endpoints/${id}`, { enabled: e.status !== 'enabled' }))}>
            {e.status === 'enabled' ? 'Disable' : 'Enable'}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() =>
              void act(async () => {
                const rotated = await post<{ secret: string }>(`/v1/webhooks/endpoints/${id}/rotate-secret`, {});
                setNewSecret(rotated.secret);
              })
            }
          >
            Rotate secret
          </button>
        </div>
        <form
          className="inline-form"
          onSubmit={(ev) => {
            ev.preventDefault();
            void act(async () => {
              const answer = await post<{ replayed: number }>(`/v1/webhooks/endpoints/${id}/replay`, { since: since ? new Date(since).toISOString() : '' });
              setReplayNote(`${answer.replayed} deliveries sent again.`);
            });
          }}
        >
          <TextField label="Replay failed, dead and canceled deliveries since" name="since" error={actionError} value={since} onChange={setSince} type="datetime-local" />
          <button type="submit" className="secondary">
            Replay
          </button>
          {replayNote && <span className="muted">{replayNote}</span>}
        </form>
      </Card>
      <Card title="Delivery log">
        <label className="field inline">
          <span className="field-label">Status</span>
          <select value={status} onChange={(ev) => setStatus(ev.target.value)}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <PagedTable paged={deliveries} empty="No deliveries." emptyOnError>
          <table data-testid="webhook-deliveries">
            <thead>
              <tr>
                <th>Event</th>
                <th>Status</th>
                <th className="num">Attempts</th>
                <th>Last answer</th>
                <th>Next attempt</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {deliveries.items.map((d) => (
                <Fragment key={d.id}>
                  <tr>
                    <td>
                      {d.eventType}
                      <div className="muted small">
                        <code>{d.eventId}</code>
                      </div>
                    </td>
                    <td>
                      <StatusBadge status={d.status} />
                    </td>
                    <td className="num">{d.attemptCount}</td>
                    <td>{d.lastStatusCode ?? d.lastError ?? '—'}</td>
                    <td>{formatDate(d.nextAttemptAt)}</td>
                    <td>{formatDate(d.createdAt)}</td>
                    <td>
                      <button type="button" className="secondary small" onClick={() => setOpen(open === d.id ? null : d.id)}>
                        {open === d.id ? 'Hide' : 'Attempts & replay'}
                      </button>
                    </td>
                  </tr>
                  {open === d.id && (
                    <tr>
                      <td colSpan={7}>
                        <DeliveryAttempts id={d.id} onReplayed={deliveries.reload} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
    </>
  );
}
