import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startApp, type TestApp } from '../support/app';
import { connectAgent, login, waitForEvent, type AgentClient } from '../support/clients';

/**
 * The embeddable widget (apps/api/public/widget.js) in a real browser, on the demo page, against the
 * real backend: a visitor chats with an agent who answers over the /agents socket.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (CI installs it; locally: `apt-get install chromium`).
 * The widget renders in an open shadow root; Playwright's CSS locators pierce it, so plain
 * `[data-cc="..."]` selectors reach the widget's elements.
 */
const CHROMIUM = '/usr/bin/chromium';
const UI_TIMEOUT = 20_000;

describe('the web-chat widget in a browser', () => {
  let t: TestApp;
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;
  let page: Page;
  let alice: AgentClient | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: the browser tests need it (install the Debian package: apt-get install chromium)`);
    }
    t = await startApp();
    userDataDir = mkdtempSync(join(tmpdir(), 'cc-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
    context.setDefaultTimeout(UI_TIMEOUT);
    page = context.pages()[0] ?? (await context.newPage());
  }, 120_000);

  afterAll(async () => {
    alice?.close();
    await context?.close().catch(() => undefined);
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await t?.close();
  }, 60_000);

  it('lets a visitor chat with an agent, shows the agent typing, and resumes after a reload', async () => {
    // the browser's own errors make a failure here much easier to read
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));

    alice = await connectAgent(t.url, await login(t.url, 'alice@demo.local', 'agent-demo'));
    expect(await alice.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true, presence: 'available' });

    await page.goto(`${t.url}/`);
    await expect(page.title()).resolves.toContain('Acme');
    const launcher = page.locator('[data-cc="launcher"]');
    const panel = page.locator('[data-cc="panel"]');
    await launcher.click();
    await panel.waitFor({ state: 'visible' });

    // first message, with a name: the agent is offered the chat
    const offered = waitForEvent(alice.socket, 'offer', () => true, 30_000);
    await page.locator('[data-cc="name"]').fill('Jane Browser');
    await page.locator('[data-cc="input"]').fill('Hi, do you have the Ridgeline tent in green?');
    await page.locator('[data-cc="input"]').press('Enter');
    const mine = page.locator('[data-cc="message"][data-direction="inbound"]', { hasText: 'Ridgeline tent in green' });
    await mine.waitFor();

    const offer = await offered;
    expect(offer).toMatchObject({
      channel: 'chat',
      queue: { name: 'Support' },
      customer: { name: 'Jane Browser' },
      messages: [{ text: 'Hi, do you have the Ridgeline tent in green?', direction: 'inbound' }],
    });
    // the server's echo of the message confirmed the optimistic copy: shown once, not twice
    await page.locator('[data-cc="message"][data-direction="inbound"][data-status="confirmed"]').waitFor();
    expect(await mine.count()).toBe(1);
    await page.locator('[data-cc="message"][data-direction="system"]', { hasText: 'Waiting for an agent' }).waitFor();

    // the agent accepts and answers
    const accepted = await alice.ack('offer:accept', { offerId: offer.offerId });
    expect(accepted).toMatchObject({ ok: true, contact: { contactId: offer.contactId, state: 'active' } });
    await page.locator('[data-cc="message"][data-direction="system"]', { hasText: 'Alice Agent joined' }).waitFor();
    const reply = 'Yes! We have it in forest green and in sand.';
    expect(await alice.ack('message:send', { contactId: offer.contactId, clientMessageId: randomUUID(), text: reply })).toMatchObject({ ok: true });
    const agentMessage = page.locator('[data-cc="message"][data-direction="outbound"]', { hasText: reply });
    await agentMessage.waitFor();
    await expect(agentMessage.textContent()).resolves.toContain('Alice Agent');

    // the agent types: the widget shows it, and hides it when they stop
    const typing = page.locator('[data-cc="typing"]');
    expect(await typing.isVisible()).toBe(false);
    expect(await alice.ack('typing', { contactId: offer.contactId, isTyping: true })).toEqual({ ok: true });
    await typing.waitFor({ state: 'visible' });
    await expect(typing.textContent()).resolves.toContain('typing');
    // for a look at the widget by a human: WIDGET_SCREENSHOT=<file.png> npx jest test/browser --selectProjects e2e
    if (process.env.WIDGET_SCREENSHOT) await page.screenshot({ path: process.env.WIDGET_SCREENSHOT });
    expect(await alice.ack('typing', { contactId: offer.contactId, isTyping: false })).toEqual({ ok: true });
    await typing.waitFor({ state: 'hidden' });

    // the visitor types: the agent sees it
    const agentSeesTyping = waitForEvent(alice.socket, 'typing', (e) => e.contactId === offer.contactId && e.isTyping === true);
    await page.locator('[data-cc="input"]').pressSequentially('Gre');
    await agentSeesTyping;
    await page.locator('[data-cc="input"]').fill('');

    // a reload: the same visitor (token in localStorage) gets the conversation back from the server
    await page.reload();
    if (!(await panel.isVisible())) await launcher.click();
    await page.locator('[data-cc="message"][data-direction="inbound"]', { hasText: 'Ridgeline tent in green' }).waitFor();
    await page.locator('[data-cc="message"][data-direction="outbound"]', { hasText: reply }).waitFor();
    expect(await page.locator('[data-cc="message"][data-direction="outbound"]').count()).toBe(1);

    // and the conversation goes on after the reload
    const agentGets = waitForEvent(alice.socket, 'message', (m) => m.text === 'Green please, size 2P.');
    await page.locator('[data-cc="input"]').fill('Green please, size 2P.');
    await page.locator('[data-cc="send"]').click();
    expect(await agentGets).toMatchObject({ contactId: offer.contactId, direction: 'inbound', author: { type: 'customer' } });
    await page.locator('[data-cc="message"][data-direction="inbound"][data-status="confirmed"]', { hasText: 'Green please' }).waitFor();

    // the agent ends and wraps up: the visitor is asked to rate the conversation, and one click records it
    expect(await alice.ack('contact:end', { contactId: offer.contactId })).toEqual({ ok: true });
    expect(await alice.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved' })).toEqual({ ok: true });
    const rating = page.locator('[data-cc="rating"]');
    await rating.locator('[data-score="5"]').click();
    await rating.filter({ hasText: 'Thanks for your feedback' }).waitFor();
    expect((await t.db.query(`SELECT csat FROM contacts WHERE id = $1`, [offer.contactId])).rows).toEqual([{ csat: 5 }]);

    expect(pageErrors).toEqual([]);
  }, 120_000);
});
