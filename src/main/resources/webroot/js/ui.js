// Shared interaction pieces: toasts, the confirmation dialog, the token dialog, and busy buttons.
import {h} from './dom.js';

/** A short message in the corner (role=status, so screen readers hear it). */
export function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = h('div', {class: `toast toast-${kind}`, text});
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 9000 : 5000);
}

function modal(dialog, opened, onClose) {
  return new Promise((resolve) => {
    const done = (value) => {
      dialog.removeEventListener('close', closed);
      if (dialog.open) dialog.close();
      onClose?.();
      resolve(value);
    };
    // Escape closes the dialog; a close event of an earlier use may arrive after this use opened it: ignored
    const closed = () => {
      if (!dialog.open) done(undefined);
    };
    dialog.addEventListener('close', closed);
    opened(done);
    dialog.showModal();
  });
}

/** Asks before doing something that changes a deployment or deletes data; resolves true or false. */
export function confirm(text, yes = 'OK') {
  const dialog = document.getElementById('confirm-dialog');
  const ok = document.getElementById('confirm-yes');
  const no = document.getElementById('confirm-no');
  document.getElementById('confirm-text').textContent = text;
  ok.textContent = yes;
  let handlers;
  return modal(dialog, (done) => {
    handlers = [() => done(true), () => done(false)];
    ok.addEventListener('click', handlers[0]);
    no.addEventListener('click', handlers[1]);
    ok.focus();
  }, () => {
    ok.removeEventListener('click', handlers[0]);
    no.removeEventListener('click', handlers[1]);
  }).then((v) => v === true);
}

/** Asks for the bearer token; resolves the token, or null when cancelled. The input is cleared at once. */
export function askToken(reason) {
  const dialog = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const cancel = document.getElementById('token-cancel');
  const text = document.getElementById('token-reason');
  text.textContent = reason;
  text.className = reason.startsWith('Refused') ? 'refused' : '';
  input.value = '';
  let submit;
  let dismiss;
  return modal(dialog, (done) => {
    submit = (e) => {
      e.preventDefault();
      const token = input.value.trim();
      input.value = '';
      if (token) done(token);
    };
    dismiss = () => done(null);
    form.addEventListener('submit', submit);
    cancel.addEventListener('click', dismiss);
    input.focus();
  }, () => {
    input.value = '';
    form.removeEventListener('submit', submit);
    cancel.removeEventListener('click', dismiss);
  }).then((v) => v || null);
}

/**
 * Runs an action for a button: the button is disabled (and aria-busy) while it runs, so a second click
 * cannot send it twice; the result or the error goes to `status` (an element with role=status) and a toast.
 */
export async function busy(button, action, status) {
  if (button.disabled) return undefined;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (status) {
    status.className = 'result pending';
    status.textContent = 'Working…';
  }
  try {
    const message = await action();
    if (status) {
      status.className = 'result ok';
      status.textContent = message || 'Done';
    }
    if (message) toast(message, 'ok');
    return message;
  } catch (e) {
    const message = e?.message || String(e);
    if (status) {
      status.className = 'result error';
      status.textContent = message;
    }
    toast(message, 'error');
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
