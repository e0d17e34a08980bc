/*!
 * Contact center: embeddable web-chat widget. Plain ES2018, no dependencies, no build step.
 *
 * Add it to any website with one tag:
 *
 *   <script src="https://chat.example.com/widget.js" data-queue="Support" data-title="Chat with us" async></script>
 *
 * Optional data-* attributes on that tag:
 *   data-queue        queue a new conversation is routed to (server default: WEBCHAT_DEFAULT_QUEUE)
 *   data-title        panel title ("Chat with us")
 *   data-greeting     text shown before the first message
 *   data-color        accent colour, any CSS colour ("#2f5bea")
 *   data-position     "right" (default) or "left"
 *   data-ask-profile  "false" hides the optional name and email fields
 *   data-server       the chat server's origin, when widget.js is served from elsewhere (a CDN)
 *
 * It talks to the server's web-chat protocol (docs/sockets.md): POST /webchat/sessions for a visitor
 * token (kept in localStorage, so a returning visitor in the same browser is the same visitor), then
 * socket.io namespace /webchat. The socket.io browser client is loaded from the server itself
 * (<origin>/socket.io/socket.io.js) unless the page already has window.io.
 *
 * JavaScript API: window.ContactCenterWidget.open() and .close().
 *
 * For tests: the UI lives in an OPEN shadow root (so the host page's CSS cannot leak in) attached to
 * <div id="cc-widget-host">. From page scripts use
 *   document.getElementById('cc-widget-host').shadowRoot.querySelector('[data-cc="input"]')
 * Playwright's CSS locators pierce open shadow roots, so page.locator('[data-cc="launcher"]') works as is.
 * Stable hooks: data-cc = launcher | panel | input | send | name | email | typing | message;
 * a message element also has data-direction = inbound (the visitor's) | outbound (the agent's) | system,
 * and data-status = pending | sent | confirmed | failed for the visitor's own messages.
 */
