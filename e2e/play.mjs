#!/usr/bin/env node
// play.mjs plays one live (or VOD) URL in a real player inside headless
// Chromium and reports, as one JSON object on stdout, how playback went.
//
//   node e2e/play.mjs --player hlsjs|shaka|dashjs --url URL [--seconds 20]
//                     [--switch] [--screenshot out.png] [--page URL] [--until-ended]
//
// It serves a tiny page of its own on 127.0.0.1:<ephemeral> that loads the
// player library from node_modules; the media URL is on another origin, so
// the media server must send CORS headers. With --page it opens that page
// instead (e.g. Boxcar's demo page) and watches the first <video> element.
//
// Every 500 ms it samples video.currentTime, readyState, buffered ranges and
// the current rendition; it records player error events (fatal and non-fatal),
// the video element's error/waiting/stalled events and failed HTTP requests.
// With --switch it forces a rendition switch at half time. With --until-ended
// it stops once the video ended (a VOD played through), --seconds being only
// the deadline.
//
// The exit status is 0 whenever a report was printed, even if playback failed:
// the caller judges the report. It is 2 for bad arguments.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, 'node_modules');

const SAMPLE_MS = 500;
const CHROMIUM = process.env.BOXCAR_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];
const MAX_LIST = 200; // cap on each recorded list, so a broken stream can't flood the report

// The player libraries, served to the inline page as /lib/player.js.
const LIBS = {
  hlsjs: path.join(modules, 'hls.js', 'dist', 'hls.min.js'),
  shaka: path.join(modules, 'shaka-player', 'dist', 'shaka-player.compiled.js'),
  dashjs: path.join(modules, 'dashjs', 'dist', 'modern', 'umd', 'dash.all.min.js'),
};

function usage(msg) {
  process.stderr.write(`play.mjs: ${msg}\n` +
    'usage: node e2e/play.mjs --player hlsjs|shaka|dashjs --url URL [--seconds 20] ' +
    '[--switch] [--screenshot out.png] [--page URL]\n');
  process.exit(2);
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        player: { type: 'string' },
        url: { type: 'string' },
        seconds: { type: 'string', default: '20' },
        switch: { type: 'boolean', default: false },
        screenshot: { type: 'string' },
        page: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        // Stop watching once the <video> element fired 'ended' (a VOD
        // played to its end); --seconds is then only the deadline.
        'until-ended': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0) usage(`bad --seconds ${values.seconds}`);
  if (!values.page) {
    if (!values.url) usage('--url is required');
    if (!LIBS[values.player]) usage(`--player must be one of ${Object.keys(LIBS).join(', ')}`);
  }
  return { ...values, seconds };
}

