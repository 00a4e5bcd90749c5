#!/usr/bin/env node
// Opens the exported offline website from file:// in headless Chromium (Debian's package) and
// checks what a reader gets: search finds causes, programs and error codes (also misspelt,
// and from the keyboard); the provider picker fills a program's steps; every page loads
// with no request that is not file:// and no console error; axe-core finds no serious or
// critical accessibility violation; the sheets print. Saves screenshots.
//
// Usage: node browser.js SITE_DIR SCREENSHOT_DIR
// Env: CHROMIUM (default: chromium on PATH). Exits 1 with every failure listed.
'use strict';

const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const [siteDir, shotDir] = process.argv.slice(2);
if (!siteDir || !shotDir) {
  console.error('usage: node browser.js SITE_DIR SCREENSHOT_DIR');
  process.exit(2);
}
const root = path.resolve(siteDir);
const url = (name) => 'file://' + path.join(root, name);
const failures = [];
const fail = (message) => {
  failures.push(message);
  console.error('FAIL: ' + message);
};

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  throw new Error('chromium not found (install it with tests/website/install.sh)');
}

// Every request and console message of a page, checked after each step.
function watch(page) {
  const seen = { requests: [], errors: [] };
  page.on('request', (request) => seen.requests.push(request.url()));
  page.on('requestfailed', (request) =>
    seen.errors.push('request failed: ' + request.url() + ' ' + (request.failure() || {}).errorText));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push('console error: ' + message.text());
  });
  page.on('pageerror', (error) => seen.errors.push('page error: ' + error.message));
  return seen;
}

function check(seen, where) {
  for (const address of seen.requests) {
    if (!address.startsWith('file://')) fail(`${where}: request to ${address}`);
  }
  for (const error of seen.errors) fail(`${where}: ${error}`);
  seen.requests.length = 0;
  seen.errors.length = 0;
}

async function results(page) {
  return page.$$eval('#results li', (items) =>
    items.map((item) => ({
      href: item.querySelector('a').getAttribute('href'),
      text: item.textContent,
    })));
}

