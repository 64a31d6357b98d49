// The demo page's entry: the sign-in list of demo users, then one chat session at a time. The
// user signed in is kept in the address (?user=…), so a reload or a second tab comes back as them.
import { startChatSession } from './chat-session.js';
import { fetchDemoUsers } from './demo-api.js';
import { byId, h } from './dom.js';
import { hideNotice, showNotice } from './notice.js';

let session;
/** Counts sign-ins, so one that finishes after a newer one started gives way. */
let attempt = 0;

function setUserInAddress(userId) {
  const url = new URL(location.href);
  if (userId) url.searchParams.set('user', userId);
  else url.searchParams.delete('user');
  history.replaceState(null, '', url);
}

function showSignedIn(user) {
  byId('sign-in').hidden = Boolean(user);
  byId('chat').hidden = !user;
  byId('account').hidden = !user;
  byId('signed-in-as').textContent = user ? `Signed in as ${user.name} (${user.role})` : '';
}

async function signOut() {
  attempt++;
  const current = session;
  session = undefined;
  showSignedIn(undefined);
  setUserInAddress(undefined);
  await current?.close();
}

async function signIn(user, users) {
  await signOut();
  const mine = ++attempt;
  hideNotice();
  setUserInAddress(user.userId);
  showSignedIn(user);
  try {
    const started = await startChatSession({ user, users });
    if (mine !== attempt) return void started.close();
    session = started;
    byId('conversation-list').querySelector('button')?.focus();
  } catch (error) {
    if (mine !== attempt) return;
    await signOut();
    showNotice(error.message, { sticky: true });
  }
}

function renderSignIn({ signIn: available, users }) {
  const nameOf = (userId) => users.find((user) => user.userId === userId)?.name ?? userId;
  const buttons = users.map((user) => {
    const button = h(
      'button',
      { type: 'button', dataset: { userId: user.userId }, disabled: !available },
      h('strong', {}, user.name),
      ` (${user.role})`,
      h('br'),
      h('small', {}, `${user.userId}: chats with ${user.partners.map(nameOf).join(' and ')}`),
    );
    button.addEventListener('click', () => void signIn(user, users));
    return h('li', {}, button);
  });
  byId('demo-users').replaceChildren(...buttons);
  if (!available) {
    byId('sign-in-help').textContent =
      'Signing in is off here: this server does not verify tokens with the public development secret of npm start (JWT_SECRET is set), so it signs no demo tokens.';
  }
}

async function main() {
  byId('sign-out').addEventListener('click', () => void signOut());
  let directory;
  try {
    directory = await fetchDemoUsers();
  } catch (error) {
    showNotice(error.message, { sticky: true });
    return;
  }
  renderSignIn(directory);
  const wanted = new URL(location.href).searchParams.get('user');
  const user = directory.users.find((candidate) => candidate.userId === wanted);
  if (user && directory.signIn) await signIn(user, directory.users);
}

void main();