// The inline page: the player library plus the harness that drives it.
function pageHTML() {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Boxcar player check</title>
<style>body{margin:0;background:#000}video{width:640px;height:360px}</style>
<script src="/lib/player.js"></script></head>
<body><video id="v" muted autoplay playsinline></video>
<script>${harness.toString()}; harness();</script>
</body></html>`;
}

// harness runs inside the page. It defines window.boxcar with start, rendition
// helpers and switchRendition for the chosen player.
function harness() {
  const video = document.getElementById('v');
  video.muted = true;
  const push = (e) => window.__boxcarRecord(e);
  const api = {};
  window.boxcar = api;

  const norm = (index, id, bandwidth, width, height) => ({
    index, id: id == null ? null : String(id),
    bandwidth: Number.isFinite(bandwidth) ? bandwidth : null,
    width: Number.isFinite(width) ? width : null,
    height: Number.isFinite(height) ? height : null,
  });

  api.start = async (player, url) => {
    api.player = player;
    if (player === 'hlsjs') {
      if (!window.Hls || !Hls.isSupported()) throw new Error('hls.js: MSE not supported');
      const hls = new Hls();
      api.hls = hls;
      api.version = Hls.version;
      hls.on(Hls.Events.ERROR, (_, d) => push({
        source: 'hlsjs', fatal: !!d.fatal, type: String(d.type), details: String(d.details),
        message: String((d.error && d.error.message) || d.reason || d.err || ''),
        url: (d.frag && d.frag.url) || (d.context && d.context.url) || d.url || '',
        status: (d.response && d.response.code) || null,
      }));
      hls.on(Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); });
      hls.loadSource(url);
      hls.attachMedia(video);
      api.renditions = () => hls.levels.map((l, i) => norm(i, l.name || l.url, l.bitrate, l.width, l.height));
      api.current = () => {
        const i = hls.currentLevel;
        if (i < 0 || !hls.levels[i]) return null;
        return api.renditions()[i];
      };
      api.select = (r) => { hls.currentLevel = r.index; };
    } else if (player === 'shaka') {
      shaka.polyfill.installAll();
      if (!shaka.Player.isBrowserSupported()) throw new Error('shaka: browser not supported');
      const p = new shaka.Player();
      api.shaka = p;
      api.version = shaka.Player.version;
      const codeName = (code) => {
        for (const [k, v] of Object.entries(shaka.util.Error.Code)) if (v === code) return k;
        return String(code);
      };
      p.addEventListener('error', (ev) => {
        const e = ev.detail || {};
        push({
          source: 'shaka', fatal: e.severity === shaka.util.Error.Severity.CRITICAL,
          type: `category ${e.category}`, details: `${codeName(e.code)} (${e.code})`,
          message: JSON.stringify(e.data || []).slice(0, 500), url: '', status: null,
        });
      });
      await p.attach(video);
      const tracks = () => p.getVariantTracks();
      api.renditions = () => tracks().map((t, i) => norm(i, t.id, t.bandwidth, t.width, t.height));
      api.current = () => {
        const ts = tracks();
        const i = ts.findIndex((t) => t.active);
        return i < 0 ? null : api.renditions()[i];
      };
      api.select = (r) => {
        const track = tracks().find((t) => String(t.id) === r.id);
        if (!track) throw new Error(`shaka: variant ${r.id} is gone`);
        p.configure({ abr: { enabled: false } });
        p.selectVariantTrack(track, true);
      };
      try {
        await p.load(url);
      } catch (e) {
        // The 'error' listener does not see load() rejections.
        push({
          source: 'shaka', fatal: true, type: `category ${e.category}`,
          details: `${codeName(e.code)} (${e.code})`,
          message: JSON.stringify(e.data || [e.message]).slice(0, 500), url, status: null,
        });
        return;
      }
      video.play().catch(() => {});
    } else if (player === 'dashjs') {
      const p = dashjs.MediaPlayer().create();
      api.dash = p;
      api.version = p.getVersion();
      const ev = dashjs.MediaPlayer.events;
      p.on(ev.ERROR, (e) => {
        const err = e.error || {};
        push({
          source: 'dashjs', fatal: true, type: 'error', details: String(err.code ?? ''),
          message: String(err.message || '').slice(0, 500), url: '', status: null,
        });
      });
      p.on(ev.PLAYBACK_ERROR, (e) => {
        const err = e.error || {};
        push({
          source: 'dashjs', fatal: true, type: 'playbackError', details: String(err.code ?? ''),
          message: String(err.message || '').slice(0, 500), url: '', status: null,
        });
      });
      // Live: initialize with autoplay and never call video.play() (it stalls).
      p.initialize(video, url, true);
      const reps = () => { try { return p.getRepresentationsByType('video') || []; } catch { return []; } };
      api.renditions = () => reps().map((r, i) => norm(i, r.id, r.bandwidth, r.width, r.height));
      api.current = () => {
        let r = null;
        try { r = p.getCurrentRepresentationForType('video'); } catch { return null; }
        if (!r) return null;
        const i = reps().findIndex((x) => x.id === r.id);
        return norm(i, r.id, r.bandwidth, r.width, r.height);
      };
      api.select = (r) => {
        p.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
        p.setRepresentationForTypeById('video', r.id, true);
      };
    } else {
      throw new Error(`unknown player ${player}`);
    }
  };

  // switchRendition picks a rendition other than the current one (the lowest,
  // or the highest when the lowest is playing) and selects it.
  api.switchRendition = () => {
    const all = api.renditions ? api.renditions() : [];
    const cur = api.current ? api.current() : null;
    if (!cur) return { error: 'no current rendition yet' };
    const others = all.filter((r) => r.index !== cur.index &&
      !(r.height === cur.height && r.bandwidth === cur.bandwidth));
    if (others.length === 0) return { error: `only ${all.length} rendition(s)`, before: cur };
    const byBw = [...others].sort((a, b) => (a.bandwidth || 0) - (b.bandwidth || 0));
    const lowest = byBw[0];
    const target = (cur.bandwidth || 0) > (lowest.bandwidth || 0) ? lowest : byBw[byBw.length - 1];
    try {
      api.select(target);
    } catch (e) {
      return { error: String(e.message || e), before: cur };
    }
    return { before: cur, target };
  };
}

// initScript runs in every page before its own scripts: it records media
// element events (capture phase, so any <video> counts) and samples the
// first <video> element.
function initScript() {
  const t0 = () => window.__boxcarT0 || performance.timeOrigin;
  const now = () => (performance.timeOrigin + performance.now() - t0()) / 1000;
  const events = [];
  window.__boxcarRecord = (e) => {
    if (events.length < 1000) events.push({ t: now(), ...e });
  };
  for (const type of ['error', 'waiting', 'stalled', 'playing', 'seeking', 'seeked', 'ended', 'emptied']) {
    document.addEventListener(type, (ev) => {
      if (!(ev.target instanceof HTMLMediaElement)) return;
      const v = ev.target;
      const rec = { kind: 'media', type, currentTime: v.currentTime, readyState: v.readyState };
      if (type === 'error' && v.error) {
        rec.code = v.error.code;
        rec.message = v.error.message;
      }
      window.__boxcarRecord(rec);
    }, true);
  }
  window.__boxcarDrain = () => events.splice(0, events.length);
  window.__boxcarSample = () => {
    const v = document.querySelector('video');
    const s = { t: now() };
    if (!v) return s;
    s.currentTime = v.currentTime;
    s.readyState = v.readyState;
    s.paused = v.paused;
    s.playbackRate = v.playbackRate;
    s.seeking = v.seeking;
    s.buffered = [];
    for (let i = 0; i < v.buffered.length; i++) {
      s.buffered.push([+v.buffered.start(i).toFixed(3), +v.buffered.end(i).toFixed(3)]);
    }
    s.videoWidth = v.videoWidth;
    s.videoHeight = v.videoHeight;
    if (v.getVideoPlaybackQuality) {
      const q = v.getVideoPlaybackQuality();
      s.decodedFrames = q.totalVideoFrames;
      s.droppedFrames = q.droppedVideoFrames;
    }
    try {
      s.rendition = window.boxcar && window.boxcar.current ? window.boxcar.current() : null;
    } catch (e) {
      s.rendition = null;
    }
    return s;
  };
}

// Serve the inline page and the player library on 127.0.0.1:<ephemeral>.
function servePage(player) {
  const html = pageHTML();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/' || u.pathname === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(html);
      return;
    }
    if (u.pathname === '/lib/player.js') {
      fs.readFile(LIBS[player], (err, body) => {
        if (err) {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(String(err));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' });
        res.end(body);
      });
      return;
    }
    if (u.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, n = 3) => (x == null || !Number.isFinite(x) ? x : +x.toFixed(n));

function sameRendition(a, b) {
  if (!a || !b) return false;
  if (a.id != null && b.id != null) return a.id === b.id;
  return a.index === b.index;
}

// analyse derives start, advance, stalls and jumps from the samples.
function analyse(report) {
  const s = report.samples.filter((x) => typeof x.currentTime === 'number');
  let started = false;
  let startIdx = -1;
  for (let i = 1; i < s.length; i++) {
    const dt = s[i].t - s[i - 1].t;
    const dc = s[i].currentTime - s[i - 1].currentTime;
    if (dc > 0 && dc <= 2 * dt + 0.25 && !s[i].seeking && !s[i - 1].seeking) {
      started = true;
      startIdx = i - 1;
      break;
    }
  }
  report.started = started;
  report.startCurrentTime = s.length ? round(started ? s[startIdx].currentTime : s[0].currentTime) : null;
  report.endCurrentTime = s.length ? round(s[s.length - 1].currentTime) : null;
  report.startupSeconds = started ? round(s[startIdx].t) : null;
  report.advancedSeconds = started ? round(report.endCurrentTime - report.startCurrentTime) : 0;
  report.playedSeconds = 0;
  report.maxStallSeconds = 0;
  report.jumps = [];
  if (!started) return;
  let lastAdvanceT = s[startIdx].t;
  let lastCT = s[startIdx].currentTime;
  let played = 0;
  for (let i = startIdx + 1; i < s.length; i++) {
    const dt = s[i].t - s[i - 1].t;
    const dc = s[i].currentTime - s[i - 1].currentTime;
    if (dc > 0 && dc <= 2 * dt + 0.25) played += dc;
    else if (dc !== 0 && report.jumps.length < MAX_LIST) {
      report.jumps.push({ t: round(s[i].t), from: round(s[i - 1].currentTime), to: round(s[i].currentTime) });
    }
    if (s[i].currentTime > lastCT) {
      lastAdvanceT = s[i].t;
    } else {
      report.maxStallSeconds = Math.max(report.maxStallSeconds, s[i].t - lastAdvanceT);
    }
    lastCT = s[i].currentTime;
  }
  report.playedSeconds = round(played);
  report.maxStallSeconds = round(report.maxStallSeconds);
}

async function main() {
  const opts = parse();
  const report = {
    ok: false,
    player: opts.page ? (opts.player || 'page') : opts.player,
    playerVersion: null,
    url: opts.url || null,
    pageUrl: opts.page || null,
    browser: null,
    wallSeconds: 0,
    started: false,
    startupSeconds: null,
    startCurrentTime: null,
    endCurrentTime: null,
    advancedSeconds: 0,
    playedSeconds: 0,
    maxStallSeconds: 0,
    errors: [],
    fatalErrors: [],
    mediaEvents: [],
    httpErrors: [],
    console: [],
    jumps: [],
    renditions: [],
    renditionBefore: null,
    renditionAfter: null,
    switchRequested: !!opts.switch,
    switchTarget: null,
    switchAt: null,
    switchRenderedAt: null,
    switched: false,
    switchError: null,
    harnessError: null,
    samples: [],
  };
  const log = (...a) => { if (opts.verbose) process.stderr.write(a.join(' ') + '\n'); };
  const cap = (list, item) => { if (list.length < MAX_LIST) list.push(item); };

  let server = null;
  let context = null;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'boxcar-chromium-'));
  let t0 = Date.now();
  const since = () => (Date.now() - t0) / 1000;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 640, height: 360 },
    });
    report.browser = context.browser() ? context.browser().version() : null;
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        cap(report.console, { t: round(since()), type: m.type(), text: m.text().slice(0, 500) });
      }
      log(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => {
      const rec = { t: round(since()), source: 'page', fatal: false, type: 'pageerror', details: '',
        message: String(e.message || e).slice(0, 500), url: '', status: null };
      cap(report.errors, rec);
    });
    page.on('crash', () => { report.harnessError = 'page crashed'; });
    page.on('response', (r) => {
      if (r.status() >= 400) cap(report.httpErrors, { t: round(since()), url: r.url(), status: r.status(), error: '' });
    });
    page.on('requestfailed', (r) => {
      const f = r.failure();
      cap(report.httpErrors, { t: round(since()), url: r.url(), status: 0, error: f ? f.errorText : 'failed' });
    });
    await page.addInitScript(initScript);

    if (opts.page) {
      t0 = Date.now();
      await page.addInitScript((t) => { window.__boxcarT0 = t; }, t0);
      await page.goto(opts.page, { waitUntil: 'domcontentloaded' });
    } else {
      server = await servePage(opts.player);
      const pageURL = `http://127.0.0.1:${server.address().port}/`;
      await page.goto(pageURL, { waitUntil: 'load' });
      t0 = Date.now();
      await page.evaluate((t) => { window.__boxcarT0 = t; }, t0);
      await page.evaluate(({ player, url }) => window.boxcar.start(player, url).catch((e) => {
        window.__boxcarRecord({ source: player, fatal: true, type: 'start', details: '',
          message: String(e && e.message || e), url, status: null });
      }), { player: opts.player, url: opts.url });
      report.playerVersion = await page.evaluate(() => window.boxcar.version || null);
    }

    const half = opts.seconds / 2;
    let switchTried = false;
    let sawEnded = false;
    for (let i = 0; ; i++) {
      const due = t0 + i * SAMPLE_MS;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (report.harnessError) break;
      let sample;
      let events;
      try {
        [sample, events] = await page.evaluate(() => [window.__boxcarSample(), window.__boxcarDrain()]);
      } catch (e) {
        report.harnessError = `sample: ${e.message}`;
        break;
      }
      sample.t = round(sample.t); // the page's clock, taken with currentTime
      for (const e of events) {
        e.t = round(e.t);
        if (e.kind === 'media') {
          delete e.kind;
          if (e.type === 'ended') sawEnded = true;
          cap(report.mediaEvents, e);
          if (e.type === 'error') {
            const rec = { t: e.t, source: 'video', fatal: true, type: 'mediaError', details: String(e.code ?? ''),
              message: e.message || '', url: '', status: null };
            cap(report.errors, rec);
          }
        } else {
          cap(report.errors, e);
        }
      }
      if (report.samples.length < 10 * MAX_LIST) report.samples.push(sample);
      log(JSON.stringify(sample));

      if (opts.switch && !switchTried && sample.t >= half && sample.t < opts.seconds * 0.85) {
        if (opts.page) {
          switchTried = true;
          report.switchError = 'switching is not supported with --page';
        } else {
          const r = await page.evaluate(() => window.boxcar.switchRendition());
          if (r.before) report.renditionBefore = r.before;
          if (r.target) {
            switchTried = true;
            report.switchTarget = r.target;
            report.switchAt = sample.t;
            report.switchError = null;
          } else {
            report.switchError = r.error; // retried at the next sample
            report.renditions = await page.evaluate(() => window.boxcar.renditions());
          }
        }
      }
      if (report.switchTarget && report.switchRenderedAt == null && sameRendition(sample.rendition, report.switchTarget) &&
          (report.switchTarget.height == null || sample.videoHeight === report.switchTarget.height)) {
        report.switchRenderedAt = sample.t;
      }
      if (sample.t >= opts.seconds || opts['until-ended'] && sawEnded) break;
    }
    report.wallSeconds = round(since());
    if (!opts.page) {
      try {
        report.renditions = await page.evaluate(() => (window.boxcar.renditions ? window.boxcar.renditions() : []));
      } catch { /* page gone: keep what we have */ }
    }
    if (opts.screenshot) {
      try {
        await page.screenshot({ path: opts.screenshot });
      } catch (e) {
        report.harnessError = report.harnessError || `screenshot: ${e.message}`;
      }
    }
  } catch (e) {
    report.harnessError = String(e && e.stack || e);
  } finally {
    if (context) await context.close().catch(() => {});
    if (server) server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }

  report.errors.sort((a, b) => a.t - b.t);
  report.fatalErrors = report.errors.filter((e) => e.fatal);
  analyse(report);
  const last = report.samples.length ? report.samples[report.samples.length - 1] : null;
  if (!opts.page) {
    report.renditionAfter = last ? last.rendition || null : null;
    if (!report.renditionBefore && opts.switch) {
      const mid = report.samples.find((x) => x.t >= opts.seconds / 2);
      report.renditionBefore = mid ? mid.rendition || null : null;
    }
    if (!opts.switch) {
      const mid = report.samples.find((x) => x.t >= opts.seconds / 2);
      report.renditionBefore = mid ? mid.rendition || null : null;
    }
  }
  if (report.switchTarget && last) {
    report.switched = sameRendition(last.rendition, report.switchTarget) &&
      !sameRendition(report.renditionBefore, report.switchTarget) &&
      (report.switchTarget.height == null || last.videoHeight === report.switchTarget.height);
  }
  report.ok = !report.harnessError && report.started && report.fatalErrors.length === 0 &&
    (!opts.switch || report.switched);
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e) => {
  process.stderr.write(`play.mjs: ${e && e.stack || e}\n`);
  process.exit(1);
});
