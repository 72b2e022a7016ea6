import { get, patch } from '../api.js';
import { announce, append, field, group, h, onSubmit, pageTitle } from '../ui.js';

const TYPES = ['text', 'number', 'boolean', 'date'];

/** School settings: GET /school, PATCH /school with only the fields that changed. */
export async function renderSettings(view) {
  let school = await get('/school');
  const rowsBox = h('div', { class: 'custom-fields' });
  let rowCount = 0;

  function customRow(def) {
    const i = rowCount++;
    const row = h(
      'div',
      { class: 'custom-row', 'data-path': `customFields.${i}` },
      field('Key', h('input', { name: 'cf-key', value: def?.key ?? '' }), {
        path: `customFields.${i}.key`,
      }),
      field('Label', h('input', { name: 'cf-label', value: def?.label ?? '' }), { path: `customFields.${i}.label` }),
      field(
        'Type',
        h(
          'select',
          { name: 'cf-type' },
          TYPES.map((t) => h('option', { value: t, selected: def?.type === t }, t)),
        ),
        { path: `customFields.${i}.type` },
      ),
    );
    const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove');
    remove.addEventListener('click', () => {
      row.remove();
      renumber();
      announce('Custom field removed; save to keep the change.');
    });
    row.append(remove);
    return row;
  }

  /** Rows are sent in page order: their API paths (`customFields.N.key`) follow it. */
  function renumber() {
    rowsBox.querySelectorAll('.custom-row').forEach((row, i) => {
      row.dataset.path = `customFields.${i}`;
      row.querySelector('button')?.setAttribute('aria-label', `Remove custom field ${i + 1}`);
      for (const control of row.querySelectorAll('input, select')) {
        control.dataset.path = `customFields.${i}.${control.name.slice(3)}`;
      }
    });
  }

  function fill() {
    rowCount = 0;
    rowsBox.replaceChildren(...school.customFields.map(customRow));
    renumber();
    form.elements.name.value = school.name;
    form.elements.currency.value = school.currency;
    form.elements.timezone.value = school.timezone;
    form.elements.rateLimitPerMinute.value = String(school.rateLimitPerMinute);
    form.elements.maxUploadBytes.value = String(school.maxUploadBytes);
    form.elements.mediaQuotaBytes.value = String(school.mediaQuotaBytes);
  }

  const add = h('button', { type: 'button', class: 'secondary' }, 'Add a custom field');
  add.addEventListener('click', () => {
    const row = customRow();
    rowsBox.append(row);
    renumber();
    row.querySelector('input')?.focus();
  });

  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'settings-title', novalidate: true },
    h('h2', { id: 'settings-title' }, 'School'),
    field('Name', h('input', { name: 'name', required: true, maxlength: '255' })),
    field('Currency', h('input', { name: 'currency', maxlength: '3', autocomplete: 'off' }), {
      hint: 'ISO 4217 code, e.g. USD or EUR.',
    }),
    field('Time zone', h('input', { name: 'timezone', autocomplete: 'off' }), {
      hint: 'IANA name, e.g. Europe/Berlin. Streaks count days in this zone.',
    }),
    field('Requests per minute', h('input', { name: 'rateLimitPerMinute', type: 'number', min: '1' }), {
      hint: 'Per key or session. The operator sets a ceiling; empty: the server default.',
    }),
    field('Largest upload (bytes)', h('input', { name: 'maxUploadBytes', type: 'number', min: '1' }), {
      hint: 'Empty: the server default.',
    }),
    field('Media quota (bytes)', h('input', { name: 'mediaQuotaBytes', type: 'number', min: '0' }), {
      hint: 'Empty: the server default.',
    }),
    group('Custom fields of courses', 'customFields', rowsBox, add),
    h('button', { type: 'submit' }, 'Save settings'),
  );

  onSubmit(form, async (data) => {
    const body = {};
    for (const k of ['name', 'currency', 'timezone']) {
      const v = String(data.get(k) ?? '').trim();
      if (v !== school[k]) body[k] = v;
    }
    for (const k of ['rateLimitPerMinute', 'maxUploadBytes', 'mediaQuotaBytes']) {
      const v = String(data.get(k) ?? '').trim();
      const n = v === '' ? null : Number(v);
      if (n !== school[k]) body[k] = n;
    }
    const keys = data.getAll('cf-key').map(String);
    const labels = data.getAll('cf-label').map(String);
    const types = data.getAll('cf-type').map(String);
    const defs = keys.map((key, i) => ({ key: key.trim(), label: labels[i]?.trim() ?? '', type: types[i] }));
    if (JSON.stringify(defs) !== JSON.stringify(school.customFields)) body.customFields = defs;
    if (!Object.keys(body).length) {
      announce('Nothing changed.');
      return;
    }
    school = await patch('/school', body);
    fill();
    announce('Settings saved.');
  });

  fill();
  append(view, [pageTitle('School settings'), form]);
}
