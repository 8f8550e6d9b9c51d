import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiFailure, api } from "./api";

/** A modal on the native <dialog>: focus stays inside, Escape closes, the page behind is inert. */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    return () => dialog.close();
  }, []);
  const titleId = `dlg-${props.title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <dialog
      ref={ref}
      class={props.wide ? "wide" : undefined}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/** What a failed request says: the API's message, and its per-field messages by path. */
export interface Problem {
  message: string;
  fields: Record<string, string>;
}

export function problemOf(e: unknown): Problem {
  if (e instanceof ApiFailure) {
    const fields: Record<string, string> = {};
    for (const d of e.details) fields[d.path] ??= d.message;
    return { message: e.message, fields };
  }
  return { message: e instanceof Error ? e.message : String(e), fields: {} };
}

/** A labelled input with the API's message for its path shown beside it. */
export function Field(props: {
  id: string;
  label: string;
  problem?: Problem | null;
  path?: string;
  hint?: string;
  children: (aria: Record<string, string | boolean>) => ComponentChildren;
}) {
  const error = props.problem?.fields[props.path ?? props.id];
  const described = [props.hint ? `${props.id}-hint` : "", error ? `${props.id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children({
        id: props.id,
        ...(described ? { "aria-describedby": described } : {}),
        ...(error ? { "aria-invalid": "true" } : {}),
      })}
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {error && (
        <small id={`${props.id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

/** The request's message, with any field messages that no field on the form shows. */
export function ProblemBanner(props: { problem: Problem | null; shownPaths?: string[] }) {
  if (!props.problem) return null;
  const fields = Object.entries(props.problem.fields);
  const rest = fields.filter(([path]) => !props.shownPaths?.includes(path));
  // The API's own message ("invalid body: ttl") is for programs; a person is pointed at the fields.
  const message =
    fields.length === 0
      ? props.problem.message
      : rest.length < fields.length
        ? "Please correct the marked fields."
        : "Please correct:";
  return (
    <div role="alert" class="problem">
      <p>{message}</p>
      {rest.length > 0 && (
        <ul>
          {rest.map(([path, message]) => (
            <li key={path}>
              {path}: {message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Times in UTC, minutes precision: the same reading for everyone looking at one incident. */
export function when(iso: string | null | undefined, none = "never"): string {
  if (!iso) return none;
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

/** A time in a table cell: UTC (the column says so), minutes precision, never split over two lines. */
export function When(props: { iso: string | null | undefined; none?: string }) {
  if (!props.iso) return <span class="muted">{props.none ?? "never"}</span>;
  return (
    <time dateTime={props.iso} title={when(props.iso)}>
      {props.iso.slice(0, 16).replace("T", " ")}
    </time>
  );
}

/** `pulumi:<stack>:<urn>` as the stack and the resource name (the URN's last `::` part). */
export function pulumiOwner(
  managedBy: string | null | undefined,
): { stack: string; resource: string; urn: string } | null {
  const m = managedBy ? /^pulumi:([^:]+):(.+)$/.exec(managedBy) : null;
  if (!m) return null;
  const parts = m[2].split("::");
  return { stack: m[1], urn: m[2], resource: parts[parts.length - 1] };
}

export function Loading(props: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

/** A form's Submit and Cancel. */
export function FormButtons(props: { submit: string; busy: boolean; onCancel: () => void }) {
  return (
    <div class="buttons">
      <button type="submit" class="primary" disabled={props.busy}>
        {props.submit}
      </button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** "Delete X?": what the delete does (children), then Cancel or the DELETE of `path`; a refusal stays in the dialog. */
export function ConfirmDelete(props: {
  title: string;
  path: string;
  confirm: string;
  onClose: (changed: boolean) => void;
  children: ComponentChildren;
}) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await api.del(props.path);
      props.onClose(true);
    } catch (e) {
      setProblem(problemOf(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={() => props.onClose(false)}>
      <ProblemBanner problem={problem} />
      {props.children}
      <div class="buttons">
        <button type="button" onClick={() => props.onClose(false)}>
          Cancel
        </button>
        <button type="button" class="danger" disabled={busy} onClick={remove}>
          {props.confirm}
        </button>
      </div>
    </Dialog>
  );
}

/** A table's column headings. */
export function Columns(props: { names: string[] }) {
  return (
    <thead>
      <tr>
        {props.names.map((n) => (
          <th scope="col" key={n}>
            {n}
          </th>
        ))}
      </tr>
    </thead>
  );
}
