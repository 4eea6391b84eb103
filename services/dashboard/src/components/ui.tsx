import { type ReactNode, useId } from 'react';
import { ApiError, describeError, fieldError } from '../lib/problem.js';

/** A failed request, said plainly: the problem's detail, and the status for support. */
export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const status = error instanceof ApiError ? error.status : undefined;
  const title = error instanceof ApiError ? error.title : 'Something went wrong';
  return (
    <div className="alert-box" role="alert">
      <strong>{title}</strong>
      {status ? <span className="muted"> ({status})</span> : null}
      <div>{describeError(error)}</div>
      {onRetry ? (
        <button type="button" onClick={onRetry} style={{ marginTop: '0.5rem' }}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** An empty list says why it is empty and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}

interface FieldProps {
  label: string;
  name: string;
  error?: unknown;
  hint?: string;
  children: (props: {
    id: string;
    name: string;
    'aria-invalid': boolean;
    'aria-describedby': string | undefined;
  }) => ReactNode;
}

/** A labelled input with its hint and its field error (from the API's problem) wired for screen readers. */
export function Field({ label, name, error, hint, children }: FieldProps) {
  const id = useId();
  const message = fieldError(error, name);
  const described = [hint ? `${id}-hint` : '', message ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, name, 'aria-invalid': Boolean(message), 'aria-describedby': described })}
      {hint ? (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {message ? (
        <span className="error" id={`${id}-err`}>
          {message}
        </span>
      ) : null}
    </div>
  );
}

const LABELS: Record<string, string> = {
  not_started: 'Not started',
  in_progress: 'In progress',
  finished: 'Finished',
};

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span className={`badge ${value}`}>{label ?? LABELS[value] ?? value.replace(/_/g, ' ')}</span>;
}

export function formatValue(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (Number.isInteger(v)) return v.toLocaleString();
  return v.toLocaleString(undefined, { maximumFractionDigits: digits });
}
