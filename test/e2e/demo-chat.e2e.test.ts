import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalConversationId } from '@chat/contracts';
import { createDb, createMessageStore } from '@chat/db';
import { createLogger } from '@chat/observability';
import { testServiceUrls } from '@chat/testing';
import { startChatProcess, type ChatProcess } from './support/chat-process';
import { launchChromium, type ChromiumWindow } from './support/chromium';
import { ARTIFACTS, DemoPage } from './support/demo-page';

/** The demo users (services/history-service/src/domain/demo-users.ts) and their list entries. */
const SAM = 'demo-student';
const TARA = 'demo-tutor';
const THEO = 'demo-tutor-2';

describe('the demo chat page in Chromium, against the system npm start runs', () => {
  let system: ChatProcess;
  let studentBrowser: ChromiumWindow;
  let tutorBrowser: ChromiumWindow;
  const pages: DemoPage[] = [];

  const open = async (browser: ChromiumWindow, label: string, user?: string) => {
    const query = user ? `?user=${user}` : '';
    const page = await DemoPage.open(browser.context, `${system.baseUrl}/chat/demo${query}`, label);
    pages.push(page);
    return page;
  };

  beforeAll(async () => {
    // Only this run's screenshots.
    await rm(ARTIFACTS, { recursive: true, force: true });
    system = await startChatProcess({ label: 'e2e', logFile: join(ARTIFACTS, 'chat.log') });
    [studentBrowser, tutorBrowser] = await Promise.all([launchChromium(), launchChromium()]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([studentBrowser?.close(), tutorBrowser?.close()]);
    await system?.stop();
  });

  afterEach(async () => {
    // Each test signs its people in afresh: a tab left open would stay online and mark read.
    const done = pages.splice(0);
    await Promise.all(done.map((page) => page.close()));
    // Whatever the steps showed, the page's own scripts must not have failed or logged errors.
    const problems = done.flatMap((page) => page.problems.map((text) => `${page.label}: ${text}`));
    expect(problems).toEqual([]);
  });

  it('when a student and a tutor with a booking chat, then messages go both ways live with typing, delivered and read ticks, each sees the other come and go, and the student gets what was sent while away, in order', async () => {
    // Sam signs in from the sign-in list: both tutors are listed, neither written to yet.
    const sam = await open(studentBrowser, 'student');
    await sam.signIn(SAM);
    await sam.untilPreview(TARA, 'No messages yet');
    await sam.untilPreview(THEO, 'No messages yet');
    await sam.screenshot('signed-in');
    const tara = await open(tutorBrowser, 'tutor');
    await tara.signIn(TARA);

    // Sam types to Tara, who has not opened the conversation: her list says "typing…".
    await sam.openConversation(TARA, 'Tara (tutor)');
    await sam.type('Hi Tara, can we go over fractions?');
    await tara.untilPreview(SAM, 'typing…');
    await tara.screenshot('student-typing');

    // Enter sends: Tara's device has it (delivered), unread in her list; not read yet.
    await sam.page.locator('#draft').press('Enter');
    await tara.untilUnread(SAM, 1);
    await tara.untilPreview(SAM, 'Hi Tara, can we go over fractions?');
    await sam.untilStatus('Hi Tara, can we go over fractions?', 'delivered');
    await sam.screenshot('sent-delivered');
    await tara.screenshot('unread-badge');

    // Tara opens the conversation: it is marked read, and Sam sees the read ticks.
    await tara.openConversation(SAM, 'Sam (student)');
    await tara.untilMessages(['Hi Tara, can we go over fractions?']);
    await tara.untilUnread(SAM, 0);
    await sam.untilStatus('Hi Tara, can we go over fractions?', 'read');
    await sam.screenshot('read-receipt');

    // Tara types: Sam sees "Tara is typing…"; her answer arrives live and the indicator goes.
    await tara.type('Sure');
    await sam.untilTyping('Tara is typing…');
    await sam.screenshot('tutor-typing');
    await tara.type(', fractions it is.');
    await tara.page.locator('#draft').press('Enter');
    const conversation = ['Hi Tara, can we go over fractions?', 'Sure, fractions it is.'];
    await sam.untilMessages(conversation);
    await sam.untilTyping('');
    await tara.untilStatus('Sure, fractions it is.', 'read');
    await tara.screenshot('reply-read');

    // Tara closes her tab and comes back: Sam's list shows her dot go grey, then green.
    await tara.close();
    await sam.untilPresence(TARA, 'offline');
    const taraBack = await open(tutorBrowser, 'tutor-back', TARA);
    await taraBack.untilConnected();
    await sam.untilPresence(TARA, 'online');
    await sam.screenshot('tutor-back-online');
    // Sam was online before Tara came back: she knows it from `connected`, not from a change.
    await taraBack.untilPresence(SAM, 'online');
    await taraBack.openConversation(SAM, 'Sam (student)');
    await taraBack.untilMessages(conversation);

    // Sam closes his tab: Tara sees him go offline, and her messages stay "sent".
    await sam.close();
    await taraBack.untilPresence(SAM, 'offline');
    const missed = [
      'While you were away: 1/3',
      'While you were away: 2/3',
      'While you were away: 3/3',
    ];
    for (const text of missed) await taraBack.send(text);
    await taraBack.untilMessages([...conversation, ...missed]);
    for (const text of missed) await taraBack.untilStatus(text, 'sent');
    await taraBack.screenshot('sent-while-student-away');

    // Sam comes back (the address keeps him signed in): three unread, then all of it in order.
    const samAgain = await open(studentBrowser, 'student-back', SAM);
    await samAgain.untilConnected();
    await taraBack.untilPresence(SAM, 'online');
    await samAgain.untilUnread(TARA, 3);
    await samAgain.untilPreview(TARA, 'While you were away: 3/3');
    await samAgain.screenshot('back-with-unread');
    await samAgain.openConversation(TARA, 'Tara (tutor)');
    await samAgain.untilMessages([...conversation, ...missed]);
    for (const text of missed) await taraBack.untilStatus(text, 'read');
    await samAgain.screenshot('caught-up');
    await taraBack.screenshot('missed-messages-read');
  });

  it('when the student’s network drops, then what he sends meanwhile waits as "sending" and goes out, in order, once it is back', async () => {
    const sam = await open(studentBrowser, 'student-offline', SAM);
    await sam.untilConnected();
    const tara = await open(tutorBrowser, 'tutor-2', TARA);
    await tara.untilConnected();
    await sam.openConversation(TARA, 'Tara (tutor)');
    await tara.openConversation(SAM, 'Sam (student)');

    await sam.setOffline(true);
    await sam.untilDisconnected();
    const queued = ['Sent from the tunnel 1', 'Sent from the tunnel 2'];
    for (const text of queued) await sam.send(text);
    for (const text of queued) await sam.untilStatus(text, 'sending');
    await sam.screenshot('offline-sending');

    await sam.setOffline(false);
    for (const text of queued) await sam.untilStatus(text, 'read');
    const texts = await tara.messageTexts();
    expect(texts.slice(-2)).toEqual(queued);
    await sam.screenshot('back-online-read');
    await tara.screenshot('got-queued-sends');
  });

  it('when a conversation has more history than a page, then scrolling up loads the older pages above, every message once and in order', async () => {
    const total = 45;
    const texts = Array.from({ length: total }, (_, i) => `Theo's note ${i + 1}`);
    await storeMessages(THEO, SAM, texts);

    const sam = await open(studentBrowser, 'student-history', SAM);
    await sam.untilConnected();
    await sam.untilUnread(THEO, total);
    await sam.openConversation(THEO, 'Theo (tutor)');
    // The newest page (20) first, scrolled to the bottom.
    await sam.untilMessages(texts.slice(-20));
    await sam.screenshot('history-newest-page');

    // Scrolling to the top loads the page before; what was on screen stays where it was.
    await sam.page.locator('#message-scroller').evaluate((scroller) => {
      scroller.scrollTop = 0;
    });
    await sam.untilMessages(texts.slice(-40));
    await sam.untilInView("Theo's note 26");
    await sam.screenshot('history-older-page');
    // The button does the same for keyboard users; the last page is the start.
    await sam.page.locator('#load-older').focus();
    await sam.page.keyboard.press('Enter');
    await sam.untilMessages(texts);
    await sam.untilHistoryStart();
    await sam.untilUnread(THEO, 0);
    await sam.screenshot('history-start');
  });
});

/** Stores messages straight into this run's database, as message-service would have. */
async function storeMessages(from: string, to: string, texts: readonly string[]): Promise<void> {
  const db = createDb(
    { url: testServiceUrls().databaseUrl, poolMax: 1 },
    createLogger({ service: 'e2e', level: 'silent' }),
  );
  try {
    const store = createMessageStore(db.knex);
    for (const body of texts) {
      await store.storeMessage({
        conversationId: canonicalConversationId(from, to),
        senderId: from,
        receiverId: to,
        body,
        clientMessageId: randomUUID(),
      });
    }
  } finally {
    await db.close();
  }
}
