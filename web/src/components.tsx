/** Small building blocks shared by the views. */
import type { ComponentChildren } from 'preact';
import { ApiError, needsAdmin } from './api.js';
import { navigate } from './router.js';

/** An in-app link: a real <a href> (middle-click, copy link work), routed without a reload. */
export function Link(props: { href: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page'; 'aria-label'?: string }) {
  const { href, children, ...rest } = props;
  const onClick = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}

/** Online/Offline as a word and a shape (filled/hollow dot, drawn by CSS), never colour alone. */
export function Status(props: { online: boolean }) {
  return <span class={`status ${props.online ? 'online' : 'offline'}`}>{props.online ? 'Online' : 'Offline'}</span>;
}

export function YesNo(props: { value: boolean }) {
  return <span class={props.value ? 'yes' : 'no'}>{props.value ? 'Yes' : 'No'}</span>;
}

/** An API failure, in words; admin-only data says how to get the rights. */
export function Problem(props: { error: unknown; what: string }) {
  const e = props.error;
  if (needsAdmin(e)) {
    return (
      <p class="note" role="note">
        {props.what.charAt(0).toUpperCase() + props.what.slice(1)}: needs admin rights. Open this page from the control plane's host (localhost), or enter the admin token (from &lt;data-dir&gt;/admin-token) under “Admin token”.
      </p>
    );
  }
  const msg = e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
  return (
    <p class="error" role="alert">
      Could not load {props.what}: {msg}
    </p>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {props.what}…
    </p>
  );
}

export function Section(props: { title: string; id: string; children: ComponentChildren; extra?: ComponentChildren }) {
  return (
    <section aria-labelledby={props.id}>
      <div class="section-head">
        <h2 id={props.id}>{props.title}</h2>
        {props.extra}
      </div>
      {props.children}
    </section>
  );
}

/** A definition list of label/value pairs. */
export function Facts(props: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {props.items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
