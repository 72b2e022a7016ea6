import { del, get, post } from '../api.js';
import { SCOPES } from '../constants.js';
import { announce, append, badge, field, group, h, onSubmit, pageTitle, secretBox, table, when } from '../ui.js';

const AREAS = [...new Set(SCOPES.filter((s) => s !== '*').map((s) => s.split(':')[0]))];

function keyStatus(key) {
  if (key.revokedAt) return badge('revoked');
  if (key.expiresAt && new Date(key.expiresAt) <= new Date()) return badge('expired');
  return badge('active');
}

/** API keys: create (scopes, expiry; the key shown once), list, revoke. Keys need the session. */
export async function renderKeys(view) {
  const list = h('div', { id: 'key-list' });
  const created = h('div', { id: 'key-created' });

  async function refresh() {
    const page = await get('/api-keys?limit=100');
    list.replaceChildren(
      table(
        'Keys of this school, newest first',
        ['Name', 'Prefix', 'Scopes', 'Created', 'Last used', 'Expires', 'Status', 'Actions'],
        page.data.map((key) => [
          key.name,
          h('code', {}, key.prefix),
          key.permissions.join(', '),
          when(key.createdAt),
          when(key.lastUsedAt),
          key.expiresAt ? when(key.expiresAt) : 'never',
          keyStatus(key),
          key.revokedAt
            ? ''
            : h(
                'button',
                { type: 'button', class: 'danger', 'aria-label': `Revoke ${key.name}`, onclick: () => revoke(key) },
                'Revoke',
              ),
        ]),
        'No keys yet.',
      ),
    );
  }

  async function revoke(key) {
    if (!window.confirm(`Revoke “${key.name}”? Programs using it stop working at once.`)) return;
    try {
      await del(`/api-keys/${encodeURIComponent(key.id)}`);
      announce(`Key “${key.name}” revoked.`);
      await refresh();
      view.querySelector('h1')?.focus();
    } catch (err) {
      announce(err.message, 'error');
    }
  }

  const all = h('input', { type: 'checkbox', name: 'all', id: 'scope-all' });
  const selects = AREAS.map((area) =>
    field(
      area[0].toUpperCase() + area.slice(1),
      h(
        'select',
        { name: `scope-${area}`, 'data-area': area },
        h('option', { value: '' }, 'No access'),
        h('option', { value: `${area}:read` }, 'Read'),
        h('option', { value: `${area}:write` }, 'Read and write'),
      ),
      { path: `scope-${area}` },
    ),
  );
  all.addEventListener('change', () => {
    for (const s of view.querySelectorAll('select[data-area]')) s.disabled = all.checked;
  });

  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'create-key-title', novalidate: true },
    h('h2', { id: 'create-key-title' }, 'Create a key'),
    field('Name', h('input', { name: 'name', required: true, maxlength: '100' })),
    field('Description', h('input', { name: 'description' }), { hint: 'Optional: what uses this key.' }),
    group(
      'Scopes',
      'permissions',
      h('div', { class: 'check' }, all, h('label', { for: 'scope-all' }, 'Full access (*)')),
      h('div', { class: 'scope-grid' }, selects),
    ),
    field('Expires after (days)', h('input', { name: 'expiresInDays', type: 'number', min: '1', max: '3650' }), {
      hint: 'Leave empty for a key that does not expire.',
    }),
    h('button', { type: 'submit' }, 'Create key'),
  );
  onSubmit(form, async (data) => {
    const permissions = all.checked
      ? ['*']
      : AREAS.map((a) => String(data.get(`scope-${a}`) ?? '')).filter((scope) => scope !== '');
    const body = { name: String(data.get('name')).trim(), permissions };
    const description = String(data.get('description') ?? '').trim();
    if (description) body.description = description;
    const days = String(data.get('expiresInDays') ?? '').trim();
    if (days) body.expiresInDays = Number(days);
    const key = await post('/api-keys', body);
    form.reset();
    for (const s of view.querySelectorAll('select[data-area]')) s.disabled = false;
    const box = secretBox(
      `Key “${key.name}” created`,
      'API key',
      key.key,
      'Copy this key now: it is shown only once. Send it as “Authorization: Bearer <key>”.',
    );
    created.replaceChildren(box);
    announce(`Key “${key.name}” created. Copy it now: it is shown only once.`);
    await refresh();
    box.focus();
  });

  await refresh();
  append(view, [
    pageTitle('API keys'),
    h('p', { class: 'lead' }, 'Keys let programs use the API for this school. Give each one only the scopes it needs.'),
    created,
    form,
    h('h2', {}, 'All keys'),
    list,
  ]);
}