(function () {
  'use strict';

  if (window.ContactCenterWidget && window.ContactCenterWidget.__cc) return; // included twice

  // ---------------------------------------------------------------- configuration

  /** The <script> tag that loaded us: currentScript, or (when run late) the tag whose src ends in widget.js. */
  const script =
    document.currentScript ||
    Array.prototype.slice
      .call(document.getElementsByTagName('script'))
      .reverse()
      .find((s) => /\/widget\.js([?#].*)?$/.test(s.src)) ||
    null;

  function attr(name, fallback) {
    const v = script ? script.getAttribute('data-' + name) : null;
    return v === null || v.trim() === '' ? fallback : v.trim();
  }

  const ORIGIN = (function () {
    try {
      return new URL(attr('server', '') || (script && script.src) || location.href, location.href).origin;
    } catch (e) {
      return location.origin;
    }
  })();

  const CONFIG = {
    queue: attr('queue', null),
    title: attr('title', 'Chat with us'),
    greeting: attr('greeting', 'Hi there! Ask us anything — we usually reply within a few minutes.'),
    color: attr('color', '#2f5bea'),
    position: attr('position', 'right') === 'left' ? 'left' : 'right',
    askProfile: attr('ask-profile', 'true') !== 'false',
  };

  const ACK_TIMEOUT_MS = 15000;
  const TYPING_THROTTLE_MS = 2000;
  const TYPING_IDLE_MS = 3000;
  const AGENT_TYPING_MAX_MS = 10000; // hide the indicator if the "stopped typing" event never comes
  const MAX_TEXT = 4000;
  const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

  // ---------------------------------------------------------------- storage (namespaced by server origin)

  const KEY = 'cc-widget:' + ORIGIN + ':';
  const memory = {};
  function storage(kind) {
    return {
      get(k) {
        try {
          return window[kind].getItem(KEY + k);
        } catch (e) {
          return Object.prototype.hasOwnProperty.call(memory, kind + k) ? memory[kind + k] : null;
        }
      },
      set(k, v) {
        try {
          if (v === null || v === '') window[kind].removeItem(KEY + k);
          else window[kind].setItem(KEY + k, v);
        } catch (e) {
          memory[kind + k] = v || null; // storage blocked (privacy mode, sandboxed iframe)
        }
      },
    };
  }
  const local = storage('localStorage'); // visitor token, name, email: survive the browser being closed
  const tab = storage('sessionStorage'); // whether the panel is open: follows the visitor from page to page

  // ---------------------------------------------------------------- state

  /** entries: what the message list shows, in order. A message entry, or a system notice. */
  let entries = [];
  const byId = new Map(); // server message id → entry
  const byClientId = new Map(); // the visitor's clientMessageId → entry
  const conv = { contactId: null, state: null, agentName: null };
  let endedNoticeFor = null; // contactId whose "has ended" notice is shown
  let isOpen = false;
  let unread = 0;
  let connection = 'idle'; // idle | connecting | online | offline | error
  let socket = null;
  let starting = null;
  let refusals = 0;
  let keySeq = 0;

  // ---------------------------------------------------------------- DOM

  const ICONS = {
    chat: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/></svg>',
    down: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>',
    close: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>',
    send: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M22 2L11 13"/><path d="M22 2l-7 20-4-9-9-4 20-7z"/></svg>',
  };

  const CSS = `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
button { font: inherit; }
.root {
  position: fixed; bottom: 20px; right: 20px; z-index: 2147483000;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2937; -webkit-font-smoothing: antialiased; text-align: left;
}
.root.left { right: auto; left: 20px; }
.launcher {
  width: 58px; height: 58px; border-radius: 50%; border: 0; padding: 0; cursor: pointer;
  background: var(--cc-accent); color: #fff; display: flex; align-items: center; justify-content: center;
  box-shadow: 0 8px 24px rgba(15, 23, 42, .25); position: relative; transition: transform .15s ease;
}
.launcher:hover { transform: scale(1.06); }
.launcher:focus-visible, .hbtn:focus-visible, .send:focus-visible, .linkbtn:focus-visible { outline: 3px solid rgba(47, 91, 234, .45); outline-offset: 2px; }
.launcher svg { width: 26px; height: 26px; }
.badge {
  position: absolute; top: -3px; right: -3px; min-width: 21px; height: 21px; padding: 0 6px;
  border-radius: 11px; border: 2px solid #fff; background: #e11d48; color: #fff;
  font-size: 11px; font-weight: 700; line-height: 17px; text-align: center;
}
.panel {
  position: absolute; bottom: 74px; right: 0; width: 370px; height: 580px; max-height: calc(100vh - 110px);
  display: flex; flex-direction: column; overflow: hidden; background: #fff; border-radius: 16px;
  box-shadow: 0 16px 48px rgba(15, 23, 42, .22), 0 2px 8px rgba(15, 23, 42, .08);
  animation: cc-pop .18s ease-out;
}
.left .panel { right: auto; left: 0; }
@keyframes cc-pop { from { opacity: 0; transform: translateY(10px) scale(.98); } to { opacity: 1; transform: none; } }
.header { display: flex; align-items: center; gap: 12px; padding: 14px 12px 14px 16px; background: var(--cc-accent); color: #fff; }
.avatar { flex: none; width: 38px; height: 38px; border-radius: 50%; background: rgba(255, 255, 255, .18); display: flex; align-items: center; justify-content: center; }
.avatar svg { width: 20px; height: 20px; }
.titles { flex: 1; min-width: 0; }
.title { font-size: 15px; font-weight: 650; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.status { font-size: 12.5px; opacity: .88; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.status .dot { display: inline-block; width: 7px; height: 7px; border-radius: 50%; margin-right: 6px; vertical-align: 1px; background: #a3e635; }
.status .dot.wait { background: #fcd34d; }
.status .dot.off { background: rgba(255, 255, 255, .5); }
.hbtn { flex: none; width: 34px; height: 34px; border: 0; border-radius: 8px; background: transparent; color: #fff; cursor: pointer; display: flex; align-items: center; justify-content: center; }
.hbtn:hover { background: rgba(255, 255, 255, .16); }
.hbtn svg { width: 20px; height: 20px; }
.banner { padding: 6px 12px; font-size: 12px; text-align: center; background: #fef3c7; color: #92400e; }
.banner.error { background: #fee2e2; color: #991b1b; }
.scroll { flex: 1; overflow-y: auto; padding: 16px 14px 10px; background: #f6f7f9; overscroll-behavior: contain; }
.empty { margin: 28px 8px; text-align: center; color: #4b5563; }
.empty .hello { width: 48px; height: 48px; margin: 0 auto 10px; border-radius: 50%; background: var(--cc-accent); color: #fff; display: flex; align-items: center; justify-content: center; }
.empty .hello svg { width: 24px; height: 24px; }
.list { display: flex; flex-direction: column; gap: 4px; }
.msg { display: flex; flex-direction: column; max-width: 82%; }
.msg.mine { align-self: flex-end; align-items: flex-end; }
.msg.theirs { align-self: flex-start; align-items: flex-start; }
.msg.first { margin-top: 8px; }
.author { margin: 0 0 3px 6px; font-size: 12px; font-weight: 600; color: #6b7280; }
.bubble { padding: 8px 12px; border-radius: 18px; white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; }
.bubble a { color: inherit; text-decoration: underline; }
.mine .bubble { background: var(--cc-accent); color: #fff; border-bottom-right-radius: 5px; }
.theirs .bubble { background: #fff; color: #111827; border: 1px solid #e5e7eb; border-bottom-left-radius: 5px; }
.mine.pending .bubble { opacity: .65; }
.mine.failed .bubble { background: #fee2e2; color: #7f1d1d; }
.meta { margin: 2px 6px 2px; font-size: 11px; color: #9ca3af; }
.failed .meta { color: #b91c1c; }
.linkbtn { border: 0; padding: 0; margin-left: 4px; background: none; color: inherit; font-weight: 600; text-decoration: underline; cursor: pointer; font-size: inherit; }
.rating { align-self: center; margin: 8px 0; text-align: center; color: #4b5563; font-size: 13px; }
.rating .stars { display: flex; gap: 4px; justify-content: center; margin-top: 4px; }
.rating .star { border: 0; background: none; font-size: 22px; line-height: 1; color: #c7cbd4; cursor: pointer; padding: 2px; }
.rating .star:hover, .rating .star:focus-visible { color: #f5b301; }
.notice { align-self: center; max-width: 90%; margin: 10px 0 4px; padding: 4px 12px; border-radius: 999px; background: #e9ecf2; color: #4b5563; font-size: 12px; text-align: center; }
.typing { display: flex; align-items: center; gap: 8px; padding: 8px 4px 0; font-size: 12px; color: #6b7280; }
.dots { display: inline-flex; gap: 3px; padding: 8px 10px; border-radius: 14px; background: #fff; border: 1px solid #e5e7eb; }
.dots i { width: 6px; height: 6px; border-radius: 50%; background: #9ca3af; animation: cc-blink 1.2s infinite ease-in-out; }
.dots i:nth-child(2) { animation-delay: .15s; }
.dots i:nth-child(3) { animation-delay: .3s; }
@keyframes cc-blink { 0%, 80%, 100% { opacity: .3; transform: translateY(0); } 40% { opacity: 1; transform: translateY(-2px); } }
.footer { background: #fff; border-top: 1px solid #eceef2; }
.profile { display: flex; gap: 8px; padding: 10px 12px 0; }
.field-error { padding: 4px 14px 0; font-size: 12px; color: #b91c1c; }
input, textarea {
  font: inherit; color: #111827; background: #fff; width: 100%; min-width: 0; margin: 0;
  border: 1px solid #d5d9e0; border-radius: 10px; padding: 8px 11px; outline: none;
  transition: border-color .12s ease, box-shadow .12s ease;
}
input::placeholder, textarea::placeholder { color: #9ca3af; }
input:focus, textarea:focus { border-color: var(--cc-accent); box-shadow: 0 0 0 1px var(--cc-accent); }
input.invalid { border-color: #dc2626; box-shadow: 0 0 0 1px #dc2626; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px 12px; }
textarea { flex: 1; resize: none; height: 40px; max-height: 128px; line-height: 1.4; overflow-y: auto; display: block; }
.send {
  flex: none; width: 40px; height: 40px; border: 0; border-radius: 10px; cursor: pointer;
  background: var(--cc-accent); color: #fff; display: flex; align-items: center; justify-content: center;
}
.send svg { width: 18px; height: 18px; margin-left: -2px; }
.send:disabled { opacity: .45; cursor: default; }
@media (max-width: 480px) {
  .root, .root.left { right: 14px; left: auto; bottom: 14px; }
  .root.left { left: 14px; right: auto; }
  .panel { position: fixed; inset: 0; width: auto; height: auto; max-height: none; border-radius: 0; }
  .root.open .launcher { display: none; }
}
@media (prefers-reduced-motion: reduce) { .panel, .dots i, .launcher { animation: none; transition: none; } }
`;

  const TEMPLATE = `
<div class="root">
  <section class="panel" data-cc="panel" role="dialog" hidden>
    <header class="header">
      <div class="avatar">${ICONS.chat}</div>
      <div class="titles"><div class="title"></div><div class="status"><span class="dot off"></span><span class="status-text"></span></div></div>
      <button type="button" class="hbtn close" aria-label="Minimise chat">${ICONS.close}</button>
    </header>
    <div class="banner" hidden></div>
    <div class="scroll">
      <div class="empty" hidden><div class="hello">${ICONS.chat}</div><div class="greeting"></div></div>
      <div class="list" role="log" aria-live="polite"></div>
      <div class="typing" data-cc="typing" hidden><span class="dots"><i></i><i></i><i></i></span><span class="typing-text"></span></div>
    </div>
    <div class="footer">
      <div class="profile" hidden>
        <input data-cc="name" type="text" autocomplete="name" maxlength="120" placeholder="Your name (optional)" aria-label="Your name">
        <input data-cc="email" type="email" autocomplete="email" maxlength="254" placeholder="Email (optional)" aria-label="Your email">
      </div>
      <div class="field-error" hidden></div>
      <form class="composer">
        <textarea data-cc="input" rows="1" maxlength="${MAX_TEXT}" placeholder="Type your message…" aria-label="Message"></textarea>
        <button type="submit" class="send" data-cc="send" aria-label="Send" disabled>${ICONS.send}</button>
      </form>
    </div>
  </section>
  <button type="button" class="launcher" data-cc="launcher" aria-label="Open chat" aria-expanded="false">
    <span class="launcher-icon"></span><span class="badge" hidden></span>
  </button>
</div>`;

  let ui = null;

  function buildUi() {
    const host = document.createElement('div');
    host.id = 'cc-widget-host';
    const shadow = host.attachShadow({ mode: 'open' }); // open: see the note on tests at the top
    const style = document.createElement('style');
    style.textContent = CSS;
    shadow.appendChild(style);
    const wrap = document.createElement('div');
    wrap.innerHTML = TEMPLATE; // static markup only: every text from users or config goes through textContent
    const root = wrap.firstElementChild;
    shadow.appendChild(root);
    document.body.appendChild(host);

    const $ = (sel) => root.querySelector(sel);
    ui = {
      root,
      panel: $('.panel'),
      title: $('.title'),
      statusDot: $('.status .dot'),
      statusText: $('.status-text'),
      closeBtn: $('.close'),
      banner: $('.banner'),
      scroll: $('.scroll'),
      empty: $('.empty'),
      list: $('.list'),
      typing: $('.typing'),
      typingText: $('.typing-text'),
      profile: $('.profile'),
      name: $('[data-cc="name"]'),
      email: $('[data-cc="email"]'),
      fieldError: $('.field-error'),
      form: $('.composer'),
      input: $('[data-cc="input"]'),
      send: $('[data-cc="send"]'),
      launcher: $('.launcher'),
      launcherIcon: $('.launcher-icon'),
      badge: $('.badge'),
    };

    root.style.setProperty('--cc-accent', CONFIG.color);
    if (CONFIG.position === 'left') root.classList.add('left');
    ui.title.textContent = CONFIG.title;
    ui.panel.setAttribute('aria-label', CONFIG.title);
    ui.empty.querySelector('.greeting').textContent = CONFIG.greeting;
    ui.launcherIcon.innerHTML = ICONS.chat;
    ui.name.value = local.get('name') || '';
    ui.email.value = local.get('email') || '';

    ui.launcher.addEventListener('click', () => (isOpen ? close() : open()));
    ui.closeBtn.addEventListener('click', () => close());
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && isOpen) close();
    });
    ui.form.addEventListener('submit', (e) => {
      e.preventDefault();
      submit();
    });
    ui.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submit();
      }
    });
    ui.input.addEventListener('input', () => {
      autosize();
      ui.send.disabled = ui.input.value.trim() === '';
      if (ui.input.value.trim() === '') stopTyping();
      else typingInput();
    });
    ui.name.addEventListener('change', () => local.set('name', ui.name.value.trim()));
    ui.email.addEventListener('input', () => {
      if (ui.email.classList.contains('invalid') && validEmail()) showFieldError(null);
    });
    ui.email.addEventListener('change', () => {
      if (validEmail()) local.set('email', ui.email.value.trim());
    });

    renderAll();
    renderChrome();
  }

  function autosize() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(Math.max(ui.input.scrollHeight + 2, 40), 128) + 'px';
  }

  function h(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = text;
    return el;
  }

  /** Text with http(s) links made clickable, built from text nodes and anchors: never parsed as HTML. */
  function linkified(text) {
    const frag = document.createDocumentFragment();
    const re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      const a = h('a', null, m[0]);
      a.href = m[0];
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      frag.appendChild(a);
      last = m.index + m[0].length;
    }
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  function timeOf(iso) {
    const d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    try {
      return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    } catch (e) {
      return d.toTimeString().slice(0, 5);
    }
  }

  // ---------------------------------------------------------------- rendering

  /** Messages in a row from the same side and author are grouped: one name above, one time below. */
  function sameRun(a, b) {
    return !!a && !!b && a.kind === 'message' && b.kind === 'message' && a.direction === b.direction && (a.direction === 'inbound' || a.authorName === b.authorName);
  }

  function entryEl(entry, prev) {
    const el = entry.el || h('div');
    entry.el = el;
    el.textContent = '';
    el.setAttribute('data-cc', 'message');
    if (entry.kind === 'rating') return ratingEl(el, entry);
    if (entry.kind === 'notice') {
      el.className = 'notice';
      el.setAttribute('data-direction', 'system');
      el.textContent = entry.text;
      return el;
    }
    const mine = entry.direction === 'inbound';
    const grouped = sameRun(prev, entry);
    el.className = 'msg ' + (mine ? 'mine' : 'theirs') + (grouped ? '' : ' first') + (entry.status ? ' ' + entry.status : '');
    el.setAttribute('data-direction', entry.direction);
    if (entry.status) el.setAttribute('data-status', entry.status);
    else el.removeAttribute('data-status');
    if (entry.id) el.setAttribute('data-id', entry.id);
    if (!mine && !grouped && entry.authorName) el.appendChild(h('div', 'author', entry.authorName));
    const bubble = h('div', 'bubble');
    bubble.appendChild(linkified(entry.text));
    el.appendChild(bubble);
    const meta = h('div', 'meta');
    if (entry.status === 'pending') meta.textContent = 'Sending…';
    else if (entry.status === 'sent') meta.textContent = 'Sent';
    else if (entry.status === 'failed') {
      meta.textContent = 'Not sent' + (entry.error ? ': ' + entry.error : '') + '.';
      const retry = h('button', 'linkbtn', 'Retry');
      retry.type = 'button';
      retry.setAttribute('data-cc', 'retry');
      retry.addEventListener('click', () => sendEntry(entry));
      meta.appendChild(retry);
    } else meta.textContent = timeOf(entry.createdAt);
    const next = entries[entries.indexOf(entry) + 1];
    // a time under every message is noise: only under the last of a run from the same author
    const lastOfRun = !sameRun(entry, next);
    if (meta.textContent && (lastOfRun || entry.status === 'failed' || entry.status === 'pending')) el.appendChild(meta);
    return el;
  }

  /** After a conversation closes: how was it? One click sends the score (CSAT), once. */
  function ratingEl(el, entry) {
    el.className = 'rating';
    el.setAttribute('data-cc', 'rating');
    el.textContent = '';
    if (entry.done) {
      el.appendChild(h('span', null, entry.done));
      return el;
    }
    el.appendChild(h('span', null, 'How was this conversation?'));
    const stars = h('div', 'stars');
    for (let score = 1; score <= 5; score++) {
      const b = h('button', 'star', '★');
      b.type = 'button';
      b.setAttribute('aria-label', score + ' of 5');
      b.setAttribute('data-score', String(score));
      b.addEventListener('click', () => {
        if (!socket || entry.sending) return;
        entry.sending = true;
        socket.timeout(ACK_TIMEOUT_MS).emit('conversation:rate', { contactId: entry.contactId, score }, (err, ack) => {
          entry.sending = false;
          entry.done = !err && ack && ack.ok ? 'Thanks for your feedback!' : null;
          update(entry);
        });
      });
      stars.appendChild(b);
    }
    el.appendChild(stars);
    return el;
  }

  function nearBottom() {
    return ui.scroll.scrollHeight - ui.scroll.scrollTop - ui.scroll.clientHeight < 80;
  }
  function scrollToBottom() {
    ui.scroll.scrollTop = ui.scroll.scrollHeight;
  }

  function renderAll() {
    if (!ui) return;
    ui.list.textContent = '';
    entries.forEach((e, i) => ui.list.appendChild(entryEl(e, entries[i - 1])));
    renderChrome();
    scrollToBottom();
  }

  /** Re-renders one entry and its neighbours (grouping and the time line depend on them). */
  function update(entry) {
    if (!ui) return;
    const i = entries.indexOf(entry);
    if (i < 0) return;
    for (let j = Math.max(0, i - 1); j <= Math.min(entries.length - 1, i + 1); j++) entryEl(entries[j], entries[j - 1]);
    renderChrome();
  }

  function append(entry) {
    const stick = !ui || nearBottom() || entry.local;
    entries.push(entry);
    if (!ui) return;
    const prev = entries[entries.length - 2];
    ui.list.appendChild(entryEl(entry, prev));
    if (prev) entryEl(prev, entries[entries.length - 3]);
    renderChrome();
    if (stick) scrollToBottom();
  }

  function notice(text) {
    const last = entries[entries.length - 1];
    if (last && last.kind === 'notice' && last.text === text) return;
    append({ kind: 'notice', key: 'n' + ++keySeq, text });
  }

  const ENDED = ['wrap_up', 'closed', 'abandoned'];

  /** Everything around the list: header status, empty state, profile fields, banner, badge. */
  function renderChrome() {
    if (!ui) return;
    const s = conv.state;
    let text = 'We typically reply in a few minutes';
    let dot = 'off';
    if (s === 'queued') {
      text = 'Waiting for an agent…';
      dot = 'wait';
    } else if (s === 'active') {
      text = 'Chatting with ' + (conv.agentName || 'an agent');
      dot = '';
    } else if (ENDED.indexOf(s) >= 0) {
      text = 'Conversation ended';
    }
    ui.input.placeholder = ENDED.indexOf(s) >= 0 ? 'Write to start a new conversation…' : 'Type your message…';
    ui.statusText.textContent = text;
    ui.statusDot.className = 'dot ' + dot;

    const hasMine = entries.some((e) => e.kind === 'message' && e.direction === 'inbound');
    ui.empty.hidden = entries.length > 0;
    ui.profile.hidden = !CONFIG.askProfile || hasMine;
    if (ui.profile.hidden) showFieldError(null);

    const started = connection !== 'idle';
    ui.banner.hidden = !started || connection === 'online';
    ui.banner.classList.toggle('error', connection === 'error');
    if (connection === 'connecting') ui.banner.textContent = 'Connecting…';
    else if (connection === 'offline') ui.banner.textContent = 'Connection lost. Reconnecting…';
    else if (connection === 'error') {
      ui.banner.textContent = 'Chat is unavailable right now.';
      const again = h('button', 'linkbtn', 'Try again');
      again.type = 'button';
      again.addEventListener('click', () => {
        refusals = 0;
        if (socket) socket.connect();
        else start();
      });
      ui.banner.appendChild(again);
    }

    ui.badge.hidden = isOpen || unread === 0;
    ui.badge.textContent = unread > 9 ? '9+' : String(unread);
    ui.launcher.setAttribute('aria-label', isOpen ? 'Minimise chat' : unread ? 'Open chat, ' + unread + ' new' : 'Open chat');
  }

  function setAgentTyping(on) {
    clearTimeout(setAgentTyping.timer);
    if (!ui) return;
    const stick = nearBottom();
    ui.typingText.textContent = (conv.agentName || 'The agent') + ' is typing…';
    ui.typing.hidden = !on;
    if (on) setAgentTyping.timer = setTimeout(() => setAgentTyping(false), AGENT_TYPING_MAX_MS);
    if (on && stick) scrollToBottom();
  }

  function showFieldError(text) {
    ui.fieldError.hidden = !text;
    ui.fieldError.textContent = text || '';
    ui.email.classList.toggle('invalid', !!text);
  }

  // ---------------------------------------------------------------- open / close

  function open(focus) {
    whenReady(() => {
      isOpen = true;
      unread = 0;
      tab.set('open', '1');
      ui.panel.hidden = false;
      ui.root.classList.add('open');
      ui.launcher.setAttribute('aria-expanded', 'true');
      ui.launcherIcon.innerHTML = ICONS.down;
      renderChrome();
      scrollToBottom();
      start();
      if (focus !== false) setTimeout(() => ui.input.focus({ preventScroll: true }), 0);
    });
  }

  function close() {
    whenReady(() => {
      isOpen = false;
      tab.set('open', null);
      stopTyping();
      ui.panel.hidden = true;
      ui.root.classList.remove('open');
      ui.launcher.setAttribute('aria-expanded', 'false');
      ui.launcherIcon.innerHTML = ICONS.chat;
      renderChrome();
    });
  }

  // ---------------------------------------------------------------- sending

  function newClientMessageId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map.call(bytes, (b) => ('0' + b.toString(16)).slice(-2)).join('');
  }

  function validEmail() {
    const v = ui.email.value.trim();
    return v === '' || EMAIL_RE.test(v);
  }

  function submit() {
    const text = ui.input.value.replace(/\s+$/, '');
    if (text.trim() === '') return;
    const profileShown = !ui.profile.hidden;
    if (profileShown && !validEmail()) {
      showFieldError('Please enter a valid email address, or leave it empty.');
      ui.email.focus();
      return;
    }
    if (profileShown) {
      local.set('name', ui.name.value.trim());
      local.set('email', ui.email.value.trim());
    }
    stopTyping();
    const payload = { clientMessageId: newClientMessageId(), text: text.slice(0, MAX_TEXT) };
    if (CONFIG.queue) payload.queue = CONFIG.queue;
    const name = (local.get('name') || '').slice(0, 120);
    const email = local.get('email') || '';
    if (name) payload.name = name;
    if (email && EMAIL_RE.test(email)) payload.email = email;

    const entry = {
      kind: 'message',
      key: 'm' + ++keySeq,
      local: true,
      id: null,
      clientMessageId: payload.clientMessageId,
      direction: 'inbound',
      authorName: name || null,
      text: payload.text,
      createdAt: new Date().toISOString(),
      status: 'pending',
      payload,
      attempt: 0,
    };
    byClientId.set(entry.clientMessageId, entry);
    ui.input.value = '';
    ui.send.disabled = true;
    autosize();
    append(entry);
    sendEntry(entry);
  }

  function fail(entry, message, retryable) {
    entry.status = 'failed';
    entry.error = message;
    entry.retryable = retryable;
    update(entry);
  }

  /** Sends (or re-sends: the SAME clientMessageId makes retries idempotent on the server). */
  async function sendEntry(entry) {
    if (entry.status === 'confirmed') return;
    const attempt = ++entry.attempt;
    entry.status = 'pending';
    entry.error = null;
    update(entry);
    try {
      await start();
    } catch (e) {
      if (attempt === entry.attempt) fail(entry, 'could not connect', true);
      return;
    }
    // emitted while disconnected, socket.io buffers it until the connection is back
    socket.timeout(ACK_TIMEOUT_MS).emit('message:send', entry.payload, (err, ack) => {
      if (attempt !== entry.attempt || entry.status === 'confirmed') return; // a later attempt, or the echo came first
      if (err) return fail(entry, 'no answer from the server', true);
      if (ack && ack.ok) {
        entry.status = 'sent';
        return update(entry);
      }
      const error = (ack && ack.error) || {};
      fail(entry, error.message || 'message not accepted', error.code === 'internal_error');
    });
  }

  // ---------------------------------------------------------------- typing (ours)

  let typingSentAt = 0;
  let typingOn = false;
  let typingIdle = null;

  function typingInput() {
    if (!socket || !socket.connected || conv.state !== 'active') return;
    const now = Date.now();
    if (now - typingSentAt >= TYPING_THROTTLE_MS) {
      typingSentAt = now;
      typingOn = true;
      socket.volatile.emit('typing', { isTyping: true });
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingOn && socket && socket.connected) socket.volatile.emit('typing', { isTyping: false });
    typingOn = false;
    typingSentAt = 0;
  }

  // ---------------------------------------------------------------- server events

  function fromServer(m) {
    const system = !m.author || m.author.type === 'system';
    return {
      kind: system ? 'notice' : 'message',
      key: 'm' + ++keySeq,
      id: m.id,
      clientMessageId: m.clientMessageId,
      direction: m.direction,
      authorName: (m.author && m.author.name) || (m.direction === 'outbound' ? 'Agent' : null),
      text: m.text,
      createdAt: m.createdAt,
      status: m.direction === 'inbound' ? 'confirmed' : null,
    };
  }

  /** The whole conversation, sent on every (re)connect: the list is rebuilt from it. */
  function onConversation(c) {
    if (!c) return;
    conv.contactId = c.contactId;
    conv.state = c.state;
    conv.agentName = c.agentName;
    const messages = Array.isArray(c.messages) ? c.messages : [];
    const next = [];
    byId.clear();
    const stored = new Set();
    const firstAgent = messages.findIndex((m) => m.direction === 'outbound' && m.author && m.author.type === 'agent');
    messages.forEach((m, i) => {
      if (i === firstAgent) next.push({ kind: 'notice', key: 'n' + ++keySeq, text: m.author.name ? m.author.name + ' joined' : 'An agent joined' });
      const entry = fromServer(m);
      next.push(entry);
      byId.set(m.id, entry);
      if (m.direction === 'inbound' && m.clientMessageId) stored.add(m.clientMessageId);
    });
    if (firstAgent < 0 && c.state === 'active') next.push({ kind: 'notice', key: 'n' + ++keySeq, text: (c.agentName || 'An agent') + ' joined' });
    if (c.state === 'queued') next.push({ kind: 'notice', key: 'n' + ++keySeq, text: 'Waiting for an agent…' });
    if (ENDED.indexOf(c.state) >= 0) next.push({ kind: 'notice', key: 'n' + ++keySeq, text: 'The conversation has ended' });
    endedNoticeFor = ENDED.indexOf(c.state) >= 0 ? c.contactId : null;
    // our messages the server has not stored yet (still pending, or failed) stay at the end
    const keep = entries.filter((e) => e.local && e.status !== 'confirmed' && !stored.has(e.clientMessageId));
    byClientId.clear();
    for (const e of next) if (e.kind === 'message' && e.direction === 'inbound' && e.clientMessageId) byClientId.set(e.clientMessageId, e);
    for (const e of keep) {
      e.el = null;
      next.push(e);
      byClientId.set(e.clientMessageId, e);
    }
    for (const e of next) e.el = null;
    entries = next;
    setAgentTyping(false);
    renderAll();
  }

  function onMessage(m) {
    if (!m || !m.id || byId.has(m.id)) return; // already shown
    if (m.contactId && m.contactId !== conv.contactId) conv.contactId = m.contactId;
    if (m.direction === 'inbound' && m.clientMessageId && byClientId.has(m.clientMessageId)) {
      const mine = byClientId.get(m.clientMessageId);
      if (mine.id) return;
      mine.id = m.id;
      mine.createdAt = m.createdAt;
      mine.status = 'confirmed';
      byId.set(m.id, mine);
      return update(mine);
    }
    const entry = fromServer(m);
    byId.set(m.id, entry);
    if (entry.direction === 'inbound' && entry.clientMessageId) byClientId.set(entry.clientMessageId, entry);
    if (entry.direction === 'outbound') {
      setAgentTyping(false);
      if (!isOpen) unread++;
    }
    append(entry);
  }

  function onState(e) {
    if (!e) return;
    const changed = e.contactId !== conv.contactId || e.state !== conv.state;
    conv.contactId = e.contactId;
    conv.state = e.state;
    conv.agentName = e.state === 'active' ? e.agentName : null;
    if (changed) {
      if (e.state === 'queued') notice('Waiting for an agent…');
      else if (e.state === 'active') notice((e.agentName || 'An agent') + ' joined');
      else if (ENDED.indexOf(e.state) >= 0 && endedNoticeFor !== e.contactId) {
        endedNoticeFor = e.contactId;
        setAgentTyping(false);
        stopTyping();
        notice('The conversation has ended');
      }
      if (e.state === 'closed' && !entries.some((x) => x.kind === 'rating' && x.contactId === e.contactId)) {
        append({ kind: 'rating', key: 'r' + ++keySeq, contactId: e.contactId });
      }
    }
    renderChrome();
  }

  // ---------------------------------------------------------------- connection

  function setConnection(state) {
    connection = state;
    renderChrome();
  }

  /** The socket.io browser client: the page's own when it has one, otherwise the server's. */
  function loadSocketIo() {
    if (typeof window.io === 'function') return Promise.resolve(window.io);
    if (loadSocketIo.promise) return loadSocketIo.promise;
    loadSocketIo.promise = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = ORIGIN + '/socket.io/socket.io.js';
      s.async = true;
      // note: on a page using an AMD loader (RequireJS) the UMD bundle registers a module instead of window.io
      s.onload = () => (typeof window.io === 'function' ? resolve(window.io) : reject(new Error('socket.io client did not load')));
      s.onerror = () => reject(new Error('could not load ' + s.src));
      (document.head || document.documentElement).appendChild(s);
    }).catch((e) => {
      loadSocketIo.promise = null;
      throw e;
    });
    return loadSocketIo.promise;
  }

  /** A visitor token: the stored one renewed (same visitor), or a new visitor's. */
  async function openSession() {
    const post = (body) =>
      fetch(ORIGIN + '/webchat/sessions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        credentials: 'omit',
      });
    const stored = local.get('token');
    let res = await post(stored ? { visitorToken: stored } : {});
    if (!res.ok && stored && res.status === 400) res = await post({}); // a malformed stored token
    if (!res.ok) throw new Error('POST /webchat/sessions answered ' + res.status);
    const session = await res.json();
    local.set('token', session.visitorToken);
    return session.visitorToken;
  }

  /** Creates the socket once; socket.io then reconnects by itself. Resolves when the socket exists. */
  function start() {
    if (!starting) {
      setConnection('connecting');
      starting = connect().catch((e) => {
        starting = null;
        setConnection('error');
        if (window.console) console.warn('[chat widget]', e && e.message ? e.message : e);
        throw e;
      });
      starting.catch(() => {}); // callers that do not wait must not leave an unhandled rejection
    }
    return starting;
  }

  async function connect() {
    const io = await loadSocketIo();
    await openSession();
    socket = io(ORIGIN + '/webchat', {
      // read on every (re)connect, so a renewed token is used
      auth: (cb) => cb({ token: local.get('token') }),
      // WebSocket first: long-polling needs sticky sessions when several API processes run
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      withCredentials: false,
    });
    socket.on('connect', () => {
      refusals = 0;
      setConnection('online');
      // messages whose ack never came (connection dropped): send again, same clientMessageId
      entries.filter((e) => e.local && e.status === 'failed' && e.retryable).forEach(sendEntry);
    });
    socket.on('disconnect', (reason) => {
      setAgentTyping(false);
      typingOn = false;
      setConnection('offline');
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 2000);
    });
    socket.on('connect_error', (err) => {
      if (socket.active) return setConnection('offline'); // a network problem: socket.io retries by itself
      // refused by the server (token expired or invalid): get a fresh session and try again, a few times
      refusals++;
      if (refusals > 3) return setConnection('error');
      setConnection('connecting');
      openSession()
        .catch(() => {})
        .then(() => setTimeout(() => socket.connect(), 1000 * refusals));
      if (window.console && err) console.warn('[chat widget] connection refused:', err.message);
    });
    socket.on('conversation', onConversation);
    socket.on('message', onMessage);
    socket.on('typing', (e) => setAgentTyping(!!(e && e.isTyping)));
    socket.on('conversation:state', onState);
    return socket;
  }

  // ---------------------------------------------------------------- boot

  const readyQueue = [];
  function whenReady(fn) {
    if (ui) fn();
    else readyQueue.push(fn);
  }

  function boot() {
    buildUi();
    readyQueue.splice(0).forEach((fn) => fn());
    if (tab.get('open') === '1') open(false); // kept open while the visitor moves from page to page
    else if (local.get('token')) start(); // a returning visitor: show replies that came while away
  }

  window.ContactCenterWidget = { __cc: true, open: () => open(), close };

  if (document.body) boot();
  else document.addEventListener('DOMContentLoaded', boot);
})();
