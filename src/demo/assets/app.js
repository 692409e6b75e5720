'use strict';
// needful demo: a small Slack-like client for the demo server's JSON API.
// The server pushes "changed" events; we refetch the whole state and re-render
// only the regions whose data changed, so drafts, focus and scroll survive.

// ---------------------------------------------------------------- constants

const EMOJI = {
  trophy: '🏆', tada: '🎉', wave: '👋', white_check_mark: '✅', raised_hands: '🙌',
  rotating_light: '🚨', clap: '👏', '+1': '👍', thumbsup: '👍', heart: '❤️', muscle: '💪',
  star: '⭐', sparkles: '✨', calendar: '📅', telephone_receiver: '📞', sos: '🆘', pray: '🙏',
  eyes: '👀', hourglass: '⏳', warning: '⚠️', clock9: '🕘', coffee: '☕', rocket: '🚀',
  bulb: '💡', speech_balloon: '💬', handshake: '🤝', medal: '🏅', first_place_medal: '🥇',
  busts_in_silhouette: '👥', spiral_calendar_pad: '🗓️',
};
// :trophy: first: it is the reaction needful counts as kudos.
const PICKER = ['trophy', 'tada', 'clap', '+1', 'heart', 'raised_hands', 'eyes', 'white_check_mark'];
const HOME = 'home'; // the "channel" value meaning the App Home tab
const DEFAULT_PERSON = 'U0ALICE001'; // who you are until you pick someone
const AVATAR_COLOURS = ['#e8912d', '#2bac76', '#1d9bd1', '#e01e5a', '#8e44ad', '#4a154b', '#c0392b', '#16a085'];

// -------------------------------------------------------------------- state

const query = new URLSearchParams(location.search);
const S = {
  data: null,               // the last /api/state answer
  as: query.get('as') || DEFAULT_PERSON,
  channel: query.get('c') || '',
  sigs: {},                 // what each region last rendered; it re-renders only on change
  threads: {},              // "channel:ts" → open or not, overriding the default
  drafts: {},               // thread reply drafts, kept across re-renders
  picker: null,             // {channel, ts} the emoji picker is open for
  wantDm: false,            // after switching person, show their DM with needful
  stickBottom: true,        // scroll to the newest message on the next render
  seen: {channel: '', count: 0},
  sug: {items: [], index: 0},
};

// ------------------------------------------------------------------ helpers

const $ = id => document.getElementById(id);

// Builds an element. Children are text unless they are nodes; `html` is only
// ever given strings from mrkdwn()/plainHtml(), which escape everything.
function h(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const [key, val] of Object.entries(attrs || {})) {
    if (val == null || val === false) continue;
    if (key === 'class') node.className = val;
    else if (key === 'html') node.innerHTML = val;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), val);
    else node.setAttribute(key, val === true ? '' : val);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid != null && kid !== false) node.append(kid instanceof Node ? kid : String(kid));
  }
  return node;
}

