import { byId } from './dom.js';

let timer;

/** Shows a problem at the top of the page (an alert for screen readers); it fades after 8 s unless sticky. */
export function showNotice(text, { sticky = false } = {}) {
  const notice = byId('notice');
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(timer);
  if (!sticky) timer = setTimeout(hideNotice, 8000);
}

export function hideNotice() {
  clearTimeout(timer);
  byId('notice').hidden = true;
}
