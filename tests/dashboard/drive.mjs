// Drives the dashboard in headless Chromium: logs in through the form,
// adds a customer through the page, posts a real invoice through the
// API, and waits for the page to show the new revenue by itself.
// Usage: node drive.mjs ACCOUNTS_URL CUSTOMERS_URL SCREENSHOT.png
import { chromium } from 'playwright-core';

const [accountsUrl, customersUrl, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let status = 1;
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  page.setDefaultTimeout(15000);
  await page.goto(accountsUrl + '/');
  await page.fill('#login input[name=username]', 'user1');
  await page.fill('#login input[name=password]', 'password1');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('.account[data-account-id="1"]');
  await page.waitForSelector('#login', { state: 'hidden' });

  // Every command the page sends carries an Idempotency-Key.
  const commands = [];
  page.on('request', (r) => {
    if (r.method() !== 'GET' && !r.url().endsWith('/auth/login'))
      commands.push(r.headers()['idempotency-key'] || '');
  });

  // A customer, through the page's own form.
  await page.selectOption('#new-customer select', '1');
  await page.fill('#new-customer input[name=name]', 'Dashboard Customer');
  await page.click('#new-customer button[type=submit]');
  const row = page.locator('tr', { hasText: 'Dashboard Customer' });
  await row.waitFor();
  const customerId = await row.getAttribute('data-customer-id');
  if (commands.length !== 1 || !/^[0-9a-f]{32}$/.test(commands[0]))
    throw new Error('commands sent without an Idempotency-Key: ' + JSON.stringify(commands));

  // A real invoice through the API; the page must catch up by itself.
  const login = await fetch(accountsUrl + '/auth/login', { method: 'POST',
    body: JSON.stringify({ username: 'user1', password: 'password1' }) });
  const { token } = await login.json();
  const res = await fetch(customersUrl + '/invoices', { method: 'POST',
    headers: { Authorization: 'Bearer ' + token },
    body: JSON.stringify({ customer_id: customerId, purchase_date: '2019-01-06',
      purchase_price_cents: 123456 }) });
  if (res.status !== 201) throw new Error('invoice: ' + res.status);
  await page.locator(`tr[data-customer-id="${customerId}"] td.money`,
    { hasText: '1,234.56' }).waitFor();
  const lag = await page.textContent('#projector');
  if (!/projector at \d+-\d+, lag \d+/.test(lag)) throw new Error('projector line: ' + lag);

  // More customers than one page holds (200 items): the page follows the
  // Link header and shows the account once, with all of them.
  let lastId = null;
  for (let i = 0; i < 210; i++) {
    const r = await fetch(customersUrl + '/customers', { method: 'POST',
      headers: { Authorization: 'Bearer ' + token },
      body: JSON.stringify({ name: `Paged ${i}`, account_id: '1' }) });
    if (r.status !== 201) throw new Error('customer: ' + r.status);
    lastId = (await r.json()).id;
  }
  await page.locator(`tr[data-customer-id="${lastId}"]`).waitFor();
  const shown = await page.locator('.account[data-account-id="1"] tr').count();
  const boxes = await page.locator('.account[data-account-id="1"]').count();
  if (shown < 211 || boxes !== 1)
    throw new Error(`paged: ${shown} rows in ${boxes} boxes of account 1`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`dashboard ok: customer ${customerId} shows $1,234.56; ${lag}; ` +
    `${shown} customers of account 1 over pages`);
  status = 0;
} catch (e) {
  console.error('dashboard check failed:', e.message);
} finally {
  await browser.close();
}
process.exit(status);
