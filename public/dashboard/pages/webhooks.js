import { del, get, patch, post, query } from '../api.js';
import { EVENT_TYPES } from '../constants.js';
import { announce, append, badge, field, group, h, onSubmit, pageTitle, secretBox, table, when } from '../ui.js';

const href = (hook) => `#/webhooks/${encodeURIComponent(hook.id)}`;

/** Webhook endpoints: list and create (the signing secret shown once). */
export async function renderWebhooks(view) {
  const created = h('div', { id: 'webhook-created' });
  const list = h('div');

  async function refresh() {
    const page = await get('/webhooks?limit=100');
    list.replaceChildren(
      table(
        'Webhook endpoints',
        ['URL', 'Events', 'Status', 'Created'],
        page.data.map((hook) => [
          h('a', { href: href(hook) }, hook.url),
          hook.events.join(', '),
          hook.enabled ? badge('enabled') : badge('disabled'),
          when(hook.createdAt),
        ]),
        'No webhook endpoints yet.',
      ),
    );
  }

  const all = h('input', { type: 'checkbox', name: 'allEvents', id: 'events-all', checked: true });
  const picker = h(
    'select',
    { name: 'events', multiple: true, size: '8', id: 'events-pick', disabled: true },
    EVENT_TYPES.map((type) => h('option', { value: type }, type)),
  );
  all.addEventListener('change', () => {
    picker.disabled = all.checked;
  });

  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'create-hook-title', novalidate: true },
    h('h2', { id: 'create-hook-title' }, 'Add an endpoint'),
    field('URL', h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.com/hooks' }), {
      hint: 'https only, unless the operator allows the host (OUTBOUND_ALLOW_HOSTS).',
    }),
    field('Description', h('input', { name: 'description', maxlength: '500' })),
    group(
      'Events',
      'events',
      h('div', { class: 'check' }, all, h('label', { for: 'events-all' }, 'All events (*)')),
      field('Only these events', picker, { hint: 'Ctrl or Shift with the arrow keys selects several.' }),
    ),
    h('button', { type: 'submit' }, 'Add endpoint'),
  );
  onSubmit(form, async (data) => {
    const events = all.checked ? ['*'] : data.getAll('events').map(String);
    const body = { url: String(data.get('url')).trim(), events };
    const description = String(data.get('description') ?? '').trim();
    if (description) body.description = description;
    const hook = await post('/webhooks', body);
    form.reset();
    picker.disabled = true;
    const box = secretBox(
      'Endpoint added',
      'Signing secret',
      hook.secret,
      'Copy the signing secret now: it is shown only once. Deliveries are signed with it (Standard Webhooks).',
    );
    created.replaceChildren(box, h('p', {}, h('a', { href: href(hook) }, `Open ${hook.url}`)));
    announce('Endpoint added. Copy the signing secret now: it is shown only once.');
    await refresh();
    box.focus();
  });

  await refresh();
  append(view, [
    pageTitle('Webhooks'),
    h('p', { class: 'lead' }, 'Endpoints receive a signed POST for each event they subscribe to.'),
    created,
    form,
    h('h2', {}, 'Endpoints'),
    list,
  ]);
}

/** One endpoint: enable/disable, send a test event, rotate the secret, delete; its deliveries with retry. */
export async function renderWebhook(view, id) {
  const path = `/webhooks/${encodeURIComponent(id)}`;
  let hook = await get(path);
  const info = h('dl', { class: 'facts' });
  const secret = h('div');
  const deliveries = h('div', { id: 'deliveries' });
  const statusFilter = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'All'),
    ['pending', 'succeeded', 'failed'].map((s) => h('option', { value: s }, s)),
  );
  const toggle = h('button', { type: 'button', class: 'secondary' });

  function showInfo() {
    info.replaceChildren(
      h('dt', {}, 'URL'),
      h('dd', {}, hook.url),
      h('dt', {}, 'Events'),
      h('dd', {}, hook.events.join(', ')),
      h('dt', {}, 'Status'),
      h('dd', {}, hook.enabled ? badge('enabled') : badge('disabled')),
      h('dt', {}, 'Description'),
      h('dd', {}, hook.description ?? '—'),
      h('dt', {}, 'Created'),
      h('dd', {}, when(hook.createdAt)),
    );
    toggle.textContent = hook.enabled ? 'Disable' : 'Enable';
  }

  async function loadDeliveries() {
    const page = await get(`${path}/deliveries${query({ limit: 50, status: statusFilter.value })}`);
    deliveries.replaceChildren(
      table(
        'Deliveries, newest first',
        ['Event', 'Status', 'Attempts', 'Last answer', 'Next attempt', 'Created', 'Actions'],
        page.data.map((d) => [
          h('span', {}, h('code', {}, d.eventType), h('br'), h('small', {}, d.eventId)),
          badge(d.status),
          String(d.attempts),
          d.lastResponseStatus ? `HTTP ${d.lastResponseStatus}` : (d.lastError ?? '—'),
          when(d.nextAttemptAt),
          when(d.createdAt),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              'aria-label': `Retry delivery of ${d.eventType} (${d.id})`,
              onclick: () => retry(d),
            },
            'Retry',
          ),
        ]),
        'No deliveries yet.',
      ),
    );
  }

  async function act(fn, message) {
    try {
      await fn();
      if (message) announce(message);
    } catch (err) {
      announce(err.message, 'error');
    }
  }

  const retry = (d) =>
    act(async () => {
      await post(`${path}/deliveries/${encodeURIComponent(d.id)}/retry`);
      await loadDeliveries();
    }, `Delivery of ${d.eventType} queued again.`);

  toggle.addEventListener('click', () =>
    act(async () => {
      hook = await patch(path, { enabled: !hook.enabled });
      showInfo();
    }, 'Endpoint updated.'),
  );
  const test = h('button', { type: 'button' }, 'Send test event');
  test.addEventListener('click', () =>
    act(async () => {
      await post(`${path}/test`);
      await loadDeliveries();
    }, 'Test event sent. Its delivery is listed below once queued: press Refresh.'),
  );
  const rotate = h('button', { type: 'button', class: 'secondary' }, 'Rotate secret');
  rotate.addEventListener('click', () =>
    act(async () => {
      if (!window.confirm('Make a new signing secret? The old one keeps working for 24 hours.')) return;
      const rotated = await post(`${path}/rotate-secret`);
      const box = secretBox(
        'New signing secret',
        'Signing secret',
        rotated.secret,
        'Copy it now: it is shown only once. For 24 hours deliveries carry signatures with both secrets.',
      );
      secret.replaceChildren(box);
      box.focus();
    }, 'New secret made. Copy it now: it is shown only once.'),
  );
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete endpoint');
  remove.addEventListener('click', () =>
    act(async () => {
      if (!window.confirm(`Delete the endpoint ${hook.url}?`)) return;
      await del(path);
      announce('Endpoint deleted.');
      location.hash = '#/webhooks';
    }),
  );
  const refreshButton = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  refreshButton.addEventListener('click', () => act(loadDeliveries, 'Deliveries refreshed.'));
  statusFilter.addEventListener('change', () => act(loadDeliveries));

  showInfo();
  await loadDeliveries();
  append(view, [
    h('p', { class: 'crumbs' }, h('a', { href: '#/webhooks' }, '← Webhooks')),
    pageTitle(`Endpoint ${hook.url}`),
    info,
    h('div', { class: 'actions' }, test, toggle, rotate, remove),
    secret,
    h('h2', {}, 'Deliveries'),
    h('div', { class: 'toolbar' }, field('Status', statusFilter), refreshButton),
    deliveries,
  ]);
}
