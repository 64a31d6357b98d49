/**
 * The message box: Enter sends (Shift+Enter starts a new line, and Enter while an input method
 * is composing is left to it), every edit tells whether a draft is being typed.
 * `onSend(text)` gets the trimmed text; `onTyping(isTyping)` true while the draft has text.
 * Its listeners go when `signal` aborts (the user signs out; the elements stay for the next).
 */
export function createComposer({ form, textarea, signal, onSend, onTyping }) {
  const send = () => {
    const text = textarea.value.trim();
    if (!text) return;
    textarea.value = '';
    onTyping(false);
    onSend(text);
  };

  form.addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      send();
      textarea.focus();
    },
    { signal },
  );
  textarea.addEventListener(
    'keydown',
    (event) => {
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      send();
    },
    { signal },
  );
  textarea.addEventListener('input', () => onTyping(textarea.value.trim() !== ''), { signal });

  return {
    /** Shown for an open conversation, hidden without one; the draft stays with its conversation. */
    show(visible) {
      form.hidden = !visible;
    },
    clear() {
      textarea.value = '';
    },
    focus: () => textarea.focus(),
  };
}
