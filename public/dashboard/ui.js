/** Small DOM helpers: elements built with text nodes only (no HTML strings), forms, messages. */

/**
 * `h('button', { type: 'button', onclick }, 'Save')`. Attributes starting with `on` become
 * listeners; `true`/`false` set or drop boolean attributes; children may be strings, nodes,
 * arrays, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'value') el.value = value;
    // defaultChecked too, so form.reset() returns to it.
    else if (name === 'checked') el.checked = el.defaultChecked = Boolean(value);
    else if (name === 'selected') el.selected = Boolean(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children as `h` does: strings as text, arrays flattened, null/false skipped. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

/** Says `message` in the live region (screen readers) and shows it. */
export function announce(message, kind = 'info') {
  const region = document.getElementById('status');
  if (!region) return;
  region.textContent = '';
  region.dataset.kind = kind;
  // A fresh text node after clearing makes a repeated message be read again.
  requestAnimationFrame(() => {
    region.textContent = message;
  });
  // The visible toast goes after a while; the message has been read by then.
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    if (region.textContent === message) region.textContent = '';
  }, 8000);
}
let announceTimer;

/**
 * A labelled field: `field('Name', h('input', { name: 'name' }), { hint })`. The control gets an
 * id, the label points at it, and `data-path` (default: the control's name) tells
 * `showErrors` which API `details[].path` belongs here.
 */
export function field(label, control, { hint, path } = {}) {
  const id = control.id || nextId('f');
  control.id = id;
  control.dataset.path = path ?? control.name ?? '';
  const described = [];
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${id}-hint` }, hint);
    described.push(hintEl.id);
    control.setAttribute('aria-describedby', described.join(' '));
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, control);
}

/** A group of controls (checkboxes, selects) under one legend, answering for `path`. */
export function group(legend, path, ...children) {
  const fs = h('fieldset', { class: 'group', 'data-path': path, tabindex: '-1' }, h('legend', {}, legend), children);
  return fs;
}

/** Removes the messages `showErrors` added. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error, .form-errors')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') ?? '').split(' ').filter((x) => x && !x.endsWith('-error'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  }
}

/** The element that answers for an API path: exact `data-path`, else the longest prefix (`permissions.0` → `permissions`). */
function findTarget(form, path) {
  const candidates = [...form.querySelectorAll('[data-path]')].filter((el) => el.dataset.path);
  let best = null;
  for (const el of candidates) {
    const p = el.dataset.path;
    if (p === path) return el;
    if (path.startsWith(`${p}.`) && (!best || p.length > best.dataset.path.length)) best = el;
  }
  return best;
}

/**
 * Shows an API error on a form: each `details[]` entry next to the field its `path` names
 * (`aria-invalid`, `aria-describedby`), the rest at the top of the form; focuses the first.
 */
export function showErrors(form, err) {
  clearErrors(form);
  const loose = [];
  let first = null;
  for (const detail of err.details ?? []) {
    const target = detail.path ? findTarget(form, detail.path) : null;
    if (!target) {
      loose.push(detail.path ? `${detail.path}: ${detail.message}` : detail.message);
      continue;
    }
    const id = `${target.id || nextId('g')}-error`;
    if (!target.id) target.id = id.replace(/-error$/, '');
    const existing = document.getElementById(id);
    if (existing) existing.append(` ${detail.message}`);
    else {
      const msg = h('p', { class: 'field-error', id }, detail.message);
      if (target.tagName === 'FIELDSET') target.append(msg);
      else target.insertAdjacentElement('afterend', msg);
    }
    target.setAttribute('aria-invalid', 'true');
    const ids = new Set((target.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean));
    ids.add(id);
    target.setAttribute('aria-describedby', [...ids].join(' '));
    first ??= target;
  }
  if (loose.length || !first) {
    const box = h(
      'div',
      { class: 'form-errors', role: 'alert', tabindex: '-1' },
      h('p', {}, err.message),
      loose.length
        ? h(
            'ul',
            {},
            loose.map((m) => h('li', {}, m)),
          )
        : null,
    );
    form.prepend(box);
    first ??= box;
  }
  announce(err.message, 'error');
  first.focus();
}

/**
 * Runs `action` for a form's submit: the submit button is disabled meanwhile, API errors are
 * shown on the form, other errors rethrown.
 */
export function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll('button[type="submit"]');
    for (const b of buttons) b.disabled = true;
    clearErrors(form);
    try {
      await action(new FormData(form));
    } catch (err) {
      if (err?.details !== undefined) showErrors(form, err);
      else throw err;
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  });
  return form;
}

/** A secret shown once (a key or a webhook secret): a read-only field and a copy button. */
export function secretBox(title, label, secret, note) {
  const input = h('input', { type: 'text', readonly: true, value: secret, class: 'secret', spellcheck: 'false' });
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      // Outside a secure context there is no clipboard API: select it for the user to copy.
      input.select();
      document.execCommand?.('copy');
    }
    announce(`${label} copied.`);
  });
  const box = h(
    'section',
    { class: 'secret-box', 'aria-labelledby': 'secret-title', tabindex: '-1' },
    h('h2', { id: 'secret-title' }, title),
    h('p', { class: 'warning' }, note),
    field(label, input),
    copy,
  );
  return box;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return h('time', { datetime: iso }, dateFormat.format(d));
}

/** A table with a caption, header cells with scope, and one row per item. */
export function table(caption, headers, rows, empty = 'Nothing here yet.') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((c) => h('td', {}, c)),
          ),
        ),
      ),
    ),
  );
}

export function badge(text, kind = text) {
  return h('span', { class: `badge badge-${kind}` }, text);
}

/** A page heading that takes focus after navigation, so keyboard and reader users land on it. */
export function pageTitle(text) {
  return h('h1', { tabindex: '-1', id: 'page-title' }, text);
}

/** Shows a load error in place of a page. */
export function failure(err) {
  return h(
    'div',
    { class: 'form-errors', role: 'alert' },
    h('p', {}, err?.message ?? String(err)),
    err?.requestId ? h('p', { class: 'hint' }, `Request id: ${err.requestId}`) : null,
  );
}
