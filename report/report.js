/*
 * report.js - the compendium report page: decodes the embedded data (see
 * report.c for the packed event format), draws the cards, the canvas
 * timeline, the virtual-scrolled event table and the panels.
 *
 * Safety: every string from the recording is inserted with textContent (or
 * drawn on a canvas), never as HTML. Control characters, invalid bytes
 * (\udcXX from the JSON) and bidi controls are shown as \xNN / \uXXXX.
 *
 * Scale: events live in typed arrays (about 45 bytes each in memory); the
 * timeline draws at most about one rectangle per pixel column per lane; the
 * table renders only the rows on screen.
 */
'use strict';
(function () {
  const T0 = performance.now();
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const problems = [];
  function problem(msg) {
    problems.push(msg);
    console.error('compendium report: ' + msg);
  }

  const D = JSON.parse($('cmp-data').textContent);

  /* ---- formatting: ports of replay/format.c, checked against it --------- */
  const UNITS = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  function fmtBytes(n) {
    if (n < 1024) return n + ' B';
    let u = 0, div = 1024;
    while (u + 1 < UNITS.length && Math.floor(n / div) >= 1024) { div *= 1024; u++; }
    let tenths = Math.floor((n * 10 + div / 2) / div);
    if (tenths >= 10240 && u + 1 < UNITS.length) {
      u++; div *= 1024;
      tenths = Math.floor((n * 10 + div / 2) / div);
    }
    return Math.floor(tenths / 10) + '.' + (tenths % 10) + ' ' + UNITS[u];
  }
  /* printf("%.Nf") rounds exact binary ties to even, toFixed away from zero */
  function toFixedC(v, f) {
    const m = f === 1 ? 10 : 100, x = v * m, fl = Math.floor(x);
    const tie = f === 1 ? Number.isInteger(v * 4) && !Number.isInteger(v * 2)
                        : Number.isInteger(v * 8) && !Number.isInteger(v * 4);
    if (tie && x - fl === 0.5) return ((fl % 2 === 0 ? fl : fl + 1) / m).toFixed(f);
    return v.toFixed(f);
  }
  function fmtLatency(ns) {
    if (ns < 1000) return ns + ' ns';
    if (ns < 1e6) return Math.floor(ns / 1000) + ' µs';
    if (ns < 1e9) return toFixedC(ns / 1e6, 1) + ' ms';
    return toFixedC(ns / 1e9, 2) + ' s';
  }
  function fmtSigned(n) { return (n < 0 ? '-' : '+') + fmtBytes(Math.abs(n)); }
  function fmtTs(ns) { return '+' + (ns / 1e9).toFixed(6) + 's'; }
  function fmtTsShort(ns, step) {
    const d = step >= 1e9 ? 0 : step >= 1e8 ? 1 : step >= 1e7 ? 2 : step >= 1e6 ? 3 : step >= 1e5 ? 4 : step >= 1e4 ? 5 : 6;
    return '+' + (ns / 1e9).toFixed(Math.max(d, 1)) + 's';
  }
  const hex = (v) => '0x' + v.toString(16);
  for (const [n, s] of D.fmt_check.bytes)
    if (fmtBytes(n) !== s) problem('fmtBytes(' + n + ') = ' + fmtBytes(n) + ', C says ' + s);
  for (const [n, s] of D.fmt_check.latency)
    if (fmtLatency(n) !== s) problem('fmtLatency(' + n + ') = ' + fmtLatency(n) + ', C says ' + s);

  /* ---- strings: shown, never interpreted -------------------------------- */
  const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\udc80-\udcff]/g;
  function clean(s) {
    return s.replace(UNSAFE, (c) => {
      let n = c.charCodeAt(0);
      if (n >= 0xdc80 && n <= 0xdcff) n -= 0xdc00;
      return n > 0xff ? '\\u' + n.toString(16) : '\\x' + n.toString(16).padStart(2, '0');
    });
  }
  const STR = D.strs.map(clean);
  const str = (id) => (id > 0 && id <= STR.length ? STR[id - 1] : null);
  const DICT = D.dict;
  const dict = (d, v) => (DICT[d] && DICT[d][v] !== undefined ? DICT[d][v] : String(v));

  /* ---- the packed events ------------------------------------------------ */
  const DEC = new Int8Array(128).fill(-1);
  const ALPHA = '0123456789abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZwxyz-_';
  for (let i = 0; i < 64; i++) DEC[ALPHA.charCodeAt(i)] = i;

  const CATS = D.cats.map(([name, label, color]) => ({ name, label, color }));
  const TYPES = D.types.map(([name, cat, color, fields]) => {
    const f = fields ? fields.split(',').map((x) => x.split(':')) : [];
    let ns = 0;
    const role = f.map(([, k]) => (k === 's' && ns < 2 ? ++ns : 0));
    return { name, cat, color, fields: f, role };
  });

  const A = D.ev, AL = A.length;
  let p = 0;
  function rd() {
    let v = 0, mul = 1;
    for (;;) {
      if (p >= AL) throw new Error('event data ends early');
      const d = DEC[A.charCodeAt(p++)];
      if (d < 0) throw new Error('bad event data at ' + (p - 1));
      if (d < 32) return v + d * mul;
      v += (d - 32) * mul;
      mul *= 32;
    }
  }
  const unzig = (v) => (v % 2 ? -(v + 1) / 2 : v / 2);

  const NT = D.tasks.length;
  let N = D.kept;
  const ts = new Float64Array(N), dur = new Float64Array(N), lane = new Uint32Array(N);
  const typ = new Uint8Array(N), err = new Uint16Array(N), off = new Uint32Array(N);
  const s1 = new Int32Array(N), s2 = new Int32Array(N);
  {
    let t = 0, i = 0;
    try {
      for (; i < N; i++) {
        const code = rd(), ty = code >> 1;
        if (ty >= TYPES.length) throw new Error('unknown type ' + ty);
        typ[i] = ty;
        const ln = rd();
        lane[i] = ln < NT ? ln : 0;
        t += unzig(rd());
        ts[i] = t;
        dur[i] = rd();
        if (code & 1) err[i] = Math.min(rd(), 65535);
        off[i] = p;
        const role = TYPES[ty].role;
        for (let k = 0; k < role.length; k++) {
          const v = rd();
          if (role[k] === 1) s1[i] = v; else if (role[k] === 2) s2[i] = v;
        }
      }
    } catch (e) {
      problem('could not read all events: ' + e.message + ' (after ' + i + ')');
      N = i;
    }
  }
  function fieldsOf(i) {
    p = off[i];
    const o = {};
    for (const [name, k] of TYPES[typ[i]].fields) {
      const v = rd();
      o[name] = k === 's' ? str(v) : k === 'i' ? unzig(v) : v;
    }
    return o;
  }

  const noiseStr = new Uint8Array(STR.length + 1);
  {
    const s = D.noise;
    let q = 0, id = 0;
    const L = s.length;
    while (q < L) {
      let v = 0, mul = 1;
      for (;;) {
        const d = DEC[s.charCodeAt(q++)];
        if (d < 32) { v += d * mul; break; }
        v += (d - 32) * mul; mul *= 32;
        if (q >= L) break;
      }
      id += v;
      if (id <= STR.length) noiseStr[id] = 1;
    }
  }

  /* ---- lanes: one per task, process then its threads then children ------ */
  const TASK = D.tasks.map(([tid, pid, parent, name, thread, exited, code, sig, first, last, events]) =>
    ({ tid, pid, parent, name: str(name) || '?', thread: !!thread, exited: !!exited, code, sig, first, last, events }));
  const laneOrder = [];
  {
    const leaderOf = new Int32Array(NT).fill(-1), lastProc = new Map();
    const kids = TASK.map(() => []), threads = TASK.map(() => []);
    for (let i = 0; i < NT; i++) {
      const k = TASK[i];
      if (!k.thread) { lastProc.set(k.tid, i); leaderOf[i] = i; continue; }
      let l = lastProc.has(k.pid) ? lastProc.get(k.pid) : -1;
      if (l < 0 && k.parent >= 0 && k.parent < i) l = leaderOf[k.parent];
      leaderOf[i] = l;
      if (l >= 0) threads[l].push(i);
    }
    const roots = [];
    for (let i = 0; i < NT; i++) {
      const k = TASK[i];
      if (k.thread && leaderOf[i] >= 0) continue;
      const par = k.parent >= 0 && k.parent < NT && k.parent !== i ? leaderOf[k.parent] : -1;
      if (par >= 0 && par !== i) kids[par].push(i); else roots.push(i);
    }
    const seen = new Uint8Array(NT), stack = roots.slice().reverse();
    while (stack.length) {
      const i = stack.pop();
      if (seen[i]) continue;
      seen[i] = 1; laneOrder.push(i);
      for (const t of threads[i]) if (!seen[t]) { seen[t] = 1; laneOrder.push(t); }
      for (let k = kids[i].length - 1; k >= 0; k--) stack.push(kids[i][k]);
    }
    for (let i = 0; i < NT; i++) if (!seen[i]) laneOrder.push(i);
  }
  const rowOfTask = new Int32Array(NT);
  laneOrder.forEach((t, r) => (rowOfTask[t] = r));
  const taskLabel = (k) => (k.thread ? '↳ ' : '') + k.name + ' [' + k.tid + ']';

  /* per-lane event lists, in time order */
  const laneStart = new Uint32Array(NT + 1), laneEv = new Uint32Array(N);
  const laneMaxDur = new Float64Array(NT);
  {
    for (let i = 0; i < N; i++) laneStart[lane[i] + 1]++;
    for (let t = 0; t < NT; t++) laneStart[t + 1] += laneStart[t];
    const fill = laneStart.slice(0, NT);
    for (let i = 0; i < N; i++) {
      laneEv[fill[lane[i]]++] = i;
      if (dur[i] > laneMaxDur[lane[i]]) laneMaxDur[lane[i]] = dur[i];
    }
    for (let t = 0; t < NT; t++) {
      const a = laneStart[t], b = laneStart[t + 1];
      let sorted = true;
      for (let k = a + 1; k < b && sorted; k++) if (ts[laneEv[k]] < ts[laneEv[k - 1]]) sorted = false;
      if (!sorted) laneEv.subarray(a, b).sort((x, y) => ts[x] - ts[y] || x - y);
    }
  }
  let tEnd = D.duration_ns || 0;
  for (let i = 0; i < N; i++) if (ts[i] + dur[i] > tEnd) tEnd = ts[i] + dur[i];
  if (tEnd <= 0) tEnd = 1000;

  /* ---- header, cap banner, cards ---------------------------------------- */
  const cmd = D.argv.length ? D.argv.map(clean).join(' ') : 'pid ' + D.root_pid;
  $('cmd').textContent = cmd;
  document.title = 'compendium: ' + cmd.slice(0, 80);
  {
    const bits = [];
    if (D.host) bits.push('host ' + clean(D.host));
    if (D.kernel) bits.push('Linux ' + clean(D.kernel));
    if (D.start_ms) bits.push(new Date(D.start_ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
    bits.push(D.runtime + ' run time');
    bits.push(D.events.toLocaleString('en-US') + ' events');
    bits.push(NT + ' task' + (NT === 1 ? '' : 's'));
    $('meta').textContent = bits.join(' · ');
  }
  if (D.dropped > 0) {
    const w = $('capwarn');
    w.hidden = false;
    w.append('Only the first ' + D.kept.toLocaleString('en-US') + ' of ' + D.events.toLocaleString('en-US') +
      ' events are in this report: ' + D.dropped.toLocaleString('en-US') + ' events after ' + fmtTs(D.first_drop_ns) +
      ' were left out (--max-report-events ' + D.max_events + ').');
    const cats = Object.entries(D.dropped_cats).map(([c, n]) => n.toLocaleString('en-US') + ' ' + c).join(', ');
    w.append(el('small', null, 'Left out: ' + cats + '. The cards, the panels and the lanes still count every event; ' +
      'make the report again with a larger --max-report-events to see them all.'));
    w.id = 'capwarn';
  }
  if (D.incomplete) problem('the report ran out of memory while collecting; some details may be missing');
  if (D.strings_lost) problem(D.strings_lost + ' strings were left out (string table full)');

  for (const c of D.cards) {
    const cat = CATS.find((x) => x.name === c.cls);
    const card = el('div', 'card');
    if (cat) card.style.setProperty('--c', cat.color);
    card.append(el('h3', null, c.title));
    for (const [k, v, note] of c.rows) {
      const r = el('div', 'kv');
      r.append(el('span', 'k', k));
      const vv = el('span', 'v', clean(v));
      if (note) vv.append(el('span', 'n', clean(note)));
      r.append(vv);
      card.append(r);
    }
    $('cards').append(card);
  }

  /* ---- details of one event --------------------------------------------- */
  function details(i) {
    const t = TYPES[typ[i]], f = fieldsOf(i);
    const cnt = f.count > 1 ? ' ×' + f.count : '';
    const range = (a, l) => hex(a) + '-' + hex(a + l);
    let s;
    switch (t.name) {
      case 'exec': s = (f.argv || f.path || '?') + (f.argv && f.path ? '   (' + f.path + ')' : ''); break;
      case 'spawn': case 'thread':
        s = (t.name === 'thread' ? 'thread ' : 'process ') + f.child + (f.child_pid && f.child_pid !== f.child ? ' of ' + f.child_pid : ''); break;
      case 'exit': s = f.signal ? 'killed by ' + dict('g', f.signal) : 'exit ' + f.code + (f.thread ? ' (thread)' : ''); break;
      case 'signal': s = dict('g', f.signal) + (f.sender ? ' from ' + f.sender : ''); break;
      case 'task': s = (f.comm || '?') + (f.thread ? ' (thread)' : ''); break;
      case 'open': {
        const o = dict('o', f.flags).split('\t');
        s = (f.path || '?') + ' (' + o[0] + ')' + (f.created ? ' created' : '') + (f.fd >= 0 ? ' → fd ' + f.fd : '');
        break;
      }
      case 'close': s = (f.path || '') + ' (fd ' + f.fd + ')'; break;
      case 'dup': s = (f.path || '') + ' fd ' + f.fd + ' → ' + f.new_fd; break;
      case 'pipe': s = 'fds ' + f.read_fd + ', ' + f.write_fd; break;
      case 'socket': s = dict('P', f.proto) + ' fd ' + f.fd; break;
      case 'connect': s = dict('P', f.proto) + ' → ' + (f.addr || '?'); break;
      case 'bind': case 'listen': s = dict('P', f.proto) + ' ' + (f.addr || '?'); break;
      case 'accept': s = dict('P', f.proto) + ' ← ' + (f.peer || '?') + (f.new_fd >= 0 ? ' fd ' + f.new_fd : ''); break;
      case 'send': s = fmtBytes(f.bytes) + cnt + ' → ' + (f.peer || 'fd ' + f.fd); break;
      case 'recv': s = fmtBytes(f.bytes) + cnt + ' ← ' + (f.peer || 'fd ' + f.fd); break;
      case 'read': s = fmtBytes(f.bytes) + cnt + ' from ' + (f.path || dict('K', f.kind) + ' fd ' + f.fd); break;
      case 'write': s = fmtBytes(f.bytes) + cnt + ' to ' + (f.path || dict('K', f.kind) + ' fd ' + f.fd); break;
      case 'transfer': s = fmtBytes(f.bytes) + ' ' + (f.src || '?') + ' → ' + (f.dst || '?'); break;
      case 'brk': s = 'brk ' + hex(f.brk) + (f.delta ? ' (' + fmtSigned(f.delta) + ')' : ''); break;
      case 'mmap': s = range(f.addr, f.len) + ' ' + dict('p', f.prot) + ' ' + fmtBytes(f.len) + ' ' + (f.path || 'anon'); break;
      case 'munmap': s = range(f.addr, f.len) + ' ' + fmtBytes(f.len); break;
      case 'mremap': s = range(f.addr, f.len) + ' → ' + range(f.new_addr, f.new_len) + ' ' + fmtBytes(f.new_len); break;
      case 'mprotect': s = range(f.addr, f.len) + ' ' + dict('p', f.prot); break;
      case 'fault': s = 'at ' + hex(f.addr) + (f.ip ? ' (ip ' + hex(f.ip) + ')' : ''); break;
      case 'sched': s = fmtLatency(f.delay) + ' waiting for cpu ' + f.cpu + (f.preempted ? ' (preempted)' : ''); break;
      case 'block_read': case 'block_write':
        s = fmtBytes(f.bytes) + ' at sector ' + f.sector + ' dev ' + (f.dev >>> 20) + ':' + (f.dev & 0xfffff) + (f.error ? ' error ' + f.error : ''); break;
      case 'hist': s = 'histogram'; break;
      case 'loss': s = f.count + ' ' + (f.source || '?') + ' events lost' + (f.reason ? ': ' + f.reason : ''); break;
      case 'note': s = f.text || ''; break;
      case 'syscall': s = dict('y', f.syscall) + ' = ' + f.ret; break;
      default: s = (f.path || '?') + (f.path2 ? ' → ' + f.path2 : '') + (f.length ? ' (' + f.length + ')' : '');
    }
    if (err[i]) s += '  ✗ ' + dict('e', err[i]);
    return s;
  }

  /* ---- filters ----------------------------------------------------------- */
  const catOn = new Uint8Array(CATS.length).fill(1), typeOn = new Uint8Array(TYPES.length).fill(1);
  const taskOn = new Uint8Array(NT).fill(1);
  let hideNoise = false, errOnly = false, needle = '', match = null;
  let sortBy = 'time';
  const vis = new Uint8Array(N);
  let view = new Uint32Array(0);
  const viewPos = new Int32Array(N);
  let sel = -1;

  const typeCount = new Uint32Array(TYPES.length), catCount = new Uint32Array(CATS.length);
  const taskCount = new Uint32Array(NT);
  for (let i = 0; i < N; i++) { typeCount[typ[i]]++; taskCount[lane[i]]++; }
  TYPES.forEach((t, k) => (catCount[t.cat] += typeCount[k]));

  function refilter() {
    if (needle) {
      match = new Uint8Array(STR.length + 1);
      for (let k = 0; k < STR.length; k++) if (STR[k].toLowerCase().includes(needle)) match[k + 1] = 1;
    } else match = null;
    const tOk = new Uint8Array(TYPES.length);
    TYPES.forEach((t, k) => (tOk[k] = typeOn[k] && catOn[t.cat]));
    const out = new Uint32Array(N);
    let n = 0;
    for (let i = 0; i < N; i++) {
      let ok = tOk[typ[i]] && taskOn[lane[i]];
      if (ok && hideNoise && noiseStr[s1[i]]) ok = 0;
      if (ok && errOnly && !err[i]) ok = 0;
      if (ok && match && !match[s1[i]] && !match[s2[i]]) ok = 0;
      vis[i] = ok ? 1 : 0;
      if (ok) out[n++] = i;
    }
    view = out.slice(0, n);
    if (sortBy === 'dur') view.sort((a, b) => dur[b] - dur[a] || a - b);
    viewPos.fill(-1);
    for (let k = 0; k < view.length; k++) viewPos[view[k]] = k;
    $('ev-count').textContent = view.length.toLocaleString('en-US') + ' of ' + N.toLocaleString('en-US') + ' events shown' +
      (D.dropped ? ' (' + D.dropped.toLocaleString('en-US') + ' left out of the report)' : '');
    table.reset();
    timeline.draw();
  }

  function chip(label, color, count, onToggle, extraCls) {
    const c = el('span', 'chip' + (extraCls ? ' ' + extraCls : ''));
    c.setAttribute('role', 'switch');
    c.setAttribute('aria-checked', 'true');
    if (color) { const d = el('span', 'dot'); d.style.setProperty('--c', color); c.append(d); }
    c.append(el('span', 'lbl', label));
    c.append(el('span', 'cnt', count.toLocaleString('en-US')));
    c.addEventListener('click', () => {
      const on = c.classList.toggle('off');
      c.setAttribute('aria-checked', on ? 'false' : 'true');
      onToggle(!on);
      refilter();
    });
    return c;
  }
  CATS.forEach((c, k) => {
    if (!catCount[k]) return;
    const ch = chip(c.label, c.color, catCount[k], (on) => (catOn[k] = on ? 1 : 0));
    ch.dataset.cat = c.name;
    $('f-cats').append(ch);
  });
  TYPES.forEach((t, k) => {
    if (!typeCount[k]) return;
    const ch = chip(t.name, t.color, typeCount[k], (on) => (typeOn[k] = on ? 1 : 0));
    ch.dataset.type = t.name;
    $('f-types').append(ch);
  });
  {
    const MAXCHIPS = 2000;
    laneOrder.slice(0, MAXCHIPS).forEach((t) => {
      const k = TASK[t];
      const ch = chip(taskLabel(k), null, taskCount[t], (on) => (taskOn[t] = on ? 1 : 0), k.thread ? 'thread' : '');
      ch.dataset.tid = k.tid;
      $('f-procs').append(ch);
    });
    if (NT > MAXCHIPS) $('f-procs').append(el('span', 'hint', (NT - MAXCHIPS) + ' more tasks not listed'));
  }
  let searchTimer = 0;
  $('search').addEventListener('input', (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { needle = e.target.value.trim().toLowerCase(); refilter(); }, 120);
  });
  $('f-noise').addEventListener('change', (e) => { hideNoise = e.target.checked; refilter(); });
  $('f-err').addEventListener('change', (e) => { errOnly = e.target.checked; refilter(); });
  $('f-reset').addEventListener('click', () => {
    catOn.fill(1); typeOn.fill(1); taskOn.fill(1);
    hideNoise = errOnly = false; needle = '';
    $('f-noise').checked = $('f-err').checked = false;
    $('search').value = '';
    document.querySelectorAll('.chip.off').forEach((c) => { c.classList.remove('off'); c.setAttribute('aria-checked', 'true'); });
    refilter();
  });
  document.querySelectorAll('#thead .sortable').forEach((h) => h.addEventListener('click', () => {
    sortBy = h.dataset.sort;
    document.querySelectorAll('#thead .sortable').forEach((x) => x.classList.toggle('on', x === h));
    refilter();
  }));

  /* ---- the event table: virtual scrolling ------------------------------- */
  const table = (function () {
    const RH = 22, MAXH = 8e6;
    const body = $('tbody'), spacer = $('tspacer'), rows = $('trows');
    const pool = [];
    let first = -1;
    function rowEl() {
      const r = el('div', 'row');
      for (const c of ['c-time', 'c-pid', 'c-cat', 'c-type', 'c-det', 'c-dur']) r.append(el('span', c));
      r.addEventListener('click', () => select(+r.dataset.ev, false));
      return r;
    }
    function firstRow() {
      const total = view.length * RH, h = Math.min(total, MAXH), vh = body.clientHeight;
      if (total <= MAXH || h <= vh) return Math.floor(body.scrollTop / RH);
      return Math.floor(body.scrollTop / (h - vh) * (view.length - Math.floor(vh / RH)));
    }
    function render(force) {
      const f = Math.max(0, firstRow());
      if (f === first && !force) return;
      first = f;
      const count = Math.ceil(body.clientHeight / RH) + 1;
      while (pool.length < count) { const r = rowEl(); pool.push(r); rows.append(r); }
      rows.style.top = (body.scrollTop - (view.length * RH <= MAXH ? body.scrollTop % RH : 0)) + 'px';
      for (let k = 0; k < pool.length; k++) {
        const r = pool[k], idx = f + k;
        if (k >= count || idx >= view.length) { r.hidden = true; continue; }
        r.hidden = false;
        const i = view[idx], t = TYPES[typ[i]], tk = TASK[lane[i]], c = r.children;
        r.dataset.ev = i;
        r.className = 'row' + (err[i] ? ' fail' : '') + (i === sel ? ' sel' : '');
        c[0].textContent = fmtTs(ts[i]);
        c[1].textContent = tk ? (tk.thread ? '↳ ' + tk.tid : String(tk.pid)) : '';
        c[1].className = 'c-pid' + (tk && tk.thread ? ' thread' : '');
        c[2].textContent = CATS[t.cat].label;
        c[3].textContent = t.name;
        c[3].className = 'c-type tag';
        c[3].style.setProperty('--c', t.color);
        const d = details(i);
        c[4].textContent = d;
        c[4].title = d;
        c[5].textContent = dur[i] ? fmtLatency(dur[i]) : '';
      }
      if (!view.length && !rows.querySelector('.empty')) rows.append(el('div', 'empty', 'No event matches the filters.'));
      else if (view.length) rows.querySelectorAll('.empty').forEach((e) => e.remove());
    }
    body.addEventListener('scroll', () => render(false));
    window.addEventListener('resize', () => render(true));
    return {
      reset() {
        spacer.style.height = Math.min(view.length * RH, MAXH) + 'px';
        render(true);
      },
      refresh() { render(true); },
      show(idx) {
        const total = view.length * RH, vh = body.clientHeight;
        if (total <= MAXH) {
          const y = idx * RH;
          if (y < body.scrollTop || y + RH > body.scrollTop + vh) body.scrollTop = Math.max(0, y - vh / 2);
        } else {
          body.scrollTop = idx / Math.max(1, view.length - Math.floor(vh / RH)) * (Math.min(total, MAXH) - vh);
        }
        render(true);
      },
    };
  })();

  /* ---- the timeline (canvas) --------------------------------------------- */
  const timeline = (function () {
    const cv = $('tl'), tip = $('tip'), ctx = cv.getContext('2d');
    const LH = 18, GUT = 190, AXIS = 20, MAXVIS = 22;
    let t0 = 0, t1 = tEnd, laneTop = 0, W = 0, H = 0, mouseX = -1, mouseY = -1, drag = null;
    const visLanes = () => Math.min(laneOrder.length, MAXVIS);
    function size() {
      const dpr = window.devicePixelRatio || 1;
      W = cv.clientWidth;
      H = AXIS + Math.max(1, visLanes()) * LH + 4;
      cv.style.height = H + 'px';
      cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    const scale = () => (W - GUT) / (t1 - t0);
    function lowerBound(a, lo, hi, t) {
      while (lo < hi) { const m = (lo + hi) >> 1; if (ts[laneEv[m]] < t) lo = m + 1; else hi = m; }
      return lo;
    }
    function niceStep(span) {
      const raw = span / 8, p10 = Math.pow(10, Math.floor(Math.log10(raw)));
      for (const m of [1, 2, 5, 10]) if (m * p10 >= raw) return m * p10;
      return 10 * p10;
    }
    function draw() {
      if (!W) size();
      ctx.clearRect(0, 0, W, H);
      ctx.font = '11px ' + getComputedStyle(document.body).getPropertyValue('--mono');
      const sc = scale(), nl = visLanes();
      /* axis */
      const step = niceStep(t1 - t0);
      ctx.fillStyle = '#8b949e'; ctx.strokeStyle = '#21262d'; ctx.textBaseline = 'middle';
      for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
        const x = GUT + (t - t0) * sc;
        ctx.beginPath(); ctx.moveTo(x + 0.5, AXIS - 4); ctx.lineTo(x + 0.5, H); ctx.stroke();
        ctx.fillText(fmtTsShort(t, step), x + 3, AXIS / 2);
      }
      for (let r = 0; r < nl; r++) {
        const row = laneTop + r;
        if (row >= laneOrder.length) break;
        const task = laneOrder[row], k = TASK[task], y = AXIS + r * LH;
        ctx.fillStyle = r % 2 ? '#12171e' : '#161b22';
        ctx.fillRect(GUT, y, W - GUT, LH);
        /* label */
        ctx.fillStyle = k.thread ? '#8b949e' : '#e6edf3';
        ctx.font = (k.thread ? 'italic ' : '') + '12px ' + getComputedStyle(document.body).getPropertyValue('--sans');
        let label = taskLabel(k);
        if (k.thread) label = '   ' + label;
        while (label.length > 4 && ctx.measureText(label).width > GUT - 10) label = label.slice(0, -2);
        ctx.fillText(label, 6, y + LH / 2);
        if (!taskOn[task]) continue;
        /* the task's life */
        const la = GUT + (k.first - t0) * sc, lb = GUT + (k.last - t0) * sc;
        if (lb >= GUT && la <= W) {
          ctx.fillStyle = '#2d333b';
          ctx.fillRect(Math.max(GUT, la), y + LH / 2 - 1, Math.min(W, lb) - Math.max(GUT, la) + 1, 2);
        }
        /* events: about one per pixel column */
        const a = laneStart[task], b = laneStart[task + 1];
        let e = lowerBound(laneEv, a, b, t0 - laneMaxDur[task]);
        while (e < b) {
          const i = laneEv[e], x = GUT + (ts[i] - t0) * sc;
          if (x > W) break;
          if (!vis[i]) { e++; continue; }
          const w = Math.max(2, dur[i] * sc);
          if (x + w < GUT) { e++; continue; }
          ctx.fillStyle = err[i] ? '#f85149' : TYPES[typ[i]].color;
          const xs = Math.max(GUT, x);
          ctx.fillRect(xs, y + 3, Math.min(w, x + w - xs), LH - 6);
          if (dur[i] * sc < 1) {
            const next = t0 + (Math.floor(x - GUT) + 1) / sc;
            e = e + 1 < b && ts[laneEv[e + 1]] < next ? lowerBound(laneEv, e + 1, b, next) : e + 1;
          } else e++;
        }
      }
      /* where the cap cut: nothing after this point is in the table */
      if (D.dropped > 0) {
        const xc = Math.max(GUT, GUT + (D.first_drop_ns - t0) * sc);
        if (xc < W) {
          ctx.fillStyle = 'rgba(210,153,34,.13)';
          ctx.fillRect(xc, AXIS, W - xc, H - AXIS);
          ctx.fillStyle = '#d29922';
          ctx.fillRect(xc, AXIS, 1, H - AXIS);
          if (W - xc > 200) ctx.fillText('left out by --max-report-events', xc + 6, AXIS + 8);
        }
      }
      /* the selected event */
      if (sel >= 0) {
        const r = rowOfTask[lane[sel]] - laneTop, x = GUT + (ts[sel] - t0) * sc;
        if (r >= 0 && r < nl && x >= GUT && x <= W) {
          ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 2;
          ctx.strokeRect(x - 2, AXIS + r * LH + 1, Math.max(4, dur[sel] * sc) + 4, LH - 2);
          ctx.lineWidth = 1;
        }
      }
      if (laneOrder.length > nl) {
        ctx.fillStyle = '#8b949e';
        ctx.fillText('lanes ' + (laneTop + 1) + '–' + Math.min(laneOrder.length, laneTop + nl) + ' of ' + laneOrder.length + ' (wheel to scroll)', 6, AXIS / 2);
      }
      $('tl-range').textContent = fmtTs(t0) + ' … ' + fmtTs(t1) + '  (' + fmtLatency(Math.round(t1 - t0)) + ' wide)';
      cv.dataset.lanes = laneOrder.length;
    }
    let raf = 0;
    const redraw = () => { if (!raf) raf = requestAnimationFrame(() => { raf = 0; draw(); }); };
    function zoom(f, px) {
      const sc = scale(), anchor = px >= GUT ? t0 + (px - GUT) / sc : (t0 + t1) / 2;
      let span = (t1 - t0) / f;
      span = Math.max(1000, Math.min(span, tEnd * 1.05 + 1000));
      const frac = px >= GUT ? (px - GUT) / (W - GUT) : 0.5;
      t0 = anchor - span * frac; t1 = t0 + span;
      redraw();
    }
    function reset() { t0 = 0; t1 = tEnd; laneTop = 0; redraw(); }
    function hit(px, py) {
      const r = Math.floor((py - AXIS) / LH);
      if (px < GUT || r < 0 || r >= visLanes() || laneTop + r >= laneOrder.length) return -1;
      const task = laneOrder[laneTop + r];
      if (!taskOn[task]) return -1;
      const sc = scale(), t = t0 + (px - GUT) / sc, a = laneStart[task], b = laneStart[task + 1];
      const slack = 4 / sc;
      let best = -1, bd = Infinity;
      let e = lowerBound(laneEv, a, b, t - slack - laneMaxDur[task]);
      for (; e < b; e++) {
        const i = laneEv[e];
        if (ts[i] > t + slack) break;
        if (!vis[i]) continue;
        const d = t < ts[i] ? ts[i] - t : t > ts[i] + dur[i] ? t - ts[i] - dur[i] : 0;
        if (d <= slack && d <= bd) { bd = d; best = i; }
      }
      return best;
    }
    function showTip(i, px, py) {
      if (i < 0) { tip.hidden = true; return; }
      const t = TYPES[typ[i]], k = TASK[lane[i]];
      tip.textContent = fmtTs(ts[i]) + '  ' + t.name + (dur[i] ? '  (' + fmtLatency(dur[i]) + ')' : '') + '\n' +
        (k ? taskLabel(k) + (k.thread ? ' of pid ' + k.pid : '') : '') + '\n' + details(i);
      tip.hidden = false;
      const x = Math.min(px + 14, Math.max(0, W - tip.offsetWidth - 4));
      tip.style.left = x + 'px';
      tip.style.top = (py + 16) + 'px';
    }
    cv.addEventListener('wheel', (e) => {
      const px = e.offsetX;
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        zoom(Math.exp(-e.deltaY * 0.0025), px);
      } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault();
        const d = (e.deltaX || e.deltaY) / (W - GUT) * (t1 - t0);
        t0 += d; t1 += d; redraw();
      } else if (laneOrder.length > visLanes()) {
        const max = laneOrder.length - visLanes(), nt = Math.max(0, Math.min(max, laneTop + Math.sign(e.deltaY) * 3));
        if (nt !== laneTop) { e.preventDefault(); laneTop = nt; redraw(); }
      }
    }, { passive: false });
    cv.addEventListener('mousedown', (e) => {
      drag = { x: e.offsetX, t0, t1, moved: false };
      cv.classList.add('dragging');
      cv.focus();
    });
    window.addEventListener('mouseup', (e) => {
      if (!drag) return;
      const d = drag;
      drag = null;
      cv.classList.remove('dragging');
      if (!d.moved && e.target === cv) {
        const i = hit(e.offsetX, e.offsetY);
        if (i >= 0) select(i, true);
      }
    });
    cv.addEventListener('mousemove', (e) => {
      mouseX = e.offsetX; mouseY = e.offsetY;
      if (drag) {
        const dx = e.offsetX - drag.x;
        if (Math.abs(dx) > 2) drag.moved = true;
        const dt = dx / (W - GUT) * (drag.t1 - drag.t0);
        t0 = drag.t0 - dt; t1 = drag.t1 - dt;
        tip.hidden = true;
        redraw();
        return;
      }
      showTip(hit(mouseX, mouseY), mouseX, mouseY);
    });
    cv.addEventListener('mouseleave', () => { mouseX = -1; tip.hidden = true; });
    document.addEventListener('keydown', (e) => {
      const tag = (e.target && e.target.tagName) || '';
      if (tag === 'INPUT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '+' || e.key === '=') { zoom(1.5, mouseX); e.preventDefault(); }
      else if (e.key === '-' || e.key === '_') { zoom(1 / 1.5, mouseX); e.preventDefault(); }
      else if (e.key === '0') { reset(); e.preventDefault(); }
    });
    window.addEventListener('resize', () => { W = 0; redraw(); });
    return {
      draw() { size(); draw(); },
      redraw,
      reveal(i) {
        const r = rowOfTask[lane[i]];
        if (r < laneTop || r >= laneTop + visLanes()) laneTop = Math.max(0, Math.min(r - 2, laneOrder.length - visLanes()));
        if (ts[i] < t0 || ts[i] > t1) { const span = t1 - t0; t0 = ts[i] - span / 2; t1 = t0 + span; }
        redraw();
      },
      state: () => ({ t0, t1, laneTop, width: W, height: H }),
      /* where event i is drawn, in page coordinates (tests click there) */
      eventXY(i) {
        const r = rowOfTask[lane[i]] - laneTop, b = cv.getBoundingClientRect();
        const x = GUT + (ts[i] - t0) * scale() + Math.min(1, dur[i] * scale() / 2);
        return { x: b.left + window.scrollX + x + 1, y: b.top + window.scrollY + AXIS + r * LH + LH / 2, row: r };
      },
      zoom, reset,
    };
  })();

  function select(i, fromTimeline) {
    sel = i;
    if (fromTimeline && viewPos[i] >= 0) table.show(viewPos[i]); else table.refresh();
    if (!fromTimeline) timeline.reveal(i); else timeline.redraw();
  }

  /* ---- panels ------------------------------------------------------------ */
  function listPanel(box, head, rows, fmtRow, hideNoiseBox) {
    function render() {
      box.textContent = '';
      const h = el('div', 'li head');
      head.forEach((x) => h.append(el('span', null, x)));
      box.append(h);
      const hide = hideNoiseBox.checked;
      const shown = rows.filter((r) => !(hide && r.noise));
      const max = shown.reduce((m, r) => Math.max(m, r.a + r.b), 0) || 1;
      for (const r of shown.slice(0, 500)) {
        const li = el('div', 'li'), name = el('span', 'p');
        name.append(el('span', null, r.name));
        name.title = r.name;
        if (r.a) { const bar = el('div', 'bar'); bar.style.width = (100 * r.a / max) + '%'; name.append(bar); }
        if (r.b) { const bar = el('div', 'bar w'); bar.style.width = (100 * r.b / max) + '%'; name.append(bar); }
        li.append(name);
        fmtRow(r).forEach((x) => li.append(el('span', null, x)));
        box.append(li);
      }
      if (!shown.length) box.append(el('div', 'empty', rows.length ? 'Only noise here (uncheck “hide”).' : 'None.'));
      if (shown.length > 500) box.append(el('div', 'empty', (shown.length - 500) + ' more not listed'));
    }
    hideNoiseBox.addEventListener('change', render);
    render();
  }
  listPanel($('files'), ['File', 'Read', 'Written'],
    D.files.filter((f) => f[1] + f[2] > 0 || f[3] + f[4] > 0).map(([path, rd_, wr, or, ow, failed, noise]) =>
      ({ name: clean(path || '?'), a: rd_, b: wr, noise, or, ow, failed })),
    (r) => [fmtBytes(r.a), fmtBytes(r.b)], $('files-noise'));
  listPanel($('peers'), ['Connection', 'Sent', 'Received'],
    D.peers.map(([addr, proto, sent, recv, conn, failed, inbound, noise, lastErr]) =>
      ({ name: proto + (inbound ? ' ← ' : ' → ') + clean(addr || '?') + (lastErr ? '  failed: ' + lastErr : ''),
         a: sent, b: recv, noise })),
    (r) => [fmtBytes(r.a), fmtBytes(r.b)], $('peers-noise'));

  function memChart() {
    const cv = $('memc'), ctx = cv.getContext('2d'), M = D.mem;
    const dpr = window.devicePixelRatio || 1, W = cv.clientWidth, H = cv.clientHeight;
    cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px sans-serif'; ctx.fillStyle = '#8b949e';
    if (!M.length) { ctx.fillText('No memory events.', 10, 20); return; }
    const L = 64, B = 18, tmax = Math.max(tEnd, M[M.length - 1][0]) || 1;
    let vmax = 1;
    for (const [, h, m] of M) vmax = Math.max(vmax, h + m);
    const x = (t) => L + t / tmax * (W - L - 8), y = (v) => H - B - v / vmax * (H - B - 8);
    for (let k = 0; k <= 4; k++) {
      const v = vmax * k / 4;
      ctx.fillStyle = '#8b949e'; ctx.fillText(fmtBytes(Math.round(v)), 4, y(v) + 4);
      ctx.strokeStyle = '#21262d'; ctx.beginPath(); ctx.moveTo(L, y(v)); ctx.lineTo(W, y(v)); ctx.stroke();
    }
    ctx.fillText(fmtTs(0), L, H - 4);
    ctx.fillText(fmtTs(tmax), W - 80, H - 4);
    function area(get, color) {
      ctx.beginPath(); ctx.moveTo(x(M[0][0]), y(0));
      let prev = 0;
      for (const s of M) { ctx.lineTo(x(s[0]), y(prev)); prev = get(s); ctx.lineTo(x(s[0]), y(prev)); }
      ctx.lineTo(x(tmax), y(prev)); ctx.lineTo(x(tmax), y(0)); ctx.closePath();
      ctx.fillStyle = color; ctx.fill();
    }
    area((s) => s[1] + s[2], 'rgba(88,166,255,.55)');
    area((s) => s[1], 'rgba(210,153,34,.8)');
  }
  memChart();
  window.addEventListener('resize', memChart);

  {
    const box = $('lat'), kinds = Object.keys(D.hist);
    if (!kinds.length) box.append(el('div', 'empty', 'No scheduler or block I/O latency in this recording (record with --ebpf).'));
    for (const k of kinds) {
      const b = D.hist[k], max = Math.max(1, ...b), cat = CATS.find((c) => c.name === k);
      const h = el('div', 'hist');
      h.append(el('h4', null, (k === 'sched' ? 'Scheduler delay' : 'Block I/O latency') + ' (log2 buckets)'));
      b.forEach((n, i) => {
        if (!n && (i < b.findIndex((v) => v > 0))) return;
        const r = el('div', 'hrow');
        r.append(el('span', null, '≥ ' + fmtLatency(Math.pow(2, i))));
        const bar = el('div', 'hb');
        bar.style.width = (100 * n / max) + '%';
        if (cat) bar.style.setProperty('--c', cat.color);
        r.append(bar);
        r.append(el('span', null, n.toLocaleString('en-US')));
        h.append(r);
      });
      box.append(h);
    }
  }

  $('foot').textContent = 'compendium ' + (D.tool ? clean(D.tool) : '') + ' · self-contained report: no network access · ' +
    N.toLocaleString('en-US') + ' events in the table, ' + STR.length.toLocaleString('en-US') + ' distinct strings';

  refilter();
  if (problems.length) {
    const b = $('problems');
    b.hidden = false;
    b.textContent = problems.join(' · ');
  }
  /* for tests and benchmarks */
  window.__cmp = {
    ready: true,
    decodeMs: 0,
    firstRenderMs: performance.now(),
    scriptMs: performance.now() - T0,
    lanes: laneOrder.length,
    events: N,
    visible: () => view.length,
    timeline: () => timeline.state(),
    selected: () => sel,
    select: (i) => select(i, true),
    eventXY: (i) => timeline.eventXY(i),
    find: (typeName, text) => {
      for (let i = 0; i < N; i++)
        if (TYPES[typ[i]].name === typeName && (!text || details(i).includes(text))) return i;
      return -1;
    },
    details: (i) => details(i),
    duration: (i) => dur[i],
  };
})();
