#!/usr/bin/env node
/*
 * bench_report.js REPORT.html - prints the first-render time of a report in
 * headless chromium, in seconds: from navigation start until the page's
 * script has decoded every event and drawn the timeline and the table
 * (window.__cmp.firstRenderMs, measured by the page on performance.now()).
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'browser', 'node_modules', 'playwright-core'));

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cmp-bench-chrome-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1400, height: 1000 });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('file://' + path.resolve(process.argv[2]), { timeout: 60000 });
    await page.waitForFunction(() => window.__cmp && window.__cmp.ready, null, { timeout: 60000 });
    /* and the frame after it, so the canvas is on screen */
    const ms = await page.evaluate(() => new Promise((res) =>
      requestAnimationFrame(() => res(Math.max(window.__cmp.firstRenderMs, performance.now())))));
    if (errors.length) console.error(errors.join('\n'));
    const stats = await page.evaluate(() => ({ events: window.__cmp.events, script: window.__cmp.scriptMs }));
    console.error('bench_report: ' + stats.events + ' events decoded; script ' + stats.script.toFixed(0) + ' ms');
    console.log((ms / 1000).toFixed(3));
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exit(1); });
