import { type FormEvent, useState } from 'react';
import { type FirmwareImage, firmware } from '../../api/firmware.js';
import { useMe } from '../../api/session.js';
import { useWorkingTenant } from '../../components/TenantPicker.js';
import { Badge, Empty, ErrorBox, Field, Loading } from '../../components/ui.js';
import { can } from '../../lib/permissions.js';
import { formatTs } from '../../lib/time.js';
import { useAction, useResource } from '../../lib/use-resource.js';
import { href, navigate } from '../../router.js';

const TZ = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** Firmware images per device type, their upload, and rollouts to devices (#18). */
export function FirmwarePage() {
  const me = useMe();
  const mayWrite = can(me.role, 'devices:write');
  const working = useWorkingTenant();
  const images = useResource((signal) => firmware.list(signal), []);
  const rollouts = useResource((signal) => firmware.rollouts(signal), []);
  const remove = useAction(async (image: FirmwareImage) => {
    if (!window.confirm(`Delete firmware ${image.version} for ${image.deviceType}?`)) return;
    await firmware.remove(image.id);
    images.mutate((l) => l?.filter((i) => i.id !== image.id));
  });

  return (
    <div className="page">
      <h1>Firmware</h1>
      {mayWrite ? working.picker : null}
      {mayWrite ? (
        <UploadForm tenantId={working.tenantId} onUploaded={(i) => images.mutate((l) => [i, ...(l ?? [])])} />
      ) : null}
      <section className="panel" aria-labelledby="images-h">
        <h2 id="images-h">Images</h2>
        <ErrorBox error={images.error ?? remove.error} onRetry={images.reload} />
        {images.loading && !images.data ? <Loading /> : null}
        {images.data?.length === 0 ? (
          <Empty title="No firmware yet">Upload an image for a device type to roll it out.</Empty>
        ) : null}
        {images.data && images.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Device type</th>
                  <th>Version</th>
                  <th>Size</th>
                  <th>sha256</th>
                  <th>Uploaded</th>
                  {mayWrite ? <th>Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {images.data.map((i) => (
                  <tr key={i.id} data-image-id={i.id}>
                    <td>{i.deviceType}</td>
                    <td>
                      <code>{i.version}</code>
                    </td>
                    <td>{formatBytes(i.size)}</td>
                    <td>
                      <code title={i.sha256}>{i.sha256.slice(0, 12)}…</code>
                    </td>
                    <td>{formatTs(i.createdAt, TZ)}</td>
                    {mayWrite ? (
                      <td className="row">
                        <RolloutButton image={i} />
                        <button type="button" onClick={() => void remove.run(i)} disabled={remove.pending}>
                          Delete
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="rollouts-h">
        <h2 id="rollouts-h">Rollouts</h2>
        <ErrorBox error={rollouts.error} onRetry={rollouts.reload} />
        {rollouts.data?.length === 0 ? <p className="muted">No rollouts yet.</p> : null}
        {rollouts.data && rollouts.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Started</th>
                  <th>Version</th>
                  <th>Status</th>
                  <th>Updated / devices</th>
                </tr>
              </thead>
              <tbody>
                {rollouts.data.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <a href={href(`/firmware/rollouts/${r.id}`)}>{formatTs(r.createdAt, TZ)}</a>
                    </td>
                    <td>
                      {r.deviceType} <code>{r.version}</code>
                    </td>
                    <td>
                      <Badge value={r.status} />
                    </td>
                    <td>
                      {r.summary.updated} / {r.summary.total}
                      {r.summary.failed ? <span className="muted"> ({r.summary.failed} failed)</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </div>
  );
}

function UploadForm({
  tenantId,
  onUploaded,
}: {
  tenantId: string | undefined;
  onUploaded: (i: FirmwareImage) => void;
}) {
  const [deviceType, setDeviceType] = useState('');
  const [version, setVersion] = useState('');
  const [notes, setNotes] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const upload = useAction(async () => {
    if (!file) return;
    onUploaded(
      await firmware.upload({ deviceType: deviceType.trim(), version: version.trim(), notes, tenantId }, file),
    );
    setVersion('');
    setNotes('');
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file && deviceType.trim() && version.trim()) void upload.run();
  };
  return (
    <section className="panel" aria-labelledby="upload-h">
      <h2 id="upload-h">Upload an image</h2>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field label="Device type" name="deviceType" error={upload.error} hint="e.g. generic, ozone">
          {(p) => <input {...p} required value={deviceType} onChange={(e) => setDeviceType(e.target.value)} />}
        </Field>
        <Field label="Version" name="version" error={upload.error} hint="e.g. 1.5.0">
          {(p) => <input {...p} required value={version} onChange={(e) => setVersion(e.target.value)} />}
        </Field>
        <Field label="Notes" name="notes" error={upload.error} hint="Optional.">
          {(p) => <input {...p} value={notes} onChange={(e) => setNotes(e.target.value)} />}
        </Field>
        <Field label="Image file" name="file" error={upload.error} hint="The server computes its sha256.">
          {(p) => <input {...p} type="file" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
        </Field>
        <button className="primary" type="submit" disabled={upload.pending || !file || !deviceType || !version}>
          {upload.pending ? 'Uploading…' : 'Upload'}
        </button>
        <ErrorBox error={upload.error} />
      </form>
    </section>
  );
}

/** Starts a rollout of an image: to the listed devices, or every device of its type. */
function RolloutButton({ image }: { image: FirmwareImage }) {
  const [open, setOpen] = useState(false);
  const [ids, setIds] = useState('');
  const [hours, setHours] = useState('24');
  const start = useAction(async () => {
    const deviceIds = ids
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const r = await firmware.startRollout({
      imageId: image.id,
      ...(deviceIds.length ? { deviceIds } : {}),
      ttl: Math.round(Math.max(1 / 60, Number(hours) || 24) * 3600),
    });
    navigate(`/firmware/rollouts/${r.id}`);
  });
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Roll out
      </button>
    );
  return (
    <form
      className="inline-form"
      aria-label={`Roll out ${image.version}`}
      onSubmit={(e) => {
        e.preventDefault();
        void start.run();
      }}
    >
      <Field label="Devices" name="deviceIds" error={start.error} hint={`Ids; empty: every ${image.deviceType} device`}>
        {(p) => <input {...p} value={ids} onChange={(e) => setIds(e.target.value)} />}
      </Field>
      <Field label="Expires after (hours)" name="ttl" error={start.error}>
        {(p) => <input {...p} inputMode="decimal" value={hours} onChange={(e) => setHours(e.target.value)} />}
      </Field>
      <button className="primary" type="submit" disabled={start.pending}>
        Start rollout
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorBox error={start.error} />
    </form>
  );
}
