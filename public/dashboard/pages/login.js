import { post } from '../api.js';
import { field, h, onSubmit } from '../ui.js';

/** The owner's (or an admin's) login: POST /auth/login sets the session cookie. */
export function renderLogin(view, done) {
  const schoolField = field('School id', h('input', { name: 'schoolId', autocomplete: 'off' }), {
    hint: 'Your email runs several schools: give the id of the one to open.',
  });
  schoolField.hidden = true;
  const form = h(
    'form',
    { class: 'card narrow', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title', tabindex: '-1' }, 'Log in to your school'),
    field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    field(
      'Password',
      h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    ),
    schoolField,
    h('button', { type: 'submit' }, 'Log in'),
  );
  onSubmit(form, async (data) => {
    const body = { email: String(data.get('email')).trim(), password: String(data.get('password')) };
    const schoolId = String(data.get('schoolId') ?? '').trim();
    if (schoolId) body.schoolId = schoolId;
    try {
      done(await post('/auth/login', body));
    } catch (err) {
      if (err.details?.some((d) => d.path === 'schoolId')) schoolField.hidden = false;
      throw err;
    }
  });
  view.append(form);
}
