/**
 * The web console in real Chromium (Debian's, driven by playwright-core) against the whole platform as real
 * processes: register → chat with streamed tokens → the conversation in the list → dry run → upload a document
 * to 100% → search finds it → a key created, used and revoked → the usage chart shows the tokens just spent →
 * an admin's status view. Every request the page makes stays on the gateway's origin. A failing step leaves a
 * screenshot in test-results/web-console/ (every step does with WEB_CONSOLE_SHOTS=1).
 *
 * Needs `apt-get install chromium` (.ci/run installs it) and a build: `node infra/scripts/build.mjs`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, TEST_ADMIN, WITH_DOCUMENTS, type RunningPlatform, startPlatform } from '@llmp/testing';

jest.setTimeout(240_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'test-results', 'web-console');
const PASSWORD = 'Console-test-Passw0rd!';
const MODEL = 'stories260k';

let platform: RunningPlatform;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let origin: string;
const foreign: string[] = [];
/** Uncaught errors and console errors of the page, reported with a failing step. */
const pageErrors: string[] = [];

/** Runs one step of the journey; a failure saves a screenshot of the page as it was. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    const result = await fn();
    // WEB_CONSOLE_SHOTS=1 keeps a picture of every step, for looking the console over.
    if (process.env.WEB_CONSOLE_SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `${name}.ok.png`), fullPage: true });
    }
    return result;
  } catch (err) {
    mkdirSync(SHOTS, { recursive: true });
    await page?.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }).catch(() => undefined);
    if (err instanceof Error && pageErrors.length) err.message += `\nPage errors:\n${pageErrors.join('\n')}`;
    throw err;
  }
}

/** The signed-in user's access token, as the console keeps it. */
function sessionToken(): Promise<string> {
  return page.evaluate(
    () => (JSON.parse(sessionStorage.getItem('llmp.console.session')!) as { access_token: string }).access_token,
  );
}

