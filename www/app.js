// The accounts dashboard: plain JavaScript, no build step.  It talks to
// the accounts service it is served from; lighttpd forwards /customers
// and /invoices on this port to the customers service, so the page stays
// on one origin.  The token lives in sessionStorage only.
'use strict';

const $ = (sel) => document.querySelector(sel);
let token = sessionStorage.getItem('token');
let lastEventId = null;
let timer = null;

const money = (cents) => (cents / 100).toLocaleString(undefined,
  { style: 'currency', currency: 'USD' });

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// A key for one command, the same for each of its tries: 128 random bits.
// (crypto.randomUUID needs https; getRandomValues does not.)
function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// The answer's JSON, and the next page's path if the answer was cut.
// A command carries an Idempotency-Key, so that trying it again after a
// 5xx or no answer at all (5 s) cannot make it twice: the service
// answers a retry with the first answer.  A 429 changed nothing (the
// user was over its rate with other requests in work): it is asked
// again after its Retry-After.  Three tries at most.
const TRIES = 3;
async function call(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (method !== 'GET' && path !== '/auth/login') headers['Idempotency-Key'] = newKey();
  let res;
  for (let attempt = 1; ; attempt++) {
    const last = attempt === TRIES;
    try {
      res = await fetch(path, { method, headers, signal: AbortSignal.timeout(5000),
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      if (last) throw new Error('the service did not answer; try again');
      await sleep(500 * attempt);
      continue;
    }
    const wait = Number(res.headers.get('Retry-After'));
    if (last || !(res.status === 429 && wait <= 2 || res.status >= 500)) break;
    await sleep(res.status === 429 ? wait * 1000 : 500 * attempt);
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (res.status === 401 && token) logout();
  if (!res.ok) throw new Error((data && data.error) || res.statusText);
  const next = /<([^>]*)>;\s*rel="next"/.exec(res.headers.get('Link') || '');
  return { data, next: next ? next[1] : null };
}

const api = async (method, path, body) => (await call(method, path, body)).data;

// Lists come a page at a time (Link: rel="next"); an account cut at a
// page's end comes again on the next with the rest of its customers.
// The page shows at most PAGES of them, and says so if there is more.
const PAGES = 10;
async function allAccounts(first) {
  const accounts = [];
  let path = first, pages = 0;
  while (path && pages++ < PAGES) {
    const r = await call('GET', path);
    for (const a of r.data) {
      const last = accounts[accounts.length - 1];
      if (last && last.account.id === a.account.id) last.customers.push(...a.customers);
      else accounts.push(a);
    }
    path = r.next;
  }
  $('#more').hidden = !path;
  return accounts;
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function render(accounts) {
  const root = $('#accounts');
  root.replaceChildren();
  const accountSel = $('#new-customer select');
  const customerSel = $('#new-invoice select');
  const keepA = accountSel.value, keepC = customerSel.value;
  accountSel.replaceChildren();
  customerSel.replaceChildren();
  for (const a of accounts) {
    const box = document.createElement('article');
    box.className = 'account';
    box.dataset.accountId = a.account.id;
    const h = document.createElement('h2');
    const name = document.createElement('span');
    name.textContent = `${a.account.name} (#${a.account.id})`;
    const total = document.createElement('span');
    total.className = 'total';
    total.textContent = money(a.total_revenue_cents);
    h.append(name, total);
    const table = document.createElement('table');
    for (const c of a.customers) {
      const tr = document.createElement('tr');
      tr.dataset.customerId = c.customer_id;
      tr.append(cell(c.name), cell(money(c.total_revenue_cents), 'money'));
      table.append(tr);
      customerSel.append(new Option(`${c.name} (#${c.customer_id})`, c.customer_id));
    }
    box.append(h, table);
    root.append(box);
    accountSel.append(new Option(a.account.name, a.account.id));
  }
  if (keepA) accountSel.value = keepA;
  if (keepC) customerSel.value = keepC;
}

async function refresh() {
  try {
    const q = lastEventId ? '?after=' + encodeURIComponent(lastEventId) : '';
    render(await allAccounts('/accounts' + q));
    lastEventId = null;
    const s = await api('GET', '/status');
    $('#projector').textContent = `projector at ${s.last_event_id}, lag ${s.lag}`;
    $('#app-error').textContent = '';
  } catch (e) {
    $('#app-error').textContent = e.message;
  }
}

function show() {
  $('#login').hidden = !!token;
  $('#app').hidden = !token;
  $('#logout').hidden = !token;
  clearInterval(timer);
  if (token) {
    refresh();
    timer = setInterval(refresh, 2000);
  }
}

function logout() {
  token = null;
  sessionStorage.removeItem('token');
  show();
}

$('#login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    const r = await api('POST', '/auth/login',
      { username: f.get('username'), password: f.get('password') });
    token = r.token;
    sessionStorage.setItem('token', token);
    $('#login-error').textContent = '';
    show();
  } catch (e) {
    $('#login-error').textContent = e.message;
  }
});

$('#logout').addEventListener('click', logout);

// After a write, the next read asks for it (?after=), so it shows at once.
async function command(ev, path, body) {
  ev.preventDefault();
  try {
    const r = await api('POST', path, body);
    lastEventId = r.event_id;
    ev.target.reset();
    await refresh();
  } catch (e) {
    $('#app-error').textContent = e.message;
  }
}

$('#new-customer').addEventListener('submit', (ev) => {
  const f = new FormData(ev.target);
  command(ev, '/customers', { name: f.get('name'), account_id: f.get('account_id') });
});

$('#new-invoice').addEventListener('submit', (ev) => {
  const f = new FormData(ev.target);
  command(ev, '/invoices', { customer_id: f.get('customer_id'),
    purchase_date: f.get('purchase_date'),
    purchase_price_cents: Number(f.get('purchase_price_cents')) });
});

show();
