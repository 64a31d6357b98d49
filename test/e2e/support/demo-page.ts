import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** Where the screenshots of each step go (gitignored). */
export const ARTIFACTS = join(__dirname, '..', '..', '..', 'test-results', 'e2e');

/** How long one wait for the page to show something may take. */
const WAIT_MS = 15_000;

let shotNumber = 0;

/** What an own message's ticks say, as the page marks them (data-status). */
export type TickStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

/** What the page shows now, for failure messages. */
interface Snapshot {
  connection: string | undefined;
  conversations: string[];
  title: string | null;
  messages: string[];
  typing: string | null;
  notice: string | null;
}

/**
 * One person's tab of the demo page, driven like a person would (clicks, typing, Enter) and
 * read from the DOM. Every wait polls the DOM until it shows what is expected and fails with
 * what it shows instead; no step sleeps. Errors the page's scripts raise or log are collected
 * (`problems`); the browser's own reports of failed requests are only tolerated while the test
 * has cut the network (`offline`).
 */
export class DemoPage {
  readonly problems: string[] = [];
  private offline = false;

  private constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly label: string,
  ) {
    page.on('pageerror', (error) => this.problems.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const networkReport = /^(Failed to load resource: net::|WebSocket connection to .* failed)/;
      if (this.offline && networkReport.test(message.text())) return;
      this.problems.push(`console.error: ${message.text()} (${message.location().url})`);
    });
  }

  /** A new tab on `url` (the demo page, with ?user= to come back signed in). */
  static async open(context: BrowserContext, url: string, label: string): Promise<DemoPage> {
    const page = await context.newPage();
    const demo = new DemoPage(page, context, label);
    await page.goto(url);
    return demo;
  }

  async signIn(userId: string): Promise<void> {
    await this.page.locator(`#demo-users [data-user-id="${userId}"]`).click();
    await this.untilConnected();
  }

  untilConnected(): Promise<void> {
    return this.until('to be connected', () => {
      return document.getElementById('connection')?.dataset.state === 'online';
    });
  }

  untilDisconnected(): Promise<void> {
    return this.until('to show it is not connected', () => {
      const state = document.getElementById('connection')?.dataset.state;
      return state === 'offline' || state === 'connecting';
    });
  }

  /** Opens the conversation with `partnerId` from the list. */
  async openConversation(partnerId: string, title: string): Promise<void> {
    await this.page.locator(`.conversation-item[data-partner-id="${partnerId}"]`).click();
    await this.until(
      `the conversation with ${partnerId} to be open`,
      ([id, heading]) =>
        document
          .querySelector(`.conversation-item[data-partner-id="${id}"]`)
          ?.getAttribute('aria-current') === 'true' &&
        document.getElementById('conversation-title')?.textContent === heading &&
        !document.getElementById('composer')?.hidden,
      [partnerId, title],
    );
  }

  /** Types into the message box (each keystroke an input event, as a person's). */
  async type(text: string): Promise<void> {
    await this.page.locator('#draft').pressSequentially(text);
  }

  /** Types `text` and sends it with Enter. */
  async send(text: string): Promise<void> {
    await this.type(text);
    await this.page.locator('#draft').press('Enter');
    await this.until('the message box to be empty after Enter', () => {
      return (document.getElementById('draft') as HTMLTextAreaElement | null)?.value === '';
    });
  }

  /** Waits until the open conversation shows exactly these texts, top to bottom. */
  untilMessages(texts: readonly string[]): Promise<void> {
    return this.until(
      `the conversation to show ${JSON.stringify(texts)}`,
      (expected) =>
        JSON.stringify(
          Array.from(document.querySelectorAll('#message-list .message .text')).map(
            (element) => element.textContent,
          ),
        ) === JSON.stringify(expected),
      texts,
    );
  }

  /** Waits until the own message with this text shows `status` (its ticks). */
  untilStatus(text: string, status: TickStatus): Promise<void> {
    return this.until(
      `"${text}" to be ${status}`,
      ([wanted, tick]) =>
        Array.from(document.querySelectorAll<HTMLElement>('#message-list .message.own')).some(
          (row) =>
            row.querySelector('.text')?.textContent === wanted &&
            row.dataset.status === tick &&
            row.querySelector('.ticks')?.getAttribute('aria-label')?.toLowerCase() === tick,
        ),
      [text, status],
    );
  }

  /** Waits until the presence dot of `partnerId` in the list says `presence`. */
  untilPresence(partnerId: string, presence: 'online' | 'offline' | 'unknown'): Promise<void> {
    return this.until(
      `${partnerId} to show ${presence}`,
      ([id, wanted]) =>
        (
          document.querySelector(
            `.conversation-item[data-partner-id="${id}"] .dot`,
          ) as HTMLElement | null
        )?.dataset.presence === wanted,
      [partnerId, presence],
    );
  }

  /** Waits until the unread badge of the conversation with `partnerId` says `count` (0: no badge). */
  untilUnread(partnerId: string, count: number): Promise<void> {
    return this.until(
      `${count} unread from ${partnerId}`,
      ([id, wanted]) => {
        const badge = document.querySelector(`.conversation-item[data-partner-id="${id}"] .badge`);
        return wanted === 0
          ? badge === null
          : badge?.textContent === String(wanted) &&
              badge.getAttribute('aria-label') === `${wanted} unread`;
      },
      [partnerId, count] as const,
    );
  }

  /** Waits until the list shows `text` under the conversation with `partnerId` (last message or "typing…"). */
  untilPreview(partnerId: string, text: string): Promise<void> {
    return this.until(
      `the list to show "${text}" for ${partnerId}`,
      ([id, wanted]) =>
        document.querySelector(`.conversation-item[data-partner-id="${id}"] .preview`)
          ?.textContent === wanted,
      [partnerId, text],
    );
  }

  /** Waits until the open conversation's typing line reads `text` ('' when nobody types). */
  untilTyping(text: string): Promise<void> {
    return this.until(
      text ? `"${text}"` : 'no typing indicator',
      (wanted) => document.getElementById('typing')?.textContent === wanted,
      text,
    );
  }

  /** Waits until the page says "Start of the conversation" and offers no older page. */
  untilHistoryStart(): Promise<void> {
    return this.until(
      'the start of the conversation',
      () =>
        !document.getElementById('history-start')?.hidden &&
        Boolean(document.getElementById('load-older')?.hidden),
    );
  }

  /** Waits until the message with this text is within the visible part of the message list. */
  untilInView(text: string): Promise<void> {
    return this.until(
      `"${text}" to be in view`,
      (wanted) => {
        const scroller = document.getElementById('message-scroller')?.getBoundingClientRect();
        const row = Array.from(document.querySelectorAll('#message-list .message')).find(
          (element) => element.querySelector('.text')?.textContent === wanted,
        );
        const box = row?.getBoundingClientRect();
        return Boolean(scroller && box && box.bottom > scroller.top && box.top < scroller.bottom);
      },
      text,
    );
  }

  /** Cuts (or restores) this browser's network, as a train tunnel would. */
  async setOffline(offline: boolean): Promise<void> {
    if (offline) this.offline = true;
    await this.context.setOffline(offline);
    // Reports of requests that failed while offline can still arrive once back: tolerated
    // until the page is connected again.
    if (!offline) {
      await this.untilConnected();
      this.offline = false;
    }
  }

  /** Saves a screenshot of the page as test-results/e2e/<NN>-<label>-<name>.png. */
  async screenshot(name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = `${String(++shotNumber).padStart(2, '0')}-${this.label}-${name}.png`;
    await this.page.screenshot({ path: join(ARTIFACTS, file) });
  }

  /** The texts of the open conversation, top to bottom. */
  messageTexts(): Promise<string[]> {
    return this.page
      .locator('#message-list .message .text')
      .evaluateAll((elements) => elements.map((element) => element.textContent ?? ''));
  }

  /** Closes the tab (the browser closes its connection, as when a person closes it). */
  async close(): Promise<void> {
    if (!this.page.isClosed()) await this.page.close();
  }

  /** Polls `predicate` in the page (on every animation frame) until it holds. */
  private async until<A>(
    what: string,
    predicate: (arg: A) => boolean,
    arg?: A,
    timeoutMs = WAIT_MS,
  ): Promise<void> {
    try {
      // The arguments here are plain JSON values, which arrive in the page unchanged: A is
      // its own Unboxed<A>, which TypeScript cannot see for a type parameter.
      await this.page.waitForFunction(predicate as (arg: unknown) => boolean, arg, {
        timeout: timeoutMs,
      });
    } catch (error) {
      const shows = await this.snapshot().catch(() => undefined);
      throw new Error(
        `${this.label}: expected ${what} within ${timeoutMs} ms; the page shows ${JSON.stringify(shows, null, 2)}`,
        { cause: error },
      );
    }
  }

  private snapshot(): Promise<Snapshot> {
    return this.page.evaluate(() => {
      const text = (selector: string) => document.querySelector(selector)?.textContent ?? null;
      return {
        connection: document.getElementById('connection')?.dataset.state,
        conversations: Array.from(document.querySelectorAll<HTMLElement>('.conversation-item')).map(
          (item) =>
            `${item.dataset.partnerId}: ${item.querySelector<HTMLElement>('.dot')?.dataset.presence} | ${item.querySelector('.badge')?.textContent ?? 0} unread | ${item.querySelector('.preview')?.textContent}`,
        ),
        title: text('#conversation-title'),
        messages: Array.from(document.querySelectorAll<HTMLElement>('#message-list .message')).map(
          (row) => `${row.querySelector('.text')?.textContent} [${row.dataset.status ?? 'theirs'}]`,
        ),
        typing: text('#typing'),
        notice: text('#notice'),
      };
    });
  }
}
