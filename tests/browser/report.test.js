#!/usr/bin/env node
/*
 * report.test.js - the HTML report in a real browser: Debian's chromium,
 * headless, driven by playwright-core (which never downloads a browser).
 *
 * It records tests/workloads/demo (a process, a thread, a child shell and
 * its ls) and a hostile program whose paths try to break out of the page
 * (</script>, <!--, U+2028, invalid UTF-8), makes reports of both and checks:
 * the lane count equals the tasks in the recording, a category filter hides
 * and shows events, the search finds a known path, clicking an event on the
 * timeline selects it in the table, zoom and reset work, no console error,
 * no network request, no script from the data runs. Screenshots go to
 * tests/artifacts/ (gitignored).
 *
 * env: COMPENDIUM (the binary), WORKLOADS (compiled tests/workloads), and
 * CHROMIUM (default /usr/bin/chromium).
 * usage: node tests/browser/report.test.js
 */
'use strict';
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const COMPENDIUM = process.env.COMPENDIUM || path.join(ROOT, 'compendium');
const WORKLOADS = process.env.WORKLOADS || path.join(ROOT, 'build', 'workloads');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmp-report-test-'));
let failures = 0;
let passes = 0;

function run(args, opts = {}) {
  return execFileSync(COMPENDIUM, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function record(name, cmd) {
  const cmp = path.join(tmp, name + '.cmp'), html = path.join(tmp, name + '.html');
  run(['record', '-o', cmp, '--', ...cmd]);
  run(['report', '-o', html, cmp]);
  const recs = execFileSync(COMPENDIUM, ['show', '--json', cmp], { encoding: 'utf8' })
    .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  return { cmp, html, recs };
}

/* tasks the recording knows: root, every task with an event, every spawned child */
function expectedLanes(recs) {
  const tids = new Set();
  for (const r of recs) {
    if (r.type === 'header') { if (r.root_pid) tids.add(r.root_pid); continue; }
    if (r.type === 'trailer' || r.type === 'end') continue;
    if (r.tid) tids.add(r.tid);
    if (r.type === 'spawn' && !r.errno && r.child_tid) tids.add(r.child_tid);
  }
  return tids.size;
}

async function test(name, fn) {
  try {
    await fn();
    passes++;
    console.log('ok   ' + name);
  } catch (e) {
    failures++;
    console.log('FAIL ' + name + '\n     ' + (e && e.stack ? e.stack.split('\n').slice(0, 4).join('\n     ') : e));
  }
}

async function openReport(ctx, file) {
  const page = await ctx.newPage();
  const errors = [], requests = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => { errors.push('dialog: ' + d.message()); d.dismiss(); });
  page.on('request', (r) => { if (!r.url().startsWith('file://')) requests.push(r.url()); });
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto('file://' + file);
  await page.waitForFunction(() => window.__cmp && window.__cmp.ready, null, { timeout: 20000 });
  return { page, errors, requests };
}

const visible = (page) => page.evaluate(() => window.__cmp.visible());

(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const demo = record('demo', [path.join(WORKLOADS, 'demo'), tmp]);
  /* a hostile path: invalid UTF-8, </script>, <!--, a script tag, U+2028 */
  const hostile = record('hostile', ['/bin/sh', '-c',
    'cat "$(printf \'/tmp/cmp-x\\377</script><!--<script>window.pwned=1</script>\\342\\200\\250"q\\033end\')" 2>/dev/null; true']);

  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const { page, errors, requests } = await openReport(ctx, demo.html);
    const lanes = expectedLanes(demo.recs);
    const events = demo.recs.filter((r) => !['header', 'trailer', 'end'].includes(r.type));

    await test('lane count equals the tasks of the recording', async () => {
      const got = await page.evaluate(() => window.__cmp.lanes);
      assert.strictEqual(got, lanes);
      assert.strictEqual(await page.getAttribute('#tl', 'data-lanes'), String(lanes));
      assert.ok(lanes >= 4, 'demo has a process, a thread and two children: ' + lanes);
    });

    await test('every event is in the table', async () => {
      assert.strictEqual(await page.evaluate(() => window.__cmp.events), events.length);
      assert.strictEqual(await visible(page), events.length);
    });

    await test('a category filter hides and shows events', async () => {
      const all = await visible(page);
      const fileEvents = events.filter((e) => ['open', 'close', 'dup', 'pipe', 'file_op'].includes(e.type)).length;
      assert.ok(fileEvents > 0);
      await page.click('#f-cats .chip[data-cat="file"]');
      assert.strictEqual(await visible(page), all - fileEvents);
      const rows = await page.$$eval('#trows .row:not([hidden]) .c-cat', (c) => c.map((x) => x.textContent));
      assert.ok(!rows.includes('Files'), 'no file row left');
      await page.click('#f-cats .chip[data-cat="file"]');
      assert.strictEqual(await visible(page), all);
    });

    await test('a process filter hides only that process', async () => {
      const all = await visible(page);
      const chip = await page.$('#f-procs .chip');
      const n = await chip.$eval('.cnt', (c) => +c.textContent.replace(/,/g, ''));
      await page.click('#f-procs-d summary');
      await chip.click();
      assert.strictEqual(await visible(page), all - n);
      await chip.click();
      assert.strictEqual(await visible(page), all);
    });

    await test('search finds a known path', async () => {
      await page.fill('#search', 'demo-notes.txt');
      await page.waitForFunction(() => window.__cmp.visible() < 40, null, { timeout: 5000 });
      const n = await visible(page);
      assert.ok(n >= 2, 'opens and I/O of demo-notes.txt: ' + n);
      const rows = await page.$$eval('#trows .row:not([hidden]) .c-det', (c) => c.map((x) => x.textContent));
      assert.ok(rows.length >= 2 && rows.every((t) => t.includes('demo-notes.txt')), rows.join(' | '));
      await page.fill('#search', '');
      await page.waitForFunction((n) => window.__cmp.visible() === n, events.length, { timeout: 5000 });
    });

    await test('sort by duration puts the slowest first', async () => {
      await page.click('#thead [data-sort="dur"]');
      const d = await page.evaluate(() => {
        const rows = [...document.querySelectorAll('#trows .row:not([hidden])')];
        return rows.map((r) => +r.dataset.ev);
      });
      assert.ok(d.length > 3);
      const durs = await page.evaluate((d) => d.map((i) => window.__cmp.duration(i)), d);
      for (let k = 1; k < durs.length; k++) assert.ok(durs[k - 1] >= durs[k], 'descending: ' + durs.join(','));
      const max = Math.max(...events.map((e) => e.dur_ns || 0));
      assert.strictEqual(durs[0], max, 'the slowest event first');
      await page.click('#thead [data-sort="time"]');
    });

    await test('zoom with +, reset with 0', async () => {
      const before = await page.evaluate(() => window.__cmp.timeline());
      await page.mouse.move(700, (await page.$('#tl').then((e) => e.boundingBox())).y + 40);
      await page.keyboard.press('+');
      await page.waitForTimeout(50);
      const z = await page.evaluate(() => window.__cmp.timeline());
      assert.ok(z.t1 - z.t0 < before.t1 - before.t0, 'zoomed in');
      await page.keyboard.press('0');
      await page.waitForTimeout(50);
      const r = await page.evaluate(() => window.__cmp.timeline());
      assert.strictEqual(r.t1 - r.t0, before.t1 - before.t0);
    });

    await test('ctrl+wheel zooms anchored at the pointer, drag pans', async () => {
      const box = await page.$('#tl').then((e) => e.boundingBox());
      const px = 800, GUT = 190;
      const at = (s) => s.t0 + (px - box.x - GUT) / (s.width - GUT) * (s.t1 - s.t0);
      const s0 = await page.evaluate(() => window.__cmp.timeline());
      await page.mouse.move(px, box.y + 40);
      await page.keyboard.down('Control');
      await page.mouse.wheel(0, -400);
      await page.keyboard.up('Control');
      await page.waitForTimeout(80);
      const s1 = await page.evaluate(() => window.__cmp.timeline());
      assert.ok(s1.t1 - s1.t0 < (s0.t1 - s0.t0) / 2, 'zoomed in');
      assert.ok(Math.abs(at(s1) - at(s0)) < (s1.t1 - s1.t0) / 100, 'same time under the pointer');
      await page.mouse.down();
      await page.mouse.move(px - 200, box.y + 40, { steps: 4 });
      await page.mouse.up();
      await page.waitForTimeout(50);
      const s2 = await page.evaluate(() => window.__cmp.timeline());
      assert.ok(s2.t0 > s1.t0, 'dragged left: later times');
      await page.keyboard.press('0');
    });

    await test('clicking an event on the timeline selects it in the table', async () => {
      const i = await page.evaluate(() => window.__cmp.find('connect'));
      assert.ok(i >= 0, 'a connect event');
      const xy = await page.evaluate((i) => window.__cmp.eventXY(i), i);
      assert.ok(xy.row >= 0, 'its lane is on screen');
      await page.mouse.move(xy.x, xy.y);
      await page.waitForSelector('#tip:not([hidden])', { timeout: 2000 });
      assert.match(await page.textContent('#tip'), /connect/);
      await page.mouse.down();
      await page.mouse.up();
      const sel = await page.evaluate(() => window.__cmp.selected());
      assert.strictEqual(await page.evaluate((s) => window.__cmp.details(s), sel).then((d) => /→/.test(d)), true);
      const selRow = await page.$eval('#trows .row.sel', (r) => r.querySelector('.c-type').textContent);
      assert.strictEqual(selRow, 'connect');
    });

    await test('the cards show the FINAL block numbers', async () => {
      const show = run(['show', demo.cmp]);
      const heap = /Heap:\s+([\d.]+ [KMG]?B)/.exec(show)[1];
      const read = /Files read:\s+([\d.]+ [KMG]?B)/.exec(show)[1];
      const cards = await page.textContent('#cards');
      assert.ok(cards.includes(heap), 'heap ' + heap);
      assert.ok(cards.includes(read), 'files read ' + read);
    });

    await page.mouse.move(10, 10);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });

    await test('no console errors, no network requests', async () => {
      assert.deepStrictEqual(errors, []);
      assert.deepStrictEqual(requests, []);
    });
    await page.close();

    const h = await openReport(ctx, hostile.html);
    await test('hostile strings stay text', async () => {
      assert.strictEqual(await h.page.evaluate(() => window.pwned), undefined);
      assert.strictEqual(await h.page.evaluate(() => document.querySelectorAll('script').length), 2);
      await h.page.fill('#search', 'cmp-x');
      await h.page.waitForFunction(() => window.__cmp.visible() >= 1 && window.__cmp.visible() < 10, null, { timeout: 5000 });
      const i = await h.page.evaluate(() => window.__cmp.find('open', '/tmp/cmp-x'));
      assert.ok(i >= 0, 'the open of the hostile path');
      await h.page.evaluate((i) => window.__cmp.select(i), i);
      const det = await h.page.$eval('#trows .row.sel .c-det', (c) => c.textContent);
      assert.ok(det.includes('/tmp/cmp-x\\xff</script><!--<script>window.pwned=1</script>'), det);
      assert.ok(det.includes('\\u2028"q\\x1bend'), det);
      await h.page.screenshot({ path: path.join(ARTIFACTS, 'report-hostile.png') });
      assert.deepStrictEqual(h.errors, []);
      assert.deepStrictEqual(h.requests, []);
    });
  } finally {
    await ctx.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log('screenshots: ' + ARTIFACTS);
  // the plain closing line CI reads
  console.log('browser: ' + passes + ' passed, ' + failures + ' failed');
  if (failures)
    process.exit(1);
})().catch((e) => {
  console.error(e);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
});
