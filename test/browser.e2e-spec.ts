import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { webBuilt } from '../src/contract/docs.js';
import { releaseTestDatabase, startApp, type TestApp } from './support/app.js';
import { uniqueName } from './support/factories.js';

/** Debian's chromium package; CI installs it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of every step, kept as test artefacts. */
const ARTEFACTS = join(process.cwd(), 'test-artefacts', 'browser');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

// A machine without Chromium (a laptop with only Node) skips this file and says so; CI installs
// Chromium and fails here if it is missing.
const runnable = existsSync(CHROMIUM);
if (!runnable && process.env.CI) throw new Error(`Chromium is required in CI (${CHROMIUM} is missing)`);
if (!runnable) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

(runnable ? describe : describe.skip)('the demo web client in a real browser (Chromium, Playwright)', () => {
  let t: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!webBuilt()) throw new Error('the web pages are not built: run npm run build:web (npm test does)');
    mkdirSync(ARTEFACTS, { recursive: true });
    t = await startApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await releaseTestDatabase();
  });

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true });

  /** A new browser (its own storage) on the demo, signed up as a new user. */
  async function person(prefix: string): Promise<{ page: Page; context: BrowserContext; username: string }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${t.url}/demo/`);
    const username = uniqueName(prefix);
    await page.fill('#username', username);
    await page.fill('#password', 'correct-horse-1');
    await page.click('#register');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('#connection.online');
    expect(errors).toEqual([]);
    return { page, context, username };
  }

  /** Makes two people friends through the demo's own screens. */
  async function befriend(a: { page: Page }, b: { page: Page; username: string }): Promise<void> {
    await a.page.fill('#friend-name', b.username);
    await a.page.click('#add-friend button');
    await b.page.click('#requests button.accept', { timeout: 10_000 });
    await a.page.waitForSelector('#friends li.friend', { timeout: 10_000 });
    await b.page.waitForSelector('#friends li.friend', { timeout: 10_000 });
  }

  it('two people befriend, chat with typing, read receipts and presence; one goes offline and catches up', async () => {
    const alice = await person('alice');
    const bob = await person('bob');

    // Alice asks Bob by username; Bob accepts from his list; each sees the other, online.
    await befriend(alice, bob);
    await alice.page.waitForSelector('#friends li.friend .dot.online', { timeout: 10_000 });
    await bob.page.waitForSelector('#friends li.friend .dot.online', { timeout: 10_000 });
    await shot(alice.page, '01-friends');

    // Alice writes; Bob's chat list gets the conversation, he opens it and reads.
    await alice.page.click('#friends li.friend a');
    await alice.page.fill('#body', 'Hello Bob!');
    await alice.page.click('#send');
    await alice.page.waitForSelector('#messages li.mine >> text=Hello Bob!');
    await bob.page.click('#conversations li', { timeout: 10_000 });
    await bob.page.waitForSelector('#messages li.theirs >> text=Hello Bob!');

    // Bob types: Alice sees it. Bob has read her message: Alice sees "read".
    await bob.page.type('#body', 'Hi', { delay: 50 });
    await alice.page.waitForSelector('#typing >> text=is typing', { timeout: 5000 });
    await alice.page.waitForSelector('#messages li.mine .read', { timeout: 5000 });
    await bob.page.click('#send');
    await alice.page.waitForSelector('#messages li.theirs >> text=Hi');
    await shot(alice.page, '02-chat-alice');
    await shot(bob.page, '03-chat-bob');

    // Bob's browser loses the network; Alice writes three messages meanwhile.
    await bob.context.setOffline(true);
    await bob.page.waitForSelector('#connection:not(.online)', { timeout: 30_000 });
    for (const body of ['While you were away 1', 'While you were away 2', 'While you were away 3']) {
      await alice.page.fill('#body', body);
      await alice.page.click('#send');
      await alice.page.waitForSelector(`#messages li.mine >> text=${body}`);
    }
    await shot(bob.page, '04-bob-offline');
    expect(await bob.page.locator('#messages li').count()).toBe(2);

    // Back online: the SDK reconnects and syncs; Bob sees all three, once each, in order.
    await bob.context.setOffline(false);
    await bob.page.waitForSelector('#connection.online', { timeout: 30_000 });
    await bob.page.waitForSelector('#messages li >> text=While you were away 3', { timeout: 15_000 });
    const bodies = await bob.page.locator('#messages li .body').allTextContents();
    expect(bodies).toEqual([
      'Hello Bob!',
      'Hi',
      'While you were away 1',
      'While you were away 2',
      'While you were away 3',
    ]);
    await shot(bob.page, '05-bob-caught-up');
  }, 120_000);

  it('a group chat with an attachment, and its history after a reload', async () => {
    const carol = await person('carol');
    const dave = await person('dave');
    await befriend(carol, dave);

    await carol.page.check('#friends li.friend input[type=checkbox]');
    await carol.page.fill('#group-name', 'Project');
    await carol.page.click('#new-group button');
    await carol.page.waitForSelector('#chat-title >> text=Project');
    const notes = Buffer.from('the plan, in one file\n');
    await carol.page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: notes });
    await carol.page.fill('#body', 'See the notes');
    await carol.page.click('#send');
    await carol.page.waitForSelector('#messages li.mine >> text=See the notes');

    // Dave was added: the group arrives in his list (conversation:joined); he opens it and downloads.
    await dave.page.click('#conversations li >> text=Project', { timeout: 10_000 });
    await dave.page.waitForSelector('#messages li.theirs .attachment >> text=notes.txt');
    const [download] = await Promise.all([
      dave.page.waitForEvent('download'),
      dave.page.click('#messages li.theirs .attachment'),
    ]);
    const saved = await download.path();
    expect(download.suggestedFilename()).toBe('notes.txt');
    expect(readFileSync(saved)).toEqual(notes);
    await shot(dave.page, '06-group-attachment');

    // After a reload (tokens and sync state kept in the browser), the history is there.
    await dave.page.reload();
    await dave.page.waitForSelector('#connection.online');
    // Carol is online: the reloaded page knows it at once (no presence change has happened since).
    await dave.page.waitForSelector('#friends li.friend .dot.online', { timeout: 3000 });
    await dave.page.click('#conversations li >> text=Project');
    await dave.page.waitForSelector('#messages li >> text=See the notes');
    await shot(dave.page, '07-group-after-reload');
  }, 120_000);

  it('Web Push opt-in asks the browser for a subscription with Relay’s VAPID key', async () => {
    const erin = await person('erin');
    await erin.context.grantPermissions(['notifications'], { origin: t.url });
    await erin.page.click('#push');
    // Headless Chromium here cannot reach a browser vendor's push service: the subscription itself
    // fails there, after the service worker registered and the key was fetched; the demo says so.
    await erin.page.waitForSelector('#push-status:not(:empty)', { timeout: 15_000 });
    const status = await erin.page.textContent('#push-status');
    expect(status).toMatch(
      /Notifications on|Notifications: .*(push service|Registration failed|AbortError)/i,
    );
    // A string: the test's own TypeScript has no DOM types.
    const workers = await erin.page.evaluate<string[]>(
      'navigator.serviceWorker.getRegistrations().then((all) => all.map((r) => r.scope))',
    );
    expect(workers).toEqual([`${t.url}/demo/`]);
  }, 60_000);

  it('renders the socket contract (AsyncAPI) and Swagger UI under Relay’s security headers', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${t.url}/docs/events`);
    // Rendered by AsyncAPI's component (nothing of it is in the served HTML).
    const rendered = (text: string) =>
      page.getByText(text).first().waitFor({ state: 'attached', timeout: 15_000 });
    await rendered('Relay socket contract');
    await rendered('message:send');
    await rendered('message:new');
    await shot(page, '08-socket-contract');
    await page.goto(`${t.url}/docs`);
    await page.waitForSelector('.swagger-ui .title >> text=Relay', { timeout: 15_000 });
    await shot(page, '09-swagger-ui');
    expect(errors).toEqual([]);
  }, 60_000);
});
