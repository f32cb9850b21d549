// The live preview page: one EventSource on /events, the image, the
// metrics, the loss curves on a canvas and the Stop button. No libraries.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const token = document.querySelector('meta[name="preview-token"]').content;
  const series = [
    { key: 2, name: 'loss', color: '#e8e6e3', width: 2 },
    { key: 3, name: 'content', color: '#5aa9e6', width: 1.3 },
    { key: 4, name: 'style', color: '#e0a030', width: 1.3 },
    { key: 5, name: 'tv', color: '#6cc070', width: 1.3 },
    { key: 6, name: 'terms', color: '#c07ce0', width: 1.3 },
  ];
  let points = []; // [n, scale, loss, content, style, tv, terms]
  let ended = false;
  let es = null;
  let drawPending = false;

  function num(v) {
    if (v < 0) return '–';
    if (v === 0) return '0';
    return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-2 ? v.toExponential(3) : v.toPrecision(4);
  }
  function dur(s) {
    if (s < 0 || !isFinite(s)) return '–';
    s = Math.round(s);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h > 0) return h + 'h ' + String(m).padStart(2, '0') + 'm';
    if (m > 0) return m + 'm ' + String(r).padStart(2, '0') + 's';
    return r + 's';
  }
  function setText(id, t) { const e = $(id); if (e.textContent !== t) e.textContent = t; }

  function update(m) {
    const st = $('status');
    st.dataset.status = m.status;
    setText('status', m.status);
    ended = ['finished', 'stopped', 'failed'].includes(m.status);
    $('stop').disabled = m.status !== 'running' && m.status !== 'waiting';
    if (m.label) { $('label').hidden = false; setText('label', m.label); } else { $('label').hidden = true; }
    if (m.iterations > 0) setText('iteration', m.iteration + ' / ' + m.iterations);
    if (m.scales > 0) setText('scale', m.scale + ' / ' + m.scales + ' (' + m.width + '×' + m.height + ')');
    setText('elapsed', dur(m.elapsed));
    setText('eta-name', m.etaScale ? 'ETA (this scale)' : 'ETA');
    setText('eta', ended ? 'done' : dur(m.eta));
    if (m.iterations > 0) {
      setText('loss', num(m.loss)); setText('content', num(m.content)); setText('style', num(m.style));
      setText('tv', num(m.tv)); setText('terms', num(m.terms));
    }
    if (m.terms > 0) $('terms-row').hidden = false;
    const msg = m.message || m.imageError || '';
    $('message').hidden = !msg;
    setText('message', msg);

    if (m.resetPoints) points = [];
    if (m.points) points.push(...m.points);
    if (m.resetPoints || (m.points && m.points.length)) scheduleDraw();

    if (m.frame) {
      const img = $('frame');
      img.src = m.frame;
      img.hidden = false;
      img.dataset.seq = String(m.frameSeq);
      img.dataset.iteration = String(m.frameIteration);
      $('placeholder').hidden = true;
      setText('caption', (ended ? 'result, ' : '') + 'iteration ' + m.frameIteration + (m.width ? ', ' + m.width + '×' + m.height + ' px' : ''));
    }
    if (m.resetStrip) { $('strip').replaceChildren(); }
    if (m.strip && m.strip.length) {
      const strip = $('strip');
      for (const it of m.strip) {
        const f = document.createElement('figure');
        const i = document.createElement('img');
        i.src = it.src; i.alt = it.label;
        const c = document.createElement('figcaption');
        c.textContent = it.label;
        f.append(i, c);
        strip.append(f);
      }
      strip.scrollLeft = strip.scrollWidth;
    }
    const count = $('strip').children.length;
    $('strip').dataset.count = String(count);
    $('strip-box').hidden = count === 0;
  }

  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => { drawPending = false; draw(); });
  }

  function draw() {
    const cv = $('curves');
    cv.dataset.points = String(points.length);
    const dpr = window.devicePixelRatio || 1;
    const W = Math.max(200, cv.clientWidth), H = Math.max(120, cv.clientHeight);
    if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) {
      cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
    }
    const g = cv.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    if (points.length === 0) return;
    const L = 46, R = 8, T = 8, B = 22;
    let lo = Infinity, hi = -Infinity;
    const used = series.filter((s) => points.some((p) => p[s.key] > 0));
    for (const p of points) for (const s of used) {
      const v = p[s.key];
      if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    if (!isFinite(lo)) return;
    let ylo = Math.floor(Math.log10(lo)), yhi = Math.ceil(Math.log10(hi));
    if (yhi <= ylo) yhi = ylo + 1;
    const n0 = points[0][0], n1 = Math.max(points[points.length - 1][0], n0 + 1);
    const X = (n) => L + (W - L - R) * (n - n0) / (n1 - n0);
    const Y = (v) => T + (H - T - B) * (yhi - Math.log10(v)) / (yhi - ylo);
    g.font = '10px system-ui, sans-serif';
    g.fillStyle = '#9aa0a6';
    g.strokeStyle = '#2c3036';
    g.lineWidth = 1;
    const step = Math.max(1, Math.ceil((yhi - ylo) / 6));
    for (let e = ylo; e <= yhi; e += step) {
      const y = Y(Math.pow(10, e));
      g.beginPath(); g.moveTo(L, y); g.lineTo(W - R, y); g.stroke();
      g.fillText('1e' + e, 4, y + 3);
    }
    g.fillText('iteration →', W - R - 60, H - 6);
    g.fillText(String(n0 + 1), L, H - 6);
    // Scale boundaries.
    g.setLineDash([3, 3]);
    for (let i = 1; i < points.length; i++) {
      if (points[i][1] !== points[i - 1][1]) {
        const x = X(points[i][0]);
        g.beginPath(); g.moveTo(x, T); g.lineTo(x, H - B); g.stroke();
        g.fillText('scale ' + points[i][1], x + 3, T + 10);
      }
    }
    g.setLineDash([]);
    for (const s of used) {
      g.strokeStyle = s.color; g.lineWidth = s.width;
      g.beginPath();
      let pen = false;
      for (const p of points) {
        const v = p[s.key];
        if (!(v > 0)) { pen = false; continue; }
        const x = X(p[0]), y = Y(v);
        if (pen) g.lineTo(x, y); else g.moveTo(x, y);
        pen = true;
      }
      g.stroke();
    }
  }

  function connect() {
    es = new EventSource('events');
    es.onopen = () => setText('conn', 'live');
    es.onmessage = (e) => {
      try { update(JSON.parse(e.data)); } catch (err) { setText('conn', 'bad message: ' + err); }
    };
    es.onerror = () => {
      if (ended) {
        es.close();
        setText('conn', 'the program has ended; this is its result');
      } else {
        setText('conn', 'reconnecting…');
      }
    };
  }

  $('stop').addEventListener('click', async () => {
    $('stop').disabled = true;
    try {
      const r = await fetch('stop', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'token=' + encodeURIComponent(token),
      });
      if (!r.ok) {
        $('message').hidden = false;
        setText('message', 'Stop: ' + (await r.text()));
      }
    } catch (err) {
      $('message').hidden = false;
      setText('message', 'Stop: ' + err);
    }
  });
  window.addEventListener('resize', scheduleDraw);
  connect();
})();
