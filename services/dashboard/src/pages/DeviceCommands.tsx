import { type FormEvent, useEffect, useState } from 'react';
import { commands as commandsApi } from '../api/endpoints.js';
import { useMe } from '../api/session.js';
import type { Command } from '../api/types.js';
import { Badge, ErrorBox, Field } from '../components/ui.js';
import { can } from '../lib/permissions.js';
import { formatTs } from '../lib/time.js';
import { useAction, useResource } from '../lib/use-resource.js';

const OPEN = new Set(['queued', 'sent', 'delivered']);

/** A device's commands (#18): send one (managers), see each one's state and reply as it changes. */
export function DeviceCommands({ deviceId, timeZone }: { deviceId: string; timeZone: string }) {
  const me = useMe();
  const mayWrite = can(me.role, 'devices:write');
  const list = useResource((signal) => commandsApi.list(deviceId, signal), [deviceId]);
  const { reload } = list;
  const waiting = (list.data ?? []).some((c) => OPEN.has(c.status));
  // the store is the record: poll it while a command is on its way
  useEffect(() => {
    if (!waiting) return;
    const t = setInterval(reload, 2_000);
    return () => clearInterval(t);
  }, [waiting, reload]);

  return (
    <section className="panel" aria-labelledby="commands-h">
      <h2 id="commands-h" style={{ marginTop: 0 }}>
        Commands
      </h2>
      {mayWrite ? <SendCommand deviceId={deviceId} onSent={(c) => list.mutate((l) => upsert(l ?? [], c))} /> : null}
      <ErrorBox error={list.error} onRetry={reload} />
      {list.data && list.data.length === 0 ? (
        <p className="muted">No commands yet. A command waits in the store until the device is connected.</p>
      ) : null}
      {list.data && list.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Sent</th>
                <th>Command</th>
                <th>State</th>
                <th>Reply</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => (
                <tr key={c.id} data-command-id={c.id}>
                  <td>{formatTs(c.createdAt, timeZone)}</td>
                  <td>
                    <code>{c.name}</code>{' '}
                    {Object.keys(c.params).length > 0 ? <code>{JSON.stringify(c.params)}</code> : null}
                  </td>
                  <td>
                    <Badge value={c.status} />
                  </td>
                  <td>{c.error ?? (c.reply === null ? '' : JSON.stringify(c.reply))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function upsert(list: Command[], c: Command): Command[] {
  return list.some((x) => x.id === c.id) ? list.map((x) => (x.id === c.id ? c : x)) : [c, ...list];
}

function SendCommand({ deviceId, onSent }: { deviceId: string; onSent: (c: Command) => void }) {
  const [name, setName] = useState('');
  const [params, setParams] = useState('');
  const [expectReply, setExpectReply] = useState(true);
  const [paramsError, setParamsError] = useState<string | null>(null);
  const send = useAction(async () => {
    let parsed: Record<string, unknown> = {};
    if (params.trim()) {
      try {
        parsed = JSON.parse(params) as Record<string, unknown>;
      } catch {
        setParamsError('Parameters must be a JSON object, e.g. {"seconds": 30}');
        return;
      }
    }
    setParamsError(null);
    // wait a few seconds for the reply: a connected device usually answers at once
    onSent(await commandsApi.send(deviceId, { name: name.trim(), params: parsed, expectReply }, expectReply ? 5 : 0));
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) void send.run();
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate>
      <Field label="Command" name="name" error={send.error} hint="e.g. refill, reboot, set_interval">
        {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Parameters (JSON)" name="params" error={send.error} hint={paramsError ?? 'Optional.'}>
        {(p) => <input {...p} value={params} onChange={(e) => setParams(e.target.value)} placeholder="{}" />}
      </Field>
      <label className="row">
        <input type="checkbox" checked={expectReply} onChange={(e) => setExpectReply(e.target.checked)} /> Wait for a
        reply
      </label>
      <button className="primary" type="submit" disabled={send.pending || !name.trim()}>
        Send command
      </button>
      <ErrorBox error={send.error} />
    </form>
  );
}