async function newPage(ctx: BrowserContext): Promise<Page> {
  const p = await ctx.newPage();
  p.setDefaultTimeout(15_000);
  p.on('request', (req) => {
    const url = new URL(req.url());
    if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== origin) foreign.push(req.url());
  });
  p.on('pageerror', (e) => pageErrors.push(e.message));
  // Chromium also logs every 4xx answer, which the console handles and shows (a refused password): not errors.
  p.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: .* status of 4\d\d/.test(m.text()))
      pageErrors.push(m.text());
  });
  p.on('dialog', (d) => void d.accept(d.type() === 'prompt' ? 'Renamed chat' : undefined));
  return p;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  platform = await startPlatform({
    workerModels: MODEL,
    ...WITH_DOCUMENTS,
    env: { LOG_LEVEL: 'warn', RAG_POLL_AFTER_MS: '200' },
  });
  origin = platform.gateway.url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
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
  });
  context = await browser.newContext({ baseURL: origin, viewport: { width: 1200, height: 900 } });
  page = await newPage(context);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('web console (real Chromium, real platform)', () => {
  const username = `console${Date.now().toString(36)}`;

  it('serves the console at / with a strict CSP and no asset from elsewhere', async () => {
    const res = await fetch(`${origin}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    // The API keeps its own answers: an unknown path is its 404, not the console.
    expect((await fetch(`${origin}/no-such-page`)).status).toBe(404);
  });

  it('registers (a refused password shows the platform’s message) and signs in', async () => {
    await step('register', async () => {
      await page.goto('/');
      await page.getByRole('button', { name: 'New here? Create an account' }).click();
      await page.getByLabel('Username').fill(username);
      // A refused registration shows the platform's own message, and nobody is signed in.
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/password/i);
      expect(await page.getByTestId('who').count()).toBe(0);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByTestId('who').filter({ hasText: username }).waitFor();
    });
  });

  it('chats with the tokens streaming in, and the conversation appears in the list', async () => {
    await step('chat', async () => {
      await page.getByRole('link', { name: 'Chat' }).click();
      await page.getByLabel('Model').selectOption(MODEL);
      await page.getByLabel('System prompt of this conversation').fill('You tell short stories.');
      // Every text the assistant's message shows while it streams, recorded in the page.
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { seen: string[] }).seen = seen;
        new MutationObserver(() => {
          const m = document.querySelector('li[data-role="assistant"][aria-busy="true"] .msg-text');
          if (m?.textContent && m.textContent !== '…' && seen.at(-1) !== m.textContent) seen.push(m.textContent);
        }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      });
      await page.getByLabel('Message', { exact: true }).fill('Once upon a time');
      await page.getByLabel('Message', { exact: true }).press('Enter');
      const reply = page.locator('li[data-role="assistant"]').last();
      await reply.and(page.locator(':not([aria-busy])')).waitFor({ timeout: 60_000 });
      const text = (await reply.locator('.msg-text').textContent()) ?? '';
      expect(text.length).toBeGreaterThan(0);
      const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
      // Streamed: several growing partial texts before the whole one, each a prefix of the final reply.
      expect(seen.length).toBeGreaterThan(2);
      for (const partial of seen) expect(text.startsWith(partial)).toBe(true);
      await reply.getByText('Context used').waitFor();
      await page.getByTestId('conversation-list').getByRole('button', { name: 'Once upon a time' }).waitFor();
    });
  });

  it('shows the context and the dry run of the next message, section by section', async () => {
    await step('dry-run', async () => {
      await page.locator('li[data-role="assistant"]').last().getByText('Context used').click();
      await page.locator('li[data-role="assistant"] table.tokens').last().waitFor();
      await page.getByLabel('Message', { exact: true }).fill('And then?');
      await page.getByRole('button', { name: 'Dry run' }).click();
      const dry = page.getByTestId('dry-run');
      await dry.waitFor();
      // The exact prompt holds the stored system prompt and the earlier turn, and its tokens are counted.
      const prompt = (await dry.getByTestId('dry-run-prompt').textContent()) ?? '';
      expect(prompt).toContain('You tell short stories.');
      expect(prompt).toContain('Once upon a time');
      expect(prompt).toContain('And then?');
      expect(Number(await dry.locator('strong').first().textContent())).toBeGreaterThan(0);
      expect(await dry.locator('table.tokens tbody tr').count()).toBeGreaterThan(0);
      // Section by section: the stored system prompt, the earlier turns, the new input, in prompt order.
      const sections = dry.getByTestId('dry-run-sections').locator('li');
      const names = await sections.evaluateAll((els) => els.map((e) => e.getAttribute('data-section')));
      expect(names[0]).toBe('system');
      expect(names).toContain('turn');
      expect(names.at(-1)).toBe('input');
      await expect(sections.first().locator('pre').textContent()).resolves.toBe('You tell short stories.');
      await expect(sections.last().locator('pre').textContent()).resolves.toBe('And then?');
    });
  });

  it('reopens the conversation from its route after a reload, renames it and exports it as Markdown', async () => {
    await step('rename-export', async () => {
      const text = (await page.locator('li[data-role="assistant"]').last().locator('.msg-text').textContent()) ?? '';
      // The route names the conversation: a reload opens it again, its exchange read back from the platform.
      expect(page.url()).toMatch(/#\/chat\/conv_/);
      await page.reload();
      const stored = page.locator('li[data-role="assistant"]').last().locator('.msg-text');
      await stored.filter({ hasText: text.trim().slice(0, 20) }).waitFor();
      expect((await stored.textContent())?.trim()).toBe(text.trim());
      await expect(page.locator('li[data-role="user"]').first().textContent()).resolves.toContain('Once upon a time');
      const list = page.getByTestId('conversation-list');
      await list.getByLabel('Actions for Once upon a time').click();
      await list.getByRole('button', { name: 'Rename' }).click();
      await list.getByRole('button', { name: 'Renamed chat' }).waitFor();
      await list.getByLabel('Actions for Renamed chat').click();
      const download = page.waitForEvent('download');
      await list.getByRole('button', { name: 'Export Markdown' }).click();
      const file = await download;
      expect(file.suggestedFilename()).toMatch(/\.md$/);
    });
  });

  it('uploads a document with its progress reaching 100%, and search finds it', async () => {
    await step('documents', async () => {
      await page.getByRole('link', { name: 'Documents' }).click();
      await page.getByLabel('New vector store').fill('Handbook');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByRole('heading', { name: 'Files in Handbook' }).waitFor();
      await page.getByLabel(/Upload a document/).setInputFiles({
        name: 'llamas.md',
        mimeType: 'text/markdown',
        buffer: Buffer.from(
          '# Llamas\n\nLlamas are domesticated South American camelids. They eat grass and hay, and live in herds ' +
            'in the Andes mountains.\n\n# Boats\n\nA sailing boat is moved by the wind in its sails.\n',
        ),
      });
      const upload = page.getByTestId('upload').first();
      await upload.getByTestId('upload-percent').filter({ hasText: '100%' }).waitFor({ timeout: 60_000 });
      expect(await upload.getByRole('progressbar').getAttribute('value')).toBe('100');
      await page.getByLabel('Search the documents').fill('what do llamas eat');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      const hits = page.getByTestId('search-results');
      await hits.waitFor();
      await expect(hits.locator('li').first().textContent()).resolves.toContain('llamas.md');
      await expect(hits.locator('li').first().textContent()).resolves.toContain('Llamas');
    });
  });

  it('chats grounded on the vector store with its sources shown, then deletes that conversation', async () => {
    await step('grounded', async () => {
      await page.getByRole('link', { name: 'Chat' }).click();
      await page.getByLabel('Ground on').selectOption({ label: 'Handbook' });
      await page.getByLabel('Message', { exact: true }).fill('What do llamas eat?');
      await page.getByRole('button', { name: 'Send' }).click();
      const reply = page.locator('li[data-role="assistant"]').last();
      await reply.and(page.locator(':not([aria-busy])')).waitFor({ timeout: 60_000 });
      const sources = reply.locator('details.sources');
      await expect(sources.locator('summary').textContent()).resolves.toMatch(/^Sources \(\d+\)$/);
      await expect(sources.locator('li').first().textContent()).resolves.toContain('llamas.md');
      const list = page.getByTestId('conversation-list');
      await list.getByRole('button', { name: 'What do llamas eat?' }).waitFor();
      await list.getByLabel('Actions for What do llamas eat?').click();
      await list.getByRole('button', { name: 'Delete' }).click();
      await list.getByRole('button', { name: 'What do llamas eat?' }).waitFor({ state: 'detached' });
      // The other conversation stays.
      await list.getByRole('button', { name: 'Renamed chat' }).waitFor();
    });
  });

  it('creates an API key (the secret shown once, that works), then revokes it', async () => {
    await step('keys', async () => {
      await page.getByRole('link', { name: 'API keys' }).click();
      await page.getByLabel('Name', { exact: true }).fill('console-key');
      await page.getByLabel('Only these scopes').check();
      await page.getByRole('checkbox', { name: 'models.read' }).check();
      await page.getByRole('button', { name: 'Create key' }).click();
      const secret = (await page.getByTestId('new-key-secret').textContent()) ?? '';
      expect(secret).toMatch(/^sk-/);
      const models = await fetch(`${origin}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
      expect(models.status).toBe(200);
      // Restricted to models.read: it may not generate.
      const chat = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(chat.status).toBe(403);
      await page.getByRole('button', { name: 'Done' }).click();
      expect(await page.getByTestId('new-key').count()).toBe(0);
      await page.getByRole('button', { name: 'Revoke console-key' }).click();
      await page.getByRole('button', { name: 'Revoke console-key' }).waitFor({ state: 'detached' });
      const deadline = Date.now() + 10_000;
      let status = 200;
      while (status !== 401 && Date.now() < deadline) {
        status = (await fetch(`${origin}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })).status;
        if (status !== 401) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(401);
    });
  });

  it('charts the tokens just spent, per day and per model', async () => {
    await step('usage', async () => {
      await page.getByRole('link', { name: 'Usage' }).click();
      const bar = page.getByTestId('usage-chart').locator(`g[data-group="${MODEL}"]`);
      // Usage is recorded after the reply: refresh until it lands.
      const deadline = Date.now() + 15_000;
      while ((await bar.count()) === 0 && Date.now() < deadline) {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.waitForTimeout(300);
      }
      const tokens = Number(await bar.getAttribute('data-tokens'));
      expect(tokens).toBeGreaterThan(0);
      // The same figure the API reports for this user.
      const token = await sessionToken();
      const report = (await (
        await fetch(`${origin}/v1/usage?group_by=model`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { data: { group: string; total_tokens: number }[] };
      expect(tokens).toBe(report.data.find((r) => r.group === MODEL)?.total_tokens);
      expect(await page.getByTestId('usage-chart').count()).toBe(2);
    });
  });

  it('pages the conversation list: older conversations on request', async () => {
    await step('paging', async () => {
      const token = await sessionToken();
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${origin}/v1/conversations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ title: `Bulk ${i}` }),
        });
        expect(res.status).toBe(200);
      }
      await page.goto('/#/chat');
      const list = page.getByTestId('conversation-list');
      await list.getByRole('button', { name: 'Bulk 49' }).waitFor();
      // A page is 50, newest first: the oldest conversation is on the next one.
      expect(await list.getByRole('button', { name: 'Renamed chat' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Show older conversations' }).click();
      await list.getByRole('button', { name: 'Renamed chat' }).waitFor();
      expect(await list.locator('li').count()).toBe(51);
      expect(await page.getByRole('button', { name: 'Show older conversations' }).count()).toBe(0);
    });
  });

  it('works on a narrow screen: no horizontal scroll, the chat still usable', async () => {
    await step('narrow', async () => {
      await page.setViewportSize({ width: 375, height: 800 });
      await page.getByRole('link', { name: 'Chat' }).click();
      await page.getByLabel('Message', { exact: true }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1200, height: 900 });
    });
  });

  it('is keyboard-operable: Tab reaches the sections and Enter follows them', async () => {
    await step('keyboard', async () => {
      await page.goto('/#/chat');
      await page.getByTestId('who').filter({ hasText: username }).waitFor();
      let reached = false;
      for (let i = 0; i < 10 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => document.activeElement?.textContent === 'Usage');
      }
      expect(reached).toBe(true);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Tokens per day' }).waitFor();
    });
  });

  it('shows an admin the queues, workers, busy slots and the cache, and the users with limits to change', async () => {
    const adminContext = await browser.newContext({ baseURL: origin });
    const admin = await newPage(adminContext);
    const previous = page;
    page = admin;
    try {
      await step('status', async () => {
        await admin.goto('/');
        await admin.getByLabel('Username').fill(TEST_ADMIN.username);
        await admin.getByLabel('Password').fill(TEST_ADMIN.password);
        await admin.getByRole('button', { name: 'Sign in' }).click();
        await admin.getByRole('link', { name: 'Status' }).click();
        const row = admin.getByTestId('status-models').getByRole('row', { name: new RegExp(MODEL) });
        await row.waitFor();
        const cells = await row.getByRole('cell').allTextContents();
        expect(cells[0]).toBe('llm');
        expect(Number(cells[1])).toBeGreaterThanOrEqual(1);
        expect(cells[2]).toMatch(/^\d+ \/ \d+$/);
        await admin.getByTestId('cache-status').waitFor();
        // Admins also see the users and their limits.
        await admin.getByRole('link', { name: 'Usage' }).click();
        await admin.getByTestId('users-table').getByRole('rowheader', { name: username }).waitFor();
        // …and change them: the new limit is the user's.
        await admin.getByLabel(`Requests per minute of ${username}`).fill('7');
        await admin.getByLabel(`Requests per minute of ${username}`).press('Tab');
        const deadline = Date.now() + 10_000;
        let limit: number | null = null;
        while (limit !== 7 && Date.now() < deadline) {
          const users = (await (
            await fetch(`${origin}/v1/admin/users?limit=100`, {
              headers: { authorization: `Bearer ${platform.adminToken}` },
            })
          ).json()) as { data: { username: string; rpm_limit: number | null }[] };
          limit = users.data.find((u) => u.username === username)?.rpm_limit ?? null;
          if (limit !== 7) await new Promise((r) => setTimeout(r, 200));
        }
        expect(limit).toBe(7);
      });
    } finally {
      page = previous;
      await adminContext.close();
    }
  });

  it('made no request outside the gateway’s origin, and the page logged no error (a CSP violation is one)', () => {
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