async function searchFor(page, query) {
  await page.click('#q', { clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.type('#q', query);
  await page.waitForFunction(
    (q) => document.getElementById('search-status').textContent.includes(q),
    { timeout: 15000 },
    query.trim());
  return results(page);
}

async function axe(page, where, axeSource) {
  // Runtime.evaluate is not subject to the page's Content-Security-Policy. No preload: axe
  // would fetch the stylesheet again by XHR, which file:// pages may not do.
  await page.evaluate(axeSource);
  const report = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'], preload: false }));
  for (const violation of report.violations) {
    const line = `${violation.id} (${violation.impact}): ${violation.help} — ` +
      violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(' | ');
    if (violation.impact === 'serious' || violation.impact === 'critical') {
      fail(`${where}: axe ${line}`);
    } else {
      console.log(`note: ${where}: axe ${line}`);
    }
  }
}

async function main() {
  fs.mkdirSync(shotDir, { recursive: true });
  const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      // Root in containers and CI has no user namespace for the sandbox.
      '--no-sandbox',
      // Nothing may reach a network: no name resolves, and the browser's own background
      // traffic is off, so only the site's requests are seen.
      '--host-resolver-rules=MAP * ~NOTFOUND',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--no-first-run',
      '--disable-gpu',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    const seen = watch(page);

    // Every page loads cleanly.
    const pages = fs.readdirSync(root).filter((name) => name.endsWith('.html')).sort();
    if (pages.length < 10) fail(`only ${pages.length} pages in ${root}`);
    for (const name of pages) {
      await page.goto(url(name), { waitUntil: 'load' });
      const h1 = await page.$$eval('h1', (list) => list.length);
      if (h1 !== 1) fail(`${name}: ${h1} h1 elements`);
      check(seen, name);
    }

    // Search on the home page.
    await page.goto(url('index.html'), { waitUntil: 'load' });
    const expectations = [
      ['Relay access denied', (hits) => hits.some((h) => h.href.startsWith('error-'))],
      ['0x800CCC79', (hits) => hits.length > 0 && hits[0].href.startsWith('error-')],
      ['thunderbird', (hits) => hits.length > 0 && hits[0].href === 'client-thunderbird.html'],
      ['thunderbrid', (hits) => hits.some((h) => h.href === 'client-thunderbird.html')],
      ['pop before smtp', (hits) => hits.some((h) => h.href === 'cause-pop-before-smtp-expired.html')],
      ['mynetworks', (hits) => hits.some((h) => h.href === 'cause-mynetworks-too-narrow.html')],
      ['gmail', (hits) => hits.some((h) => h.href === 'provider-gmail.html')],
    ];
    for (const [query, ok] of expectations) {
      const hits = await searchFor(page, query);
      if (!ok(hits)) {
        fail(`search "${query}": unexpected results ${JSON.stringify(hits.slice(0, 5).map((h) => h.href))}`);
      }
    }
    const none = await searchFor(page, 'zzqqxxyy');
    if (none.length) fail(`search "zzqqxxyy" found ${none.length} results`);
    // The keyboard: arrow down from the box lands on the first result, Enter opens it.
    await searchFor(page, 'thunderbird');
    await page.focus('#q');
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => document.activeElement.getAttribute('href'));
    if (focused !== 'client-thunderbird.html') fail(`ArrowDown focused ${focused}`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    if (!page.url().endsWith('client-thunderbird.html')) fail(`Enter opened ${page.url()}`);
    check(seen, 'search');

    // The header's search box on another page hands the query to the home page.
    await page.goto(url('cause-client-auth-off.html'), { waitUntil: 'load' });
    await page.type('#quick-q', 'outlook');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await page.waitForSelector('#results li', { timeout: 15000 });
    const outlook = await results(page);
    if (!outlook.some((h) => h.href.startsWith('client-outlook'))) {
      fail(`header search "outlook": ${JSON.stringify(outlook.map((h) => h.href))}`);
    }
    check(seen, 'header search');

    // The provider picker: Gmail's server in the visible steps, then another provider's.
    await page.goto(url('client-thunderbird.html?provider=gmail'), { waitUntil: 'load' });
    const visible = () => page.$$eval('.variant', (list) =>
      list.filter((v) => !v.hidden).map((v) => v.textContent).join(' '));
    let steps = await visible();
    if (!steps.includes('smtp.gmail.com')) fail('Thunderbird with Gmail does not show smtp.gmail.com');
    const filledFor = await page.$eval('#filled-for', (p) => p.textContent);
    if (!filledFor.includes('Gmail')) fail(`the printed sheet says "${filledFor}"`);
    await page.screenshot({ path: path.join(shotDir, 'client-sheet.png') });
    await page.select('#provider', 'icloud');
    steps = await visible();
    if (!steps.includes('smtp.mail.me.com') || steps.includes('smtp.gmail.com')) {
      fail('choosing iCloud does not switch the steps to smtp.mail.me.com');
    }
    await page.select('#provider', '');
    steps = await visible();
    if (steps.includes('smtp.gmail.com') || !steps.includes('your provider')) {
      fail('"not sure" does not show the general steps');
    }
    check(seen, 'provider picker');

    // Print: a cause and a program's sheet as PDF, pages counted.
    for (const name of ['cause-client-auth-off.html', 'client-thunderbird.html?provider=gmail']) {
      await page.goto(url(name), { waitUntil: 'load' });
      const pdf = await page.pdf({ format: 'A4', printBackground: false });
      const sheets = (Buffer.from(pdf).toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
      console.log(`print: ${name} → ${sheets} A4 sheet(s)`);
      if (sheets < 1) fail(`${name}: printing gave no page`);
      // A program's sheet, filled for one provider, is made to fit one sheet of paper.
      if (name.startsWith('client-') && sheets !== 1) fail(`${name}: prints on ${sheets} sheets`);
    }

    // Accessibility: one page of every kind.
    const sample = ['index.html', 'error.html', 'helpdesk.html', 'server.html', 'causes.html',
      'tree.html', 'postfix.html', 'cause-client-auth-off.html', 'client-thunderbird.html',
      'clients.html', 'providers.html'];
    for (const prefix of ['solution-', 'question-', 'provider-', 'error-']) {
      const first = pages.find((name) => name.startsWith(prefix));
      if (first) sample.push(first);
      else fail(`no page starting with ${prefix}`);
    }
    for (const name of sample) {
      await page.goto(url(name), { waitUntil: 'load' });
      await axe(page, name, axeSource);
      check(seen, name);
    }
    // With results shown, and with Gmail picked.
    await page.goto(url('index.html?q=relay'), { waitUntil: 'load' });
    await page.waitForSelector('#results li', { timeout: 15000 });
    await axe(page, 'index.html?q=relay', axeSource);
    await page.goto(url('index.html'), { waitUntil: 'load' });
    await page.screenshot({ path: path.join(shotDir, 'home.png') });
    check(seen, 'screenshots');
  } finally {
    await browser.close();
  }
  if (failures.length) {
    console.error(`${failures.length} failure(s)`);
    process.exit(1);
  }
  console.log('browser checks passed');
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