const ESC = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ESC[c]);
// Slack escapes exactly these three in message text; decode in one pass so
// "&amp;lt;" stays the literal "&lt;".
const unslack = s => s.replace(/&(amp|lt|gt);/g, (_, e) => ({amp: '&', lt: '<', gt: '>'})[e]);
const emojiOf = name => EMOJI[name] || `:${name}:`;
// Works on escaped HTML or plain text alike: it only swaps `:code:` for emoji.
const emojify = s => s.replace(/::skin-tone-[2-6]:/g, ':').replace(/:([a-z0-9_+'-]+):/g, (m, c) => EMOJI[c] || m);

const person = id => S.data?.people?.find(p => p.id === id);
const channel = id => S.data?.channels?.find(c => c.id === id);
const bot = () => S.data?.people?.find(p => p.is_bot);
const chansOfKind = kind => (S.data?.channels || []).filter(c => c.kind === kind);
const tsMs = ts => parseFloat(ts) * 1000;

// ------------------------------------------------------------------- time

function validZone(zone) {
  try { return zone && new Intl.DateTimeFormat('en-US', {timeZone: zone}) && zone; } catch { return null; }
}
// The viewer's zone, as Slack shows times in each person's own zone.
const zone = () => validZone(person(S.data?.me)?.tz) || validZone(S.data?.clock?.zone) || 'UTC';

const formats = new Map();
function dateParts(ms, opts) {
  const key = zone() + JSON.stringify(opts);
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat('en-US', {timeZone: zone(), ...opts}));
  return Object.fromEntries(formats.get(key).formatToParts(new Date(ms)).map(p => [p.type, p.value]));
}
const HM = {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'};
function hhmm(ms) { const p = dateParts(ms, HM); return `${p.hour}:${p.minute}`; }
function clockText(ms) {
  const p = dateParts(ms, {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', ...HM});
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute}`;
}
function dayKey(ms) { const p = dateParts(ms, {year: 'numeric', month: '2-digit', day: '2-digit'}); return `${p.year}-${p.month}-${p.day}`; }
function dayLabel(ms) {
  const now = Date.parse(S.data?.clock?.now) || Date.now();
  if (dayKey(ms) === dayKey(now)) return 'Today';
  if (dayKey(ms) === dayKey(now - 864e5)) return 'Yesterday';
  const p = dateParts(ms, {weekday: 'long', day: 'numeric', month: 'long', year: 'numeric'});
  const sameYear = dateParts(now, {year: 'numeric'}).year === p.year;
  return `${p.weekday}, ${p.day} ${p.month}${sameYear ? '' : ' ' + p.year}`;
}

// ------------------------------------------------------------------ mrkdwn

// A `<…>` token's parts: what it is, the text to show and, for links, the href.
function tokenParts(tok) {
  const bar = tok.indexOf('|');
  const target = bar < 0 ? tok : tok.slice(0, bar);
  const label = bar < 0 ? '' : unslack(tok.slice(bar + 1));
  if (target[0] === '@') {
    const id = target.slice(1);
    return {kind: 'mention', text: '@' + (person(id)?.name || label.replace(/^@/, '') || id)};
  }
  if (target[0] === '#') {
    const id = target.slice(1);
    return {kind: 'channel', id, text: '#' + (channel(id)?.name || label.replace(/^#/, '') || id)};
  }
  if (target[0] === '!') {
    const word = target.slice(1);
    if (['here', 'channel', 'everyone'].includes(word)) return {kind: 'broadcast', text: '@' + word};
    if (word.startsWith('date^')) return {kind: 'text', text: label};
    if (word.startsWith('subteam^')) return {kind: 'broadcast', text: label || '@group'};
    return {kind: 'text', text: label || word};
  }
  const href = unslack(target);
  if (/^(https?:\/\/|mailto:)/i.test(href)) return {kind: 'link', href, text: label || href.replace(/^mailto:/i, '')};
  // Not a token Slack makes (e.g. a raw "<script>"): show it as typed.
  return {kind: 'text', text: label || `<${unslack(tok)}>`};
}

function tokenHtml(tok) {
  const t = tokenParts(tok);
  switch (t.kind) {
    case 'mention': return `<span class="mention">${esc(t.text)}</span>`;
    case 'channel': return `<span class="mention channel-link" data-goto="${esc(t.id)}">${esc(t.text)}</span>`;
    case 'broadcast': return `<span class="mention broadcast">${esc(t.text)}</span>`;
    case 'link': return `<a href="${esc(t.href)}" target="_blank" rel="noopener noreferrer">${esc(t.text)}</a>`;
    default: return esc(t.text);
  }
}

// Code shows tokens as their words, unformatted.
const codeText = s => esc(unslack(s.replace(/<([^<>\n]+)>/g, (_, tok) => tokenParts(tok).text)));

const BOLD = /(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g;
const ITALIC = /(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g;
const STRIKE = /(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g;

// One line: code spans and tokens are set aside as placeholders (private-use
// characters, stripped from the input), the rest is decoded, escaped and
// formatted, then the placeholders are put back.
function inline(line) {
  const slots = [];
  const put = html => `\uE000${slots.push(html) - 1}\uE001`;
  let s = line.replace(/`([^`]+)`/g, (_, code) => put(`<code>${codeText(code)}</code>`));
  s = s.replace(/<([^<>]+)>/g, (_, tok) => put(tokenHtml(tok)));
  s = emojify(esc(unslack(s)));
  s = s.replace(BOLD, '$1<b>$2</b>').replace(ITALIC, '$1<i>$2</i>').replace(STRIKE, '$1<s>$2</s>');
  return s.replace(/\uE000(\d+)\uE001/g, (_, n) => slots[n]);
}

// Lines, with runs of ">" lines as one quote.
function lines(text) {
  const rows = text.split('\n').map(line => {
    // Slack quotes a line that starts with ">", with or without a space.
    const q = /^(?:&gt;|>) ?(.*)$/.exec(line);
    return q ? {quote: true, html: inline(q[1] || '')} : {quote: false, html: inline(line)};
  });
  let html = '';
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].quote) {
      const run = [rows[i].html];
      while (rows[i + 1]?.quote) run.push(rows[++i].html);
      html += `<blockquote>${run.join('<br>')}</blockquote>`;
    } else {
      html += rows[i].html;
      if (i < rows.length - 1 && !rows[i + 1].quote) html += '<br>';
    }
  }
  return html;
}

// Slack mrkdwn → safe HTML. Odd parts between ``` fences are code blocks.
function mrkdwn(text) {
  const parts = String(text ?? '').replace(/[\uE000\uE001]/g, '').split('```');
  // An odd number of fences leaves the last one unclosed: that one is text.
  if (parts.length % 2 === 0) parts.splice(-2, 2, parts[parts.length - 2] + '```' + parts[parts.length - 1]);
  const last = parts.length - 1;
  return parts.map((part, i) => {
    // The newlines next to a fence belong to the code block's edges, not the text.
    if (i > 0) part = part.replace(/^\n/, '');
    if (i < last) part = part.replace(/\n$/, '');
    if (i % 2) return `<pre>${codeText(part)}</pre>`;
    return part ? lines(part) : '';
  }).join('');
}

const plainHtml = (text, emoji) => {
  const s = esc(text).replace(/\n/g, '<br>');
  return emoji ? emojify(s) : s;
};

// A Block Kit text object → safe HTML.
function textHtml(obj) {
  if (!obj) return '';
  if (typeof obj === 'string') return mrkdwn(obj);
  return obj.type === 'mrkdwn' ? mrkdwn(obj.text) : plainHtml(obj.text, obj.emoji);
}
// For places that take text only (option labels).
const textOf = obj => (obj?.emoji ? emojify(String(obj.text ?? '')) : String(obj?.text ?? ''));

// --------------------------------------------------------------- Block Kit

// ctx says where the blocks are: {kind: 'message'|'modal'|'home', channel, ts, viewId}.
function renderBlocks(blocks, ctx) {
  const wrap = h('div', {class: 'blocks'});
  (Array.isArray(blocks) ? blocks : []).forEach((block, i) => {
    const render = block && Object.prototype.hasOwnProperty.call(BLOCKS, block.type) && BLOCKS[block.type];
    if (!render) return; // unknown blocks render as nothing
    try {
      const node = render(block, ctx, i);
      if (node) wrap.append(node);
    } catch (err) {
      console.warn('block not shown', block, err);
    }
  });
  return wrap;
}

const BLOCKS = {
  section(b, ctx) {
    const acc = b.accessory?.type === 'button' ? button(b.accessory, b, ctx) : null;
    return h('div', {class: 'bk-section'},
      h('div', {class: 'bk-section-main'},
        b.text && h('div', {class: 'bk-text', html: textHtml(b.text)}),
        Array.isArray(b.fields) && b.fields.length > 0 &&
          h('div', {class: 'bk-fields'}, b.fields.map(f => h('div', {class: 'bk-field', html: textHtml(f)})))),
      acc && h('div', {class: 'bk-accessory'}, acc));
  },
  context(b) {
    return h('div', {class: 'bk-context'},
      (b.elements || []).filter(e => e.type === 'mrkdwn' || e.type === 'plain_text')
        .map(e => h('span', {html: textHtml(e)})));
  },
  header(b) {
    return h('div', {class: 'bk-header', html: textHtml(b.text)});
  },
  divider() {
    return h('hr', {class: 'bk-divider'});
  },
  actions(b, ctx) {
    return h('div', {class: 'bk-actions'},
      (b.elements || []).filter(e => e.type === 'button').map(e => button(e, b, ctx)));
  },
  input(b, ctx, i) {
    const ids = inputIds(b, i);
    const el = b.element || {};
    const labelTag = el.type === 'checkboxes' || el.type?.startsWith('multi_') ? 'div' : 'label';
    return h('div', {class: 'bk-input', 'data-block-id': ids.block, 'data-type': el.type || ''},
      h(labelTag, {class: 'bk-label', for: labelTag === 'label' ? ids.control : null},
        h('span', {html: textHtml(b.label)}), b.optional && h('span', {class: 'bk-optional'}, ' (optional)')),
      control(el, ids),
      b.hint && h('div', {class: 'bk-hint', html: textHtml(b.hint)}));
  },
};

// Slack invents ids for blocks and elements sent without one; so do we, by position.
function inputIds(b, i) {
  const block = b.block_id || `block-${i}`;
  const action = b.element?.action_id || `action-${i}`;
  return {block, action, control: `in-${block}-${action}`};
}

function button(el, block, ctx) {
  const btn = h('button', {
    type: 'button',
    class: 'bk-button' + (el.style === 'primary' ? ' bk-primary' : el.style === 'danger' ? ' bk-danger' : ''),
    'data-action-id': el.action_id || '',
    'data-value': el.value ?? '',
    html: textHtml(el.text),
  });
  btn.addEventListener('click', async () => {
    if (el.confirm && !window.confirm(`${el.confirm.title?.text ?? ''}\n\n${el.confirm.text?.text ?? ''}`)) return;
    if (el.url && /^https?:\/\//i.test(el.url)) window.open(el.url, '_blank', 'noopener');
    btn.disabled = true; // one press, one action
    await post('/api/action', {
      as: S.as, action_id: el.action_id || '', block_id: block.block_id || '', value: el.value ?? '',
      channel: ctx.channel ?? null, message_ts: ctx.ts ?? null, view_id: ctx.viewId ?? null,
      home: ctx.kind === 'home',
    });
    btn.disabled = false;
  });
  return btn;
}

const humans = () => (S.data?.people || []).filter(p => !p.is_bot);
const publicChannels = () => (S.data?.channels || []).filter(c => c.kind === 'channel');

// A <select>, single or multiple; single ones start with an empty choice
// unless something is picked, so "nothing" can be submitted as null.
function select(ids, choices, picked, multiple, placeholder) {
  const chosen = new Set(picked.filter(Boolean));
  return h('select', {id: ids.control, name: ids.action, multiple, size: multiple ? Math.min(6, Math.max(3, choices.length)) : null},
    !multiple && h('option', {value: ''}, placeholder || 'Choose…'),
    choices.map(c => h('option', {value: c.value, selected: chosen.has(c.value)}, c.label)));
}

function control(el, ids) {
  const placeholder = el.placeholder ? textOf(el.placeholder) : null;
  switch (el.type) {
    case 'plain_text_input': {
      const attrs = {id: ids.control, name: ids.action, placeholder, maxlength: el.max_length ?? null};
      if (el.multiline) return h('textarea', {...attrs, rows: 4}, el.initial_value ?? '');
      return h('input', {...attrs, type: 'text', value: el.initial_value ?? ''});
    }
    case 'static_select':
      return select(ids, (el.options || []).map(o => ({value: o.value, label: textOf(o.text)})),
        [el.initial_option?.value], false, placeholder);
    case 'checkboxes': {
      const on = new Set((el.initial_options || []).map(o => o.value));
      return h('div', {class: 'bk-checkboxes', id: ids.control},
        (el.options || []).map(o => h('label', {class: 'bk-checkbox'},
          h('input', {type: 'checkbox', name: ids.action, value: o.value, checked: on.has(o.value)}),
          h('span', {},
            h('span', {html: textHtml(o.text)}),
            o.description && h('span', {class: 'bk-hint', html: textHtml(o.description)})))));
    }
    case 'timepicker':
      return h('input', {type: 'time', id: ids.control, name: ids.action, value: el.initial_time ?? ''});
    case 'datepicker':
      return h('input', {type: 'date', id: ids.control, name: ids.action, value: el.initial_date ?? ''});
    case 'users_select':
    case 'multi_users_select': {
      const multi = el.type.startsWith('multi_');
      return select(ids, humans().map(p => ({value: p.id, label: p.name})),
        multi ? el.initial_users || [] : [el.initial_user], multi, placeholder || 'Choose a person…');
    }
    case 'conversations_select':
    case 'multi_conversations_select': {
      const multi = el.type.startsWith('multi_');
      return select(ids, publicChannels().map(c => ({value: c.id, label: '#' + c.name})),
        multi ? el.initial_conversations || [] : [el.initial_conversation], multi, placeholder || 'Choose a channel…');
    }
    default:
      return h('div', {class: 'bk-hint'}, `(${el.type || 'this input'} is not shown in the demo)`);
  }
}

// The modal's inputs in Slack's `state.values` shape, read from the view's own
// definition (for option labels) and the controls in `root`.
function collectValues(view, root) {
  const values = {};
  (view.blocks || []).forEach((b, i) => {
    if (b?.type !== 'input') return;
    const ids = inputIds(b, i);
    const el = b.element || {};
    const wrap = root.querySelector(`[data-block-id="${CSS.escape(ids.block)}"]`);
    if (!wrap) return;
    const ctl = wrap.querySelector(`[name="${CSS.escape(ids.action)}"]`);
    const option = v => {
      const o = (el.options || []).find(x => x.value === v);
      return o ? {text: o.text, value: o.value} : null;
    };
    const many = () => (ctl ? [...ctl.selectedOptions].map(o => o.value) : []);
    const one = () => ctl?.value || null;
    let state;
    switch (el.type) {
      case 'plain_text_input': state = {value: one()}; break;
      case 'static_select': state = {selected_option: option(ctl?.value)}; break;
      case 'checkboxes':
        state = {selected_options: [...wrap.querySelectorAll('input[type=checkbox]:checked')].map(c => option(c.value)).filter(Boolean)};
        break;
      case 'timepicker': state = {selected_time: one()}; break;
      case 'datepicker': state = {selected_date: one()}; break;
      case 'users_select': state = {selected_user: one()}; break;
      case 'multi_users_select': state = {selected_users: many()}; break;
      case 'conversations_select': state = {selected_conversation: one()}; break;
      case 'multi_conversations_select': state = {selected_conversations: many()}; break;
      default: return;
    }
    values[ids.block] = {...values[ids.block], [ids.action]: {type: el.type, ...state}};
  });
  return values;
}

// -------------------------------------------------------------------- API

async function api(path, body) {
  try {
    const res = await fetch(path, body === undefined
      ? {headers: {accept: 'application/json'}, cache: 'no-store'}
      : {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
    let json = null;
    try { json = await res.json(); } catch { /* not JSON: reported below */ }
    if (!json || typeof json !== 'object') throw new Error(`HTTP ${res.status}`);
    if (json.ok === false || !res.ok) {
      showBanner(json.error ? `The demo said: ${json.error}` : `The demo answered HTTP ${res.status}`);
      return {...json, ok: false};
    }
    return json;
  } catch (err) {
    showBanner(`Can't reach the demo server (${err.message}). It will retry when it's back.`);
    return null;
  }
}

// Every POST is followed by a refetch: the server has changed something.
async function post(path, body) {
  const res = await api(path, body);
  refresh();
  return res;
}

// At most one state fetch in flight; an event during one asks for one more.
let inFlight = false, again = false, debounce = 0;
function scheduleRefresh() {
  clearTimeout(debounce);
  debounce = setTimeout(refresh, 100);
}
async function refresh() {
  if (inFlight) { again = true; return; }
  inFlight = true;
  const as = S.as;
  try {
    const data = await api(`/api/state?as=${encodeURIComponent(as)}`);
    if (as !== S.as) again = true; // the person changed meanwhile: this answer is for someone else
    else if (data && data.ok !== false && Array.isArray(data.people)) { S.data = data; render(); }
    else if (data && !S.data && as !== DEFAULT_PERSON) { S.as = DEFAULT_PERSON; again = true; } // an unknown ?as=
  } finally {
    inFlight = false;
    if (again) { again = false; refresh(); }
  }
}

function listen() {
  const live = $('live');
  const es = new EventSource('/api/events');
  es.addEventListener('changed', scheduleRefresh);
  es.onopen = () => { live.className = 'live on'; live.title = 'Live'; scheduleRefresh(); };
  es.onerror = () => {
    live.className = 'live off';
    live.title = 'Live updates interrupted; reconnecting…';
    // The browser retries by itself unless the stream was refused outright.
    if (es.readyState === EventSource.CLOSED) setTimeout(listen, 3000);
  };
}

// ------------------------------------------------------------------ banner

function showBanner(text) {
  $('banner-text').textContent = text;
  $('banner').hidden = false;
}

// ----------------------------------------------------------------- render

function defaultChannel() {
  const chans = S.data.channels || [];
  return (chans.find(c => c.kind === 'channel') || chans[0])?.id || HOME;
}

function syncUrl() {
  const q = new URLSearchParams(location.search);
  q.set('as', S.as);
  q.set('c', S.channel);
  history.replaceState(null, '', `${location.pathname}?${q}`);
}

function render() {
  const d = S.data;
  if (!d) return;
  S.as = d.me || S.as;
  if (S.wantDm) { S.wantDm = false; S.channel = chansOfKind('dm')[0]?.id || S.channel; }
  if (S.channel !== HOME && !channel(S.channel)) S.channel = defaultChannel();
  syncUrl();
  // A region that fails is reported; the rest of the page still renders.
  for (const part of [renderClock, renderSidebar, renderHeader, renderMessages, renderHome, renderComposer, renderModal]) {
    try { part(); } catch (err) {
      console.error(err);
      showBanner(`Part of the page could not be shown: ${err.message}`);
    }
  }
}

// Whether a region's data differs from what it last drew (and remember it).
function changed(region, key) {
  const sig = JSON.stringify(key);
  if (S.sigs[region] === sig) return false;
  S.sigs[region] = sig;
  return true;
}

function renderClock() {
  const c = S.data.clock;
  if (!c) return;
  $('clock-now').textContent = clockText(Date.parse(c.now));
  $('clock-now').setAttribute('datetime', c.now);
  $('clock-zone').textContent = zone();
  if (!changed('jumps', c.jumps)) return;
  $('jumps').replaceChildren(...(c.jumps || []).map(j => h('button', {
    type: 'button', class: 'jump', 'data-jump': j.id,
    onclick: async e => {
      const btn = e.currentTarget;
      btn.disabled = true;
      await post('/api/clock', {jump: j.id});
      btn.disabled = false;
    },
  }, j.label)));
}

function renderSidebar() {
  const d = S.data;
  if (!changed('sidebar', [d.workspace, d.people, d.channels, S.as, S.channel])) return;
  $('workspace-name').textContent = `${d.workspace || 'needful'} (demo)`;
  document.title = `${S.channel === HOME ? 'needful' : channel(S.channel)?.name || ''} · ${d.workspace || 'needful'} (demo)`;

  $('as').replaceChildren(...humans().map(p =>
    h('option', {value: p.id, selected: p.id === S.as, title: p.title || null}, `You are ${p.name}${role(p)}`)));
  const me = person(S.as);
  $('as-info').textContent = me ? [me.title, me.tz].filter(Boolean).join(' · ') : '';

  const link = c => h('li', {},
    h('a', {href: `?as=${encodeURIComponent(S.as)}&c=${encodeURIComponent(c.id)}`, class: 'nav-item' + (c.id === S.channel ? ' active' : ''), 'data-channel': c.id},
      c.kind === 'dm' ? h('span', {class: 'nav-icon app-icon'}, 'n') : h('span', {class: 'nav-icon'}, '#'),
      c.name));
  const chans = d.channels || [];
  $('channel-list').replaceChildren(...chans.filter(c => c.kind !== 'dm').map(link));
  $('dm-list').replaceChildren(...chans.filter(c => c.kind === 'dm').map(link));
  $('open-home').classList.toggle('active', S.channel === HOME);

  $('channel-select').replaceChildren(
    ...chans.map(c => h('option', {value: c.id, selected: c.id === S.channel}, c.kind === 'dm' ? `💬 ${c.name}` : `# ${c.name}`)),
    h('option', {value: HOME, selected: S.channel === HOME}, '🏠 needful · Home'));
}

// The last word of a title, short enough for the switcher:
// "Support manager" → " (manager)", "Account executive (sales)" → " (sales)".
function role(p) {
  const word = (p.title || '').replace(/[()]/g, ' ').trim().split(/\s+/).pop();
  return word ? ` (${word.toLowerCase()})` : '';
}

function renderHeader() {
  const c = channel(S.channel);
  const dm = S.channel === HOME ? chansOfKind('dm')[0] : c?.kind === 'dm' ? c : null;
  if (!changed('header', [S.channel, c, dm?.id])) return;
  const title = $('pane-title'), tabs = $('pane-tabs');
  if (S.channel === HOME || c?.kind === 'dm') {
    title.replaceChildren(h('span', {class: 'avatar small', style: `background:${colour(bot()?.id || 'needful')}`}, 'n'), ' needful ', h('span', {class: 'app-badge'}, 'APP'));
    tabs.replaceChildren(
      h('button', {type: 'button', class: 'tab' + (S.channel === HOME ? ' active' : ''), onclick: () => go(HOME)}, 'Home'),
      dm && h('button', {type: 'button', class: 'tab' + (S.channel !== HOME ? ' active' : ''), onclick: () => go(dm.id)}, 'Messages'));
    $('pane-topic').textContent = S.channel === HOME ? 'Your needful Home: settings and shortcuts.' : 'Your direct messages with needful. Only you can see them.';
  } else {
    title.replaceChildren(h('span', {class: 'hash'}, '#'), c?.name || '');
    tabs.replaceChildren();
    $('pane-topic').textContent = c?.topic || '';
  }
}
function colour(id) {
  let n = 0;
  for (const ch of String(id)) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  return AVATAR_COLOURS[n % AVATAR_COLOURS.length];
}

function avatar(p, id) {
  const initial = (p?.name || id || '?').trim()[0]?.toUpperCase() || '?';
  return h('div', {class: 'avatar', style: `background:${colour(p?.id || id)}`, 'aria-hidden': 'true'}, initial);
}

// One message (top-level, reply or ephemeral).
function messageEl(m, ch, opts = {}) {
  const who = opts.ephemeral ? person(m.user) || bot() : person(m.user);
  const ms = tsMs(m.ts);
  const ctx = {kind: 'message', channel: ch, ts: m.ts};
  const body = h('div', {class: 'message-body'});
  const blocks = Array.isArray(m.blocks) && m.blocks.length ? renderBlocks(m.blocks, ctx) : null;
  // Blocks that render to nothing fall back to the text, as Slack does.
  body.append(blocks?.childElementCount ? blocks : h('div', {class: 'md', html: mrkdwn(m.text)}));
  return h('div', {class: 'message' + (opts.ephemeral ? ' ephemeral' : ''), 'data-ts': m.ts},
    avatar(who, m.user),
    h('div', {class: 'message-content'},
      h('div', {class: 'message-meta'},
        h('span', {class: 'author'}, who?.name || m.user || 'Someone'),
        who?.is_bot && h('span', {class: 'app-badge'}, 'APP'),
        h('time', {class: 'time', datetime: new Date(ms).toISOString(), title: `${dayLabel(ms)} at ${hhmm(ms)}`}, hhmm(ms)),
        m.edited && h('span', {class: 'edited'}, '(edited)'),
        opts.ephemeral && h('span', {class: 'only-you'}, 'Only visible to you')),
      body,
      (m.reactions?.length || opts.thread) && h('div', {class: 'message-footer'},
        (m.reactions || []).map(r => reactionEl(r, ch, m.ts)),
        opts.thread)),
    // Slack's hover toolbar (always shown on touch screens).
    !opts.ephemeral && h('div', {class: 'message-tools'},
      h('button', {type: 'button', class: 'add-reaction', title: 'Add reaction', 'aria-label': 'Add reaction',
        onclick: e => openPicker(e.currentTarget, ch, m.ts)}, '☺︎+'),
      opts.reply && h('button', {type: 'button', class: 'reply-tool', title: 'Reply in thread', 'aria-label': 'Reply in thread',
        onclick: opts.reply}, '💬')));
}

function reactionEl(r, ch, ts) {
  const names = (r.users || []).map(id => person(id)?.name || id).join(', ');
  return h('button', {
    type: 'button', class: 'reaction' + (r.mine ? ' mine' : ''), 'data-emoji': r.name,
    title: `${names} reacted with :${r.name}:`, 'aria-pressed': r.mine ? 'true' : 'false',
    onclick: () => react(ch, ts, r.name, !r.mine),
  }, h('span', {class: 'reaction-emoji'}, emojiOf(r.name)), h('span', {class: 'reaction-count'}, r.count));
}

function react(ch, ts, name, add) {
  return post('/api/reaction', {as: S.as, channel: ch, ts, name, add});
}

// A parent message with its thread: the replies are a sibling of the parent
// (not inside it), so selectors on the parent never match its replies.
function threadGroup(m, ch) {
  const key = `${ch}:${m.ts}`;
  const replies = m.replies || [];
  const n = replies.length;
  const open = S.threads[key] ?? (n > 0 && n <= 3);
  const toggle = () => {
    S.threads[key] = !open;
    renderMessages();
  };
  // "Reply in thread": open the thread (if it is not) and get ready to type.
  const reply = () => {
    if (!open) toggle();
    focusReply(key);
  };
  const summary = n
    ? h('button', {type: 'button', class: 'thread-toggle', 'aria-expanded': String(open), onclick: toggle},
        `${open ? '▾' : '▸'} ${n} ${n === 1 ? 'reply' : 'replies'}`,
        h('span', {class: 'thread-last'}, ` · last at ${hhmm(tsMs(replies[n - 1].ts))}`))
    : open && h('button', {type: 'button', class: 'thread-toggle reply-link', onclick: toggle}, 'Hide reply box');
  const group = h('div', {class: 'message-group'}, messageEl(m, ch, {thread: summary, reply}));
  if (open) {
    group.append(h('div', {class: 'thread', 'data-thread-ts': m.ts},
      replies.map(r => messageEl(r, ch)),
      replyBox(key, ch, m.ts)));
  }
  return group;
}

function replyBox(key, ch, threadTs) {
  const ta = h('textarea', {rows: 1, placeholder: 'Reply in thread…', 'data-key': key, 'aria-label': 'Reply in thread'});
  ta.value = S.drafts[key] || '';
  const send = async () => {
    const text = ta.value.trim();
    if (!text) return;
    S.drafts[key] = ta.value = '';
    const res = await post('/api/message', {as: S.as, channel: ch, text, thread_ts: threadTs});
    if (!res || res.ok === false) restoreDraft(key, text); // not sent: give the words back
  };
  ta.addEventListener('input', () => { S.drafts[key] = ta.value; grow(ta); });
  ta.addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  requestAnimationFrame(() => grow(ta));
  return h('div', {class: 'thread-reply'}, ta, h('button', {type: 'button', onclick: send}, 'Reply'));
}
const replyArea = key => document.querySelector(`.thread-reply textarea[data-key="${CSS.escape(key)}"]`);
function restoreDraft(key, text) {
  if (S.drafts[key]) return; // already typing something new
  S.drafts[key] = text;
  const ta = replyArea(key);
  if (ta) { ta.value = text; grow(ta); }
}
function focusReply(key) { replyArea(key)?.focus(); }

function renderMessages() {
  const d = S.data, ch = S.channel;
  const box = $('messages');
  box.hidden = ch === HOME;
  if (ch === HOME) { $('jump-latest').hidden = true; return; }
  const list = d.messages?.[ch] || [];
  const eph = (d.ephemerals || []).filter(e => e.channel === ch);
  const redraw = changed('messages', [ch, S.as, list, eph, S.threads, d.people, d.channels, zone(), dayKey(Date.parse(d.clock?.now) || 0)]);

  // Keep what the user was doing: scroll position, and a focused reply box.
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const top = box.scrollTop;
  let grew = false;
  if (redraw) {
    const active = document.activeElement;
    const focused = active?.dataset?.key;
    const sel = focused ? [active.selectionStart, active.selectionEnd] : null;
    const items = [...list.map(m => ({m, eph: false})), ...eph.map(m => ({m, eph: true}))]
      .sort((a, b) => tsMs(a.m.ts) - tsMs(b.m.ts));
    const nodes = [];
    let day = '';
    for (const {m, eph: isEph} of items) {
      const k = dayKey(tsMs(m.ts));
      if (k !== day) { day = k; nodes.push(h('div', {class: 'day-divider'}, h('span', {}, dayLabel(tsMs(m.ts))))); }
      nodes.push(isEph ? messageEl(m, ch, {ephemeral: true}) : threadGroup(m, ch));
    }
    if (!nodes.length) nodes.push(h('p', {class: 'empty'}, 'No messages here yet. Say hello, or type / to try a command.'));
    box.replaceChildren(...nodes);
    if (focused) {
      const ta = replyArea(focused);
      if (ta) { ta.focus(); ta.setSelectionRange(...sel); }
    }
    const count = items.reduce((n, i) => n + 1 + (i.m.replies?.length || 0), 0);
    grew = S.seen.channel === ch && count > S.seen.count;
    S.seen = {channel: ch, count};
  }
  // New messages scroll into view, unless the user has scrolled up to read.
  if (S.stickBottom || (redraw && nearBottom)) {
    box.scrollTop = box.scrollHeight;
    S.stickBottom = false;
    $('jump-latest').hidden = true;
  } else if (redraw) {
    box.scrollTop = top;
    if (grew) $('jump-latest').hidden = false;
  }
  placePicker();
}

function renderHome() {
  const pane = $('home');
  pane.hidden = S.channel !== HOME;
  const home = S.data.home;
  if (!changed('home', [home, S.as, S.data.people, S.data.channels])) return;
  pane.replaceChildren(home?.blocks?.length
    ? renderBlocks(home.blocks, {kind: 'home'})
    : h('p', {class: 'empty'}, 'needful has not put anything on your Home tab yet.'));
}

function renderComposer() {
  const home = S.channel === HOME;
  $('composer-form').hidden = home;
  document.querySelector('.composer-help').hidden = home;
  const c = channel(S.channel);
  $('composer').placeholder = c ? (c.kind === 'dm' ? `Message ${c.name}` : `Message #${c.name}`) : 'Message';
}

// ------------------------------------------------------------------ modals

function renderModal() {
  const modals = S.data.modals || [];
  const view = modals[modals.length - 1] || null;
  const root = $('modal-root');
  if (!changed('modal', [view, S.as])) return;
  root.replaceChildren();
  if (!view) return;
  const ctx = {kind: 'modal', viewId: view.id};
  const submit = view.submit && h('button', {type: 'button', class: 'modal-submit bk-primary', onclick: () => submitModal(view)}, textOf(view.submit));
  const close = () => post('/api/close', {as: S.as, view_id: view.id});
  const form = h('form', {class: 'modal-body', novalidate: true, onsubmit: e => { e.preventDefault(); if (view.submit) submitModal(view); }},
    renderBlocks(view.blocks, ctx));
  const modal = h('div', {class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': textOf(view.title),
    'data-view-id': view.id || '', 'data-callback-id': view.callback_id || ''},
  h('header', {class: 'modal-header'},
    h('h2', {html: textHtml(view.title)}),
    h('button', {type: 'button', class: 'modal-x', 'aria-label': 'Close', onclick: close}, '×')),
  form,
  h('footer', {class: 'modal-footer'},
    h('button', {type: 'button', class: 'modal-close', onclick: close}, view.close ? textOf(view.close) : (view.submit ? 'Cancel' : 'Close')),
    submit));
  root.append(h('div', {class: 'modal-overlay'}, modal));
  // Like Slack, focus the first field so one can type straight away.
  setTimeout(() => modal.querySelector('input, textarea, select')?.focus(), 0);
}

async function submitModal(view) {
  const modal = document.querySelector(`.modal[data-view-id="${CSS.escape(view.id || '')}"]`);
  if (!modal) return;
  const btn = modal.querySelector('.modal-submit');
  btn.disabled = true;
  modal.querySelectorAll('.field-error').forEach(e => e.remove());
  modal.querySelectorAll('.has-error').forEach(e => e.classList.remove('has-error'));
  const res = await post('/api/submit', {as: S.as, view_id: view.id, values: collectValues(view, modal)});
  btn.disabled = false;
  const errors = res?.ok !== false && res?.errors;
  if (!errors) return;
  // The modal stays open (the view is unchanged): put each message under its block.
  const lost = [];
  for (const [blockId, message] of Object.entries(errors)) {
    const wrap = modal.querySelector(`[data-block-id="${CSS.escape(blockId)}"]`);
    if (!wrap) { lost.push(message); continue; }
    wrap.classList.add('has-error');
    wrap.append(h('div', {class: 'field-error', role: 'alert'}, String(message)));
  }
  if (lost.length) showBanner(lost.join(' '));
  modal.querySelector('.has-error input, .has-error textarea, .has-error select')?.focus();
}

// ------------------------------------------------------------ emoji picker

function openPicker(btn, ch, ts) {
  const picker = $('emoji-picker');
  if (!picker.hidden && S.picker?.ts === ts && S.picker?.channel === ch) return closePicker();
  S.picker = {channel: ch, ts};
  picker.replaceChildren(...PICKER.map(name => h('button', {
    type: 'button', class: 'emoji-choice', 'data-emoji': name, title: `:${name}:`, role: 'menuitem',
    onclick: () => {
      const mine = findMessage(ch, ts)?.reactions?.find(r => r.name === name)?.mine;
      closePicker();
      react(ch, ts, name, !mine); // choosing one you already gave takes it back, as in Slack
    },
  }, EMOJI[name])));
  picker.hidden = false;
  placePicker(btn);
}

// Keeps the picker next to its message's button, even after a re-render.
function placePicker(btn) {
  const picker = $('emoji-picker');
  if (picker.hidden || !S.picker) return;
  btn ||= document.querySelector(`.message[data-ts="${CSS.escape(S.picker.ts)}"] .add-reaction`);
  if (!btn) return closePicker();
  const r = btn.getBoundingClientRect();
  const w = picker.offsetWidth, ht = picker.offsetHeight;
  picker.style.left = `${Math.max(8, Math.min(r.left, innerWidth - w - 8))}px`;
  picker.style.top = `${r.top - ht - 6 >= 8 ? r.top - ht - 6 : r.bottom + 6}px`;
}

function closePicker() {
  $('emoji-picker').hidden = true;
  S.picker = null;
}

function findMessage(ch, ts) {
  for (const m of S.data?.messages?.[ch] || []) {
    if (m.ts === ts) return m;
    const reply = (m.replies || []).find(r => r.ts === ts);
    if (reply) return reply;
  }
  return null;
}

// ----------------------------------------------------------------- composer

const grow = ta => { ta.style.height = 'auto'; ta.style.height = `${Math.min(ta.scrollHeight, 200)}px`; };

async function send() {
  const ta = $('composer');
  const text = ta.value.trim();
  if (!text || !S.data || S.channel === HOME) return;
  ta.value = '';
  grow(ta);
  hideSuggestions();
  S.stickBottom = true;
  const res = await post('/api/message', {as: S.as, channel: S.channel, text});
  if ((!res || res.ok === false) && !ta.value) { ta.value = text; grow(ta); }
}

// Slash commands: while the first word is being typed, the matching commands;
// after it, that command's usage as a hint.
function commandItems(ta) {
  const m = /^\/\S*/.exec(ta.value);
  if (!m) return null;
  const word = m[0].toLowerCase();
  const typing = ta.value.length === m[0].length;
  const cmds = (S.data?.commands || []).map(c => ({...c, command: c.command.startsWith('/') ? c.command : '/' + c.command}));
  return cmds.filter(c => (typing ? c.command.toLowerCase().startsWith(word) : c.command.toLowerCase() === word)).map(c => ({
    exact: c.command.toLowerCase() === word,
    content: [h('span', {class: 'sug-main'}, c.command), c.usage && h('span', {class: 'sug-usage'}, ` ${c.usage}`),
      c.description && h('div', {class: 'sug-desc'}, c.description)],
    apply: typing ? () => fill(ta, 0, ta.value.length, `${c.command} `) : null,
  }));
}

// The server turns "@alice" into a mention, as Slack's composer does when a
// name is picked; the handle is the first name, lower-case, unless it is sent.
const handle = p => p.handle || p.name.split(/\s+/)[0].toLowerCase();

// "@al" just before the caret: the people whose names match.
function mentionItems(ta) {
  const before = ta.value.slice(0, ta.selectionStart);
  const m = /(^|\s)@([\w.'-]*)$/.exec(before);
  if (!m) return null;
  const q = m[2].toLowerCase();
  const start = before.length - m[2].length - 1;
  return humans()
    .filter(p => p.name.toLowerCase().split(/\s+/).some(w => w.startsWith(q)) || p.name.toLowerCase().startsWith(q))
    .slice(0, 8)
    .map(p => ({
      exact: q === handle(p), // "hi @bob" + Enter sends
      content: [avatar(p, p.id), h('span', {class: 'sug-main'}, p.name), h('span', {class: 'sug-usage'}, ` @${handle(p)}${p.title ? ' · ' + p.title : ''}`)],
      apply: () => fill(ta, start, ta.selectionStart, `@${handle(p)} `),
    }));
}

function fill(ta, from, to, text) {
  ta.setRangeText(text, from, to, 'end');
  ta.focus();
  grow(ta);
  suggest();
}

function suggest() {
  const ta = $('composer'), box = $('suggestions');
  const items = commandItems(ta) || mentionItems(ta) || [];
  S.sug = {items, index: 0};
  box.replaceChildren(...items.map((it, i) => h('div', {
    class: 'suggestion' + (it.apply ? ' pickable' : '') + (i === 0 && it.apply ? ' active' : ''),
    role: 'option',
    onmousedown: e => { e.preventDefault(); it.apply?.(); }, // mousedown: keep the textarea focused
  }, it.content)));
  box.hidden = !items.length;
}

function hideSuggestions() {
  $('suggestions').hidden = true;
  S.sug = {items: [], index: 0};
}

function composerKey(e) {
  if (e.isComposing) return; // Enter there confirms an IME composition
  const {items, index} = S.sug;
  const pickable = !$('suggestions').hidden && items.some(i => i.apply);
  if (pickable && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
    e.preventDefault();
    S.sug.index = (index + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
    [...$('suggestions').children].forEach((row, i) => row.classList.toggle('active', i === S.sug.index));
    return;
  }
  if (e.key === 'Escape') { hideSuggestions(); return; }
  if (pickable && (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey && !items.some(i => i.exact)))) {
    e.preventDefault();
    items[index].apply();
    return;
  }
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
}

// --------------------------------------------------------------- navigation

function go(id) {
  if (id === S.channel) return;
  S.channel = id;
  S.stickBottom = true;
  closePicker();
  hideSuggestions();
  render();
  homeOpened();
}

// Opening the App Home is an event for the bot (app_home_opened), which
// publishes the person's Home as it is now.
function homeOpened() {
  if (S.channel === HOME) post('/api/home', {as: S.as}).catch(() => {});
}

function setPerson(id) {
  // Each person has their own DM with needful: from one, go to the other's.
  S.wantDm = channel(S.channel)?.kind === 'dm';
  S.as = id;
  S.sigs = {};
  S.stickBottom = true;
  closePicker();
  syncUrl();
  refresh();
  homeOpened();
}

// ------------------------------------------------------------------- wiring

function wire() {
  $('as').addEventListener('change', e => setPerson(e.target.value));
  $('channel-select').addEventListener('change', e => go(e.target.value));
  $('sidebar').addEventListener('click', e => {
    const a = e.target.closest('[data-channel], #open-home');
    if (!a) return;
    e.preventDefault();
    go(a.id === 'open-home' ? HOME : a.dataset.channel);
  });
  // "#channel" links inside messages.
  document.addEventListener('click', e => {
    const link = e.target.closest('.channel-link[data-goto]');
    if (link && channel(link.dataset.goto)) go(link.dataset.goto);
    const picker = $('emoji-picker');
    if (!picker.hidden && !e.target.closest('#emoji-picker, .add-reaction')) closePicker();
  });
  document.addEventListener('keydown', e => {
    if (e.key !== 'Escape') return;
    if (!$('emoji-picker').hidden) return closePicker();
    document.querySelector('.modal-x')?.click();
  });
  $('banner-close').addEventListener('click', () => { $('banner').hidden = true; });

  const ta = $('composer');
  ta.addEventListener('input', () => { grow(ta); suggest(); });
  ta.addEventListener('keydown', composerKey);
  ta.addEventListener('blur', () => setTimeout(hideSuggestions, 150));
  $('composer-form').addEventListener('submit', e => { e.preventDefault(); send(); });

  const box = $('messages');
  box.addEventListener('scroll', () => {
    if (box.scrollHeight - box.scrollTop - box.clientHeight < 80) $('jump-latest').hidden = true;
    placePicker();
  }, {passive: true});
  $('jump-latest').addEventListener('click', () => { box.scrollTop = box.scrollHeight; });
  addEventListener('resize', () => placePicker());
}

wire();
refresh();
listen();
homeOpened();
