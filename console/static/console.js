// Saphan operator console: one page, talking to the console API under /console/api.
//
// Sections, top to bottom:
//    1. Helpers: texts (t), names of languages, countries and channels, times, and `node()`, the
//       only way this file makes elements. Every text from the server (messages, evidence, names)
//       goes in through textContent, never as HTML.
//    2. Texts and language: fetched from /console/strings/<lang>; the choice is kept in localStorage.
//    3. The API: `api()` sends every request with the session cookie; changes carry the CSRF token
//       and JSON. A 401 anywhere returns to the sign-in form; other errors show in the status line.
//    4. Session: sign-in, sign-out, the top bar (name, role, duty toggle, tabs).
//    5. Views and the route: the location hash is the route (#queue, #case/<id>, #dashboard,
//       #audit, #directory); a role sees only its own views.
//    6. Live updates: an EventSource on /console/api/events, a 30 s queue reload as a fallback, and
//       a one-second tick that keeps the waiting times current.
//    7. The alarm for urgent cases: banner (#alert), a repeated tone from the Web Audio API and a
//       browser notification, until the operator acknowledges, or opens or claims the case.
//    8. Queue and live conversations.  9. The case view.  10. Dashboard and audit log.
//   11. The hotline directory (supervisors, admins): stale entries and gaps flagged, entries edited
//       in a form and validated by the server, which says why it refuses one.
// Nothing is kept in the browser but the chosen UI language; drafts stay in memory only.
(function () {
  "use strict";

  const UI_LANGUAGES = ["en", "th", "my", "km", "lo", "vi", "id"];
  const LANGUAGE_KEY = "saphan.console.language";
  const QUEUE_RELOAD_MS = 30000;
  const TICK_MS = 1000;
  const BEEP_EVERY_MS = 2500;
  const OFFLINE_AFTER_MS = 10000;
  const VIEWS_BY_ROLE = {
    operator: ["queue", "case"],
    supervisor: ["queue", "case", "dashboard", "audit", "directory"],
    admin: ["dashboard", "audit", "directory"],
    // Trainers take the training chats' cases: the training queue, and the case view.
    trainer: ["queue", "case"],
  };
  const TABS = ["queue", "dashboard", "audit", "directory"];
  const CASE_PARTS = [
    "case-facts", "transcript", "inserts", "triage", "consents", "location", "transfer-to", "outcome",
  ];
  const VIEWS = ["sign-in", "queue", "case", "dashboard", "audit", "directory"];
  // The directory form's fields: [name, input type]; lists are written comma-separated.
  const DIRECTORY_FIELDS = [
    ["id", "text"], ["country", "select"], ["number", "text"], ["name", "text"], ["agency", "text"],
    ["topics", "list"], ["hours", "select"], ["hours_source", "text"], ["channels", "list"],
    ["languages", "list"], ["primary", "checkbox"], ["source", "text"], ["verified", "date"], ["note", "text"],
  ];
  const TIMES = [["alert", "time_to_alert"], ["claim", "time_to_claim"], ["first_message", "time_to_first_message"]];
  const AUDIT_COLUMNS = [
    "audit_columns.at", "operator", "audit_columns.action", "audit_columns.case", "audit_columns.detail",
  ];
  const $ = (id) => document.getElementById(id);
  const statusLine = $("status");
  const picker = $("language");

  let texts = {};
  let languageNames = {};
  let language = chooseLanguage();
  let me = null;
  let csrf = "";
  let view = null;
  let openCaseId = null;
  let shownTurns = 0;
  // Whether the person's messages to the assistant were shown: a new answer redraws the transcript.
  let shownEarlierMessages = null;
  let events = null;
  let offlineTimer = 0;
  let queueTimer = 0;
  let queueSeen = null;
  const drafts = new Map();

  // --- 1. Helpers ------------------------------------------------------------------------------
  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = String(text);
    return element;
  }

  function t(key, params) {
    let text = texts[key] ?? "";
    for (const [name, value] of Object.entries(params || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  function tOr(key, fallback) {
    return t(key) || fallback;
  }

  const namers = new Map();

  // A language's or a country's name in the UI language, from the browser's own data.
  function displayName(type, code) {
    try {
      const key = language + ":" + type;
      if (!namers.has(key)) namers.set(key, new Intl.DisplayNames([language], { type: type }));
      return namers.get(key).of(code) || code;
    } catch (error) {
      return code;
    }
  }

  function languageName(code) {
    if (!code) return "";
    const name = displayName("language", code);
    return name !== code ? name : languageNames[code] || code;
  }

  function countryName(code) {
    return code ? displayName("region", code) : t("country_unknown");
  }

  function channelName(code) {
    return tOr("channels." + code, code);
  }

  function riskName(code) {
    return tOr("risks." + code, code);
  }

  function humanize(code) {
    return String(code).replace(/_/g, " ");
  }

  function formatTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    const today = date.toDateString() === new Date().toDateString();
    const options = today ? { timeStyle: "short" } : { dateStyle: "short", timeStyle: "short" };
    return date.toLocaleString(language, options);
  }

  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const minutes = seconds >= 120;
    const unit = minutes ? "minute" : "second";
    const value = minutes ? Math.round(seconds / 60) : Math.round(seconds);
    try {
      return new Intl.NumberFormat(language, { style: "unit", unit: unit, unitDisplay: "short" }).format(value);
    } catch (error) {
      return String(value) + (minutes ? " min" : " s");
    }
  }

  // An element whose text counts up from `since` (ms); the tick keeps it current.
  function minutesSince(tag, className, key, seconds) {
    const element = node(tag, className);
    element.dataset.since = String(Date.now() - seconds * 1000);
    element.dataset.textKey = key;
    showMinutes(element);
    return element;
  }

  function showMinutes(element) {
    const minutes = Math.max(0, Math.floor((Date.now() - Number(element.dataset.since)) / 60000));
    const text = t(element.dataset.textKey, { minutes: minutes });
    if (element.textContent !== text) element.textContent = text;
  }

  // Appends the parts with a space between them, so a screen reader reads them as separate words.
  function appendSpaced(parent, parts) {
    parts.forEach((part, index) => {
      if (index > 0) parent.append(" ");
      parent.append(part);
    });
    return parent;
  }

  function badge(kind, text) {
    return node("span", "badge " + kind, text);
  }

  function riskBadge(risk) {
    const element = badge("risk risk-" + risk, t("risk") + ": " + riskName(risk));
    element.dataset.risk = risk;
    return element;
  }

  // --- 2. Texts and language -------------------------------------------------------------------
  function chooseLanguage() {
    const kept = localStorage.getItem(LANGUAGE_KEY);
    if (UI_LANGUAGES.includes(kept)) return kept;
    const browser = (navigator.language || "en").toLowerCase().split("-")[0];
    return UI_LANGUAGES.includes(browser) ? browser : "en";
  }

  async function loadTexts(lang) {
    const response = await fetch("/console/strings/" + encodeURIComponent(lang), { credentials: "same-origin" });
    if (!response.ok) throw new Error("strings " + response.status);
    const data = await response.json();
    texts = data.texts || {};
    languageNames = data.languages || {};
    language = lang;
  }

  function applyTexts() {
    document.documentElement.lang = language;
    for (const element of document.querySelectorAll("[data-text]")) {
      const text = t(element.dataset.text);
      if (text) element.textContent = text;
    }
    for (const element of document.querySelectorAll("[data-label]")) {
      const text = t(element.dataset.label);
      if (text) element.setAttribute("aria-label", text);
    }
    for (const option of $("period").options) {
      option.textContent = t("period_days", { days: option.value }) || option.value;
    }
    picker.replaceChildren();
    for (const [code, name] of Object.entries(languageNames)) {
      picker.append(new Option(name, code, false, code === language));
    }
    updateTitle();
  }

  async function switchLanguage(lang) {
    try {
      await loadTexts(lang);
    } catch (error) {
      if (lang === "en") return;
      await loadTexts("en").catch(() => undefined);
    }
    applyTexts();
  }

  // A new language redraws what is on screen; the transcript is drawn again from its start.
  picker.addEventListener("change", async () => {
    localStorage.setItem(LANGUAGE_KEY, picker.value);
    await switchLanguage(picker.value);
    if (!me) return;
    showMe();
    $("transcript").replaceChildren();
    shownTurns = 0;
    shownEarlierMessages = null;
    route();
  });

  // --- 3. The API and the status line ----------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, data) {
      super(code);
      this.status = status;
      this.code = code;
      this.data = data || {};
    }
  }

  async function api(method, path, body) {
    const options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = csrf;
      options.body = JSON.stringify(body || {});
    }
    let response;
    try {
      response = await fetch("/console/api" + path, options);
    } catch (error) {
      throw new ApiError(0, "network");
    }
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && path !== "/sign-in") {
      signedOut();
      throw new ApiError(401, "unauthorized", data);
    }
    if (!response.ok) throw new ApiError(response.status, data.error || "error", data);
    return data;
  }

  // GETs `path` and shows the answer, unless a newer request for the same path was sent meanwhile.
  const requests = new Map();

  async function loadLatest(path, show) {
    const ticket = (requests.get(path) || 0) + 1;
    requests.set(path, ticket);
    try {
      const data = await api("GET", path);
      if (me && requests.get(path) === ticket) show(data);
    } catch (error) {
      if (requests.get(path) === ticket) report(error);
    }
  }

  function say(text) {
    statusLine.textContent = text;
  }

  function errorText(error) {
    if (error.code === "taken") {
      const by = error.data.by ? " " + t("claimed_by", { name: error.data.by }) : "";
      return t("taken_by_other") + by;
    }
    if (error.code === "forbidden") return t("forbidden");
    if (error.code === "invalid" && error.data.reason) return t("directory_invalid", { reason: error.data.reason });
    return t("error");
  }

  // Shows what went wrong; a 401 has already returned to the sign-in form and says nothing more.
  function report(error) {
    if (error instanceof ApiError && error.status === 401) return;
    say(error instanceof ApiError ? errorText(error) : t("error"));
  }

  // --- 4. Session: sign-in, sign-out, the top bar ----------------------------------------------
  async function signIn(event) {
    event.preventDefault();
    unlockAudio();
    const error = $("sign-in-error");
    const username = $("username").value.trim();
    const password = $("password").value;
    if (!username || !password) {
      $(username ? "password" : "username").focus();
      return;
    }
    error.textContent = "";
    $("sign-in").disabled = true;
    try {
      const data = await api("POST", "/sign-in", { username: username, password: password });
      $("password").value = "";
      csrf = data.csrf;
      startSession(data.operator);
    } catch (failure) {
      signInFailed(failure);
    } finally {
      if (!$("sign-in").dataset.locked) $("sign-in").disabled = false;
    }
  }

  function signInFailed(failure) {
    const error = $("sign-in-error");
    if (failure.code === "locked") {
      const seconds = Number(failure.data.retry_after) || 60;
      error.textContent = t("locked", { minutes: Math.max(1, Math.ceil(seconds / 60)) });
      lockSignIn(seconds);
    } else if (failure.status === 401) {
      error.textContent = t("sign_in_failed");
      $("password").value = "";
      $("password").focus();
    } else {
      error.textContent = t("error");
    }
  }

  function lockSignIn(seconds) {
    const button = $("sign-in");
    button.dataset.locked = "true";
    button.disabled = true;
    setTimeout(() => {
      delete button.dataset.locked;
      button.disabled = false;
    }, seconds * 1000);
  }

  async function signOut() {
    try {
      await api("POST", "/sign-out", {});
    } catch (error) {
      // Signed out on this page either way; the server ends the session when it can.
    }
    signedOut();
  }

  function startSession(operator) {
    me = operator;
    if (operator.csrf) csrf = operator.csrf;
    $("sign-in-error").textContent = "";
    say("");
    showMe();
    if (mayUse("queue")) startLiveUpdates();
    route();
  }

  // Back to the sign-in form, with nothing of the last session left on the page.
  function signedOut() {
    me = null;
    csrf = "";
    queueSeen = null;
    stopLiveUpdates();
    stopAlarm(true);
    closeCase();
    drafts.clear();
    for (const id of ["queue", "live", "dashboard", "audit", "directory", "directory-gaps", "alert-cases"]) {
      $(id).replaceChildren();
    }
    closeEntry();
    $("account").hidden = true;
    $("tabs").hidden = true;
    updateTitle(0);
    showView("sign-in");
    $("username").focus();
  }

  function mayUse(name) {
    return Boolean(me) && (VIEWS_BY_ROLE[me.role] || []).includes(name);
  }

  function showMe() {
    $("me-name").textContent = me.display_name;
    $("me-role").textContent = tOr("roles." + me.role, me.role);
    $("account").hidden = false;
    $("tabs").hidden = false;
    for (const tab of TABS) $("tab-" + tab).hidden = !mayUse(tab);
    const training = me.role === "trainer";
    $("training").hidden = !training;
    for (const id of ["live-title", "live", "live-empty"]) $(id).hidden = training;
    $("queue-title").dataset.text = training ? "training_queue" : "queue";
    $("queue-title").textContent = t($("queue-title").dataset.text);
    const duty = $("duty");
    duty.hidden = !mayUse("queue");
    duty.setAttribute("aria-pressed", me.on_duty ? "true" : "false");
  }

  async function toggleDuty() {
    unlockAudio();
    const onDuty = !me.on_duty;
    if (onDuty && "Notification" in window && Notification.permission === "default") {
      const asked = Notification.requestPermission();
      if (asked && asked.catch) asked.catch(() => undefined);
    }
    try {
      const updated = await api("POST", "/duty", { on_duty: onDuty });
      me = updated;
      if (updated.csrf) csrf = updated.csrf;
      showMe();
    } catch (error) {
      report(error);
    }
  }

  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("duty").addEventListener("click", toggleDuty);

  // --- 5. Views and the route ------------------------------------------------------------------
  function showView(name) {
    view = name;
    for (const other of VIEWS) $(other + "-view").hidden = other !== name;
    for (const tab of TABS) {
      if (tab === name || (tab === "queue" && name === "case")) $("tab-" + tab).setAttribute("aria-current", "page");
      else $("tab-" + tab).removeAttribute("aria-current");
    }
  }

  function route() {
    if (!me) return;
    const [name, id] = location.hash.slice(1).split("/");
    if (name === "case" && id && mayUse("case")) {
      openCaseView(decodeHash(id));
      return;
    }
    const allowed = VIEWS_BY_ROLE[me.role] || [];
    const target = allowed.includes(name) && name !== "case" ? name : allowed.find((each) => each !== "case");
    closeCase();
    if (!target) return;
    const changed = view !== target;
    showView(target);
    if (target === "queue") loadQueue();
    if (target === "dashboard") loadDashboard();
    if (target === "audit") loadAudit();
    if (target === "directory") loadDirectory();
    if (changed) $(target + "-title").focus();
  }

  function decodeHash(part) {
    try {
      return decodeURIComponent(part);
    } catch (error) {
      return part;
    }
  }

  window.addEventListener("hashchange", () => {
    say("");
    route();
  });

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  // --- 6. Live updates -------------------------------------------------------------------------
  function startLiveUpdates() {
    stopLiveUpdates();
    openEvents();
    queueTimer = setInterval(refreshQueue, QUEUE_RELOAD_MS);
  }

  function stopLiveUpdates() {
    if (events) events.close();
    events = null;
    clearInterval(queueTimer);
    clearTimeout(offlineTimer);
    offlineTimer = 0;
  }

  function openEvents() {
    const source = new EventSource("/console/api/events");
    events = source;
    source.addEventListener("open", () => {
      clearTimeout(offlineTimer);
      offlineTimer = 0;
      if (statusLine.textContent === t("offline")) say("");
    });
    source.addEventListener("error", () => eventsFailed(source));
    source.addEventListener("alert", (event) => onAlert(parse(event.data)));
    source.addEventListener("queue", () => refreshQueue());
    source.addEventListener("case", (event) => {
      const data = parse(event.data);
      if (openCaseId !== null && String(data.case) === openCaseId) reloadCase();
    });
  }

  // The browser reconnects by itself unless the server refused the stream (then it is CLOSED):
  // ask who we are (a 401 shows the sign-in form) and open it again.
  function eventsFailed(source) {
    if (source !== events) return;
    if (!offlineTimer) offlineTimer = setTimeout(() => say(t("offline")), OFFLINE_AFTER_MS);
    if (source.readyState !== EventSource.CLOSED) return;
    events = null;
    setTimeout(async () => {
      if (!me) return;
      try {
        await api("GET", "/me");
        if (me && !events) openEvents();
      } catch (error) {
        if (error.status !== 401 && me && !events) openEvents();
      }
    }, 3000);
  }

  function parse(data) {
    try {
      return JSON.parse(data) || {};
    } catch (error) {
      return {};
    }
  }

  function refreshQueue() {
    if (mayUse("queue")) loadQueue();
  }

  setInterval(() => {
    for (const element of document.querySelectorAll("[data-since]")) showMinutes(element);
  }, TICK_MS);

  // --- 7. The alarm for urgent cases -----------------------------------------------------------
  let audio = null;
  let beepTimer = 0;
  const alarms = new Map();
  const acknowledged = new Set();

  // Browsers let a page make sound only after a user gesture: called from clicks and key presses.
  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      if (!audio) audio = new Context();
      if (audio.state === "suspended") audio.resume().catch(() => undefined);
    } catch (error) {
      audio = null;
    }
  }

  document.addEventListener("click", unlockAudio, { capture: true });
  document.addEventListener("keydown", unlockAudio, { capture: true });

  function tone(at, frequency) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.3);
  }

  function beep() {
    if (!audio || audio.state !== "running") return;
    const now = audio.currentTime;
    tone(now, 660);
    tone(now + 0.3, 880);
  }

  function onAlert(data) {
    refreshQueue();
    if (!data.urgent || data.case === undefined) return;
    raiseAlarm(String(data.case), data);
  }

  function raiseAlarm(caseId, data) {
    if (acknowledged.has(caseId) || alarms.has(caseId) || caseId === openCaseId) return;
    alarms.set(caseId, { language: languageName(data.language), country: countryName(data.country), seen: false });
    showAlarm();
    notify(caseId, alarms.get(caseId));
    if (!beepTimer) {
      beep();
      beepTimer = setInterval(beep, BEEP_EVERY_MS);
      $("alert").dataset.beeping = "true";
    }
  }

  function showAlarm() {
    const list = $("alert-cases");
    list.replaceChildren();
    for (const [caseId, alarm] of alarms) {
      const item = node("li");
      const link = node("a", null, t("alert_body", alarm));
      link.href = "#case/" + encodeURIComponent(caseId);
      link.dataset.alertCase = caseId;
      item.append(link);
      list.append(item);
    }
    $("alert").hidden = alarms.size === 0;
  }

  function notify(caseId, where) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const notice = new Notification(t("alert_title"), { body: t("alert_body", where), tag: "saphan-" + caseId });
      notice.addEventListener("click", () => {
        window.focus();
        go("#case/" + encodeURIComponent(caseId));
        notice.close();
      });
    } catch (error) {
      // Some browsers allow notifications only from a service worker; the banner and tone remain.
    }
  }

  // Ends the alarm for one case, or (caseId null) for all of them.
  function endAlarm(caseId) {
    for (const id of caseId === null ? [...alarms.keys()] : [caseId]) {
      if (alarms.delete(id)) acknowledged.add(id);
    }
    showAlarm();
    if (alarms.size === 0) stopAlarm(false);
  }

  function stopAlarm(forget) {
    clearInterval(beepTimer);
    beepTimer = 0;
    delete $("alert").dataset.beeping;
    if (!forget) return;
    alarms.clear();
    acknowledged.clear();
    showAlarm();
  }

  $("alert-ack").addEventListener("click", () => endAlarm(null));

  // --- 8. Queue and live conversations ---------------------------------------------------------
  async function loadQueue() {
    const loads = [loadLatest("/queue", (data) => showQueue(data.cases || []))];
    if (me.role !== "trainer") loads.push(loadLatest("/live", (data) => showLive(data.conversations || [])));
    await Promise.all(loads);
  }

  // A trainer opens training chats (a link valid for an hour) and ends them all at once.
  async function newTrainingChat() {
    try {
      const chat = await api("POST", "/training/chats", {});
      const link = $("training-link");
      link.href = chat.url;
      link.hidden = false;
      link.focus();
    } catch (error) {
      report(error);
    }
  }

  async function endTraining() {
    try {
      const ended = await api("POST", "/training/end", {});
      $("training-link").hidden = true;
      say(t("training_ended", { count: String(ended.deleted) }));
      refreshQueue();
    } catch (error) {
      report(error);
    }
  }

  $("training-new").addEventListener("click", newTrainingChat);
  $("training-end").addEventListener("click", endTraining);

  function showQueue(cases) {
    const list = $("queue");
    const focused = list.contains(document.activeElement) ? document.activeElement.dataset.case : null;
    list.replaceChildren(...cases.map(queueRow));
    $("queue-empty").hidden = cases.length > 0;
    if (focused) {
      const again = list.querySelector('[data-case="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
    settleAlarms(cases);
    updateTitle(cases.filter((each) => each.state === "queued").length);
  }

  // A case someone claimed (or one that left the queue after it was seen there) needs no alarm.
  // An urgent case first seen in a reload (an alert missed while the stream reconnected) raises one.
  function settleAlarms(cases) {
    const byId = new Map(cases.map((each) => [String(each.id), each]));
    for (const [caseId, alarm] of alarms) {
      const each = byId.get(caseId);
      if (each ? each.state !== "queued" : alarm.seen) endAlarm(caseId);
      else if (each) alarm.seen = true;
    }
    if (queueSeen !== null) {
      for (const [caseId, each] of byId) {
        if (each.urgent && each.state === "queued" && !queueSeen.has(caseId)) raiseAlarm(caseId, each);
      }
    }
    queueSeen = new Set(byId.keys());
  }

  function updateTitle(waiting) {
    const count = waiting === undefined ? Number($("queue-count").dataset.count || 0) : waiting;
    $("queue-count").dataset.count = String(count);
    $("queue-count").textContent = count ? String(count) : "";
    document.title = (count ? "(" + count + ") " : "") + (t("title") || "Saphan");
  }

  function queueRow(each) {
    const id = String(each.id);
    const item = node("li");
    const row = node("a", "case" + (each.urgent ? " urgent" : "") + (each.mine ? " mine" : ""));
    row.href = "#case/" + encodeURIComponent(id);
    row.dataset.case = id;
    row.dataset.state = each.state;
    const flags = [];
    if (each.urgent) flags.push(badge("urgent", t("urgent")));
    if (each.child) flags.push(badge("child", t("child")));
    flags.push(riskBadge(each.risk));
    appendSpaced(row, [
      appendSpaced(node("span", "badges"), flags),
      node("span", "language", languageName(each.language)),
      node("span", "channel", channelName(each.channel)),
      node("span", "country", countryName(each.country)),
      minutesSince("span", "waiting", "waiting", each.waiting_seconds || 0),
      node("span", "state", stateText(each)),
    ]);
    item.append(row);
    return item;
  }

  function stateText(each) {
    if (each.operator) return t("claimed_by", { name: each.operator.display_name });
    return tOr("states." + each.state, each.state);
  }

  function showLive(conversations) {
    $("live").replaceChildren(...conversations.map(liveRow));
    $("live-empty").hidden = conversations.length > 0;
  }

  function liveRow(conversation) {
    const item = node("li", "live-row");
    item.dataset.ref = conversation.ref;
    const take = node("button", "take", t("take_over"));
    take.type = "button";
    take.addEventListener("click", () => takeOver(conversation.ref, take));
    appendSpaced(item, [
      node("span", "language", languageName(conversation.language)),
      node("span", "channel", channelName(conversation.channel)),
      minutesSince("span", "waiting", "idle", conversation.idle_seconds || 0),
      take,
    ]);
    return item;
  }

  async function takeOver(ref, button) {
    button.disabled = true;
    try {
      const taken = await api("POST", "/live/" + encodeURIComponent(ref) + "/take", {});
      go("#case/" + encodeURIComponent(String(taken.id)));
    } catch (error) {
      button.disabled = false;
      report(error);
      refreshQueue();
    }
  }

  // --- 9. The case view ------------------------------------------------------------------------
  async function openCaseView(id) {
    if (openCaseId !== id) {
      closeCase();
      openCaseId = id;
      $("reply").value = drafts.get(id) || "";
    }
    endAlarm(id);
    if (view !== "case") {
      showView("case");
      $("case-title").focus();
    }
    await reloadCase();
  }

  // Empties the case view, so nothing of a case stays on the page once it is left.
  function closeCase() {
    openCaseId = null;
    shownTurns = 0;
    shownEarlierMessages = null;
    for (const id of CASE_PARTS) $(id).replaceChildren();
    $("case-title").textContent = "";
    $("reply").value = "";
    setWritable(false);
    for (const id of ["claim", "transfer-box", "hand-back", "close-box"]) $(id).hidden = true;
  }

  async function reloadCase() {
    const id = openCaseId;
    if (id === null) return;
    await loadLatest("/cases/" + encodeURIComponent(id), (data) => {
      if (openCaseId === id) showCase(data);
    });
  }

  function showCase(data) {
    showCaseHeader(data);
    showCaseActions(data);
    const shared = data.shared || {};
    showTranscript(data.transcript || [], Boolean(shared.transcript));
    showInserts(data.inserts || []);
    showTriage(data.triage, Boolean(shared.summary));
    showConsents(data.consents || []);
    showLocation(data.location);
    setWritable(isMineActive(data));
  }

  function isMineActive(data) {
    return Boolean(data.mine) && data.state === "active";
  }

  function showCaseHeader(data) {
    $("case-title").textContent = [languageName(data.language), channelName(data.channel), countryName(data.country)]
      .join(" · ");
    const facts = [];
    if (data.training) facts.push(badge("training", t("training_case")));
    if (data.urgent) facts.push(badge("urgent", t("urgent")));
    if (data.child) facts.push(badge("child", t("child")));
    facts.push(riskBadge(data.risk));
    facts.push(node("span", null, t("language") + ": " + languageName(data.language)));
    facts.push(node("span", null, t("channel") + ": " + channelName(data.channel)));
    facts.push(node("span", null, t("country") + ": " + countryName(data.country)));
    if (data.reason) facts.push(node("span", null, tOr("reasons." + data.reason, data.reason)));
    facts.push(minutesSince("span", "waiting", "waiting", data.waiting_seconds || 0));
    const state = node("span", "state", stateText(data));
    state.id = "case-state";
    state.dataset.state = data.state;
    facts.push(state);
    $("case-facts").replaceChildren(...facts.map((fact) => {
      const item = node("li");
      item.append(fact);
      return item;
    }));
  }

  function showCaseActions(data) {
    const mineActive = isMineActive(data);
    const manage = mineActive || (me.role === "supervisor" && data.state === "active");
    $("claim").hidden = data.state !== "queued";
    $("hand-back").hidden = !manage;
    $("close-box").hidden = !manage;
    const others = (data.operators || []).filter((operator) => operator.id !== me.id);
    $("transfer-box").hidden = !manage || others.length === 0;
    fillSelect($("transfer-to"), others.map((operator) => [String(operator.id), operator.display_name]));
    const outcomes = (data.outcomes || []).map((code) => [code, tOr("outcomes." + code, humanize(code))]);
    fillSelect($("outcome"), [["", "—"]].concat(outcomes));
    $("close").disabled = !$("outcome").value;
  }

  // Refills a select, keeping the choice the operator made if it is still there.
  function fillSelect(select, choices) {
    const chosen = select.value;
    select.replaceChildren(...choices.map(([value, label]) => new Option(label, value)));
    if (choices.some(([value]) => value === chosen)) select.value = chosen;
  }

  // The transcript only grows, so a reload appends what is new; a screen reader hears only that.
  // It is drawn again when the person's answer about their earlier messages changed.
  function showTranscript(turns, earlierShared) {
    const list = $("transcript");
    if (turns.length < shownTurns || earlierShared !== shownEarlierMessages) {
      list.replaceChildren();
      if (!earlierShared) list.append(node("li", "note", t("transcript_not_shared")));
      shownTurns = 0;
      shownEarlierMessages = earlierShared;
    }
    const atEnd = shownTurns === 0 || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    for (const turn of turns.slice(shownTurns)) list.append(transcriptItem(turn));
    shownTurns = turns.length;
    if (atEnd) list.scrollTop = list.scrollHeight;
  }

  function transcriptItem(turn) {
    const item = node("li", "turn " + turn.author);
    const who = turn.author === "operator" && turn.operator ? turn.operator : t(turn.author);
    const time = node("time", null, formatTime(turn.at));
    time.dateTime = turn.at || "";
    const meta = appendSpaced(node("span", "meta"), [node("span", "who", who), time]);
    item.append(meta, " ", node("span", "text", turn.text));
    return item;
  }

  function showInserts(inserts) {
    $("inserts").replaceChildren(...inserts.map((insert) => {
      const button = node("button", "insert", insert.label);
      button.type = "button";
      button.title = insert.text;
      button.addEventListener("click", () => putInReply(insert.text));
      return button;
    }));
  }

  function putInReply(text) {
    const reply = $("reply");
    if (reply.disabled) return;
    const start = reply.selectionStart ?? reply.value.length;
    const end = reply.selectionEnd ?? reply.value.length;
    const before = reply.value.slice(0, start);
    const spacer = before && !/\s$/.test(before) ? " " : "";
    reply.value = before + spacer + text + reply.value.slice(end);
    const caret = (before + spacer + text).length;
    reply.setSelectionRange(caret, caret);
    reply.focus();
    rememberDraft();
  }

  function setWritable(writable) {
    $("reply").disabled = !writable;
    $("send").disabled = !writable;
    for (const button of $("inserts").querySelectorAll("button")) button.disabled = !writable;
  }

  function showTriage(triage, summaryShared) {
    const panel = $("triage");
    panel.replaceChildren();
    if (!summaryShared) panel.append(node("p", "empty", t("summary_not_shared")));
    if (!triage) return;
    const flags = [riskBadge(triage.risk)];
    if (triage.urgent) flags.push(badge("urgent", t("urgent")));
    if (triage.child) flags.push(badge("child", t("child")));
    panel.append(appendSpaced(node("p", "triage-summary"), flags));
    const indicators = node("ul", "indicators");
    for (const indicator of triage.indicators || []) indicators.append(indicatorItem(indicator));
    panel.append(indicators);
    if (triage.catalogue_version) {
      panel.append(node("p", "catalogue", t("catalogue_version", { version: triage.catalogue_version })));
    }
  }

  function indicatorItem(indicator) {
    const item = node("li", "indicator");
    item.dataset.indicator = indicator.id;
    const head = [node("span", "family", humanize(indicator.family))];
    if (indicator.strength) head.push(node("span", "strength", humanize(indicator.strength)));
    item.append(appendSpaced(node("span", "indicator-head"), head));
    const evidence = indicator.evidence || {};
    if (evidence.text) item.append(node("q", "evidence", evidence.text));
    return item;
  }

  function showConsents(consents) {
    const list = $("consents");
    if (consents.length === 0) {
      list.replaceChildren(node("li", "empty", t("no_consents")));
      return;
    }
    list.replaceChildren(...consents.map((consent) => {
      const item = node("li", consent.granted ? "granted" : "refused");
      const answer = consent.granted ? t("consent_given") : t("consent_refused");
      item.append(node("span", "kind", humanize(consent.kind) + ": " + answer));
      const time = node("time", null, formatTime(consent.at));
      time.dateTime = consent.at || "";
      item.append(" ", time);
      return item;
    }));
  }

  function showLocation(place) {
    const panel = $("location");
    if (!place) {
      panel.replaceChildren(node("p", "empty", t("location_none")));
      return;
    }
    const coordinates = Number(place.latitude).toFixed(5) + ", " + Number(place.longitude).toFixed(5);
    const parts = [node("p", "coordinates", coordinates)];
    if (place.accuracy !== null && place.accuracy !== undefined) {
      parts.push(node("p", null, t("location_accuracy", { metres: Math.round(place.accuracy) })));
    }
    const time = node("time", null, formatTime(place.at));
    time.dateTime = place.at || "";
    const when = node("p");
    when.append(time);
    parts.push(when);
    if (/^https?:\/\//i.test(place.map_url || "")) {
      const link = node("a", "map", t("map_link"));
      link.href = place.map_url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parts.push(link);
    }
    panel.replaceChildren(...parts);
  }

  function rememberDraft() {
    if (openCaseId !== null) drafts.set(openCaseId, $("reply").value);
  }

  // Runs one case action (a POST), then reloads the case or goes back to the queue.
  async function caseAction(button, path, body, after) {
    const id = openCaseId;
    if (id === null) return;
    button.disabled = true;
    say("");
    try {
      await api("POST", "/cases/" + encodeURIComponent(id) + path, body);
      if (after === "queue") go("#queue");
      else if (openCaseId === id) await reloadCase();
      refreshQueue();
    } catch (error) {
      report(error);
      if (openCaseId === id) await reloadCase();
    } finally {
      button.disabled = false;
      if (button.id === "close") button.disabled = !$("outcome").value;
    }
  }

  async function sendReply(event) {
    event.preventDefault();
    const reply = $("reply");
    const text = reply.value.trim();
    if (!text || reply.disabled) return;
    const id = openCaseId;
    $("send").disabled = true;
    say("");
    try {
      await api("POST", "/cases/" + encodeURIComponent(id) + "/messages", { text: text });
      if (openCaseId === id) {
        reply.value = "";
        drafts.delete(id);
        await reloadCase();
        reply.focus();
      }
    } catch (error) {
      report(error);
      if (openCaseId === id) await reloadCase();
    } finally {
      $("send").disabled = reply.disabled;
    }
  }

  $("write").addEventListener("submit", sendReply);
  $("reply").addEventListener("input", rememberDraft);
  $("reply").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("write").requestSubmit();
    }
  });
  $("claim").addEventListener("click", () => caseAction($("claim"), "/claim", {}, "case"));
  $("transfer").addEventListener("click", () => {
    const target = Number($("transfer-to").value);
    if (target) caseAction($("transfer"), "/transfer", { operator_id: target }, "queue");
  });
  $("hand-back").addEventListener("click", () => caseAction($("hand-back"), "/hand-back", {}, "queue"));
  $("outcome").addEventListener("change", () => {
    $("close").disabled = !$("outcome").value;
  });
  $("close").addEventListener("click", () => {
    const outcome = $("outcome").value;
    if (outcome) caseAction($("close"), "/close", { outcome: outcome }, "queue");
  });

  // --- 10. Dashboard and audit log -------------------------------------------------------------
  async function loadDashboard() {
    const days = $("period").value;
    await loadLatest("/dashboard?days=" + encodeURIComponent(days), (data) => {
      if (view === "dashboard" && $("period").value === days) showDashboard(data);
    });
  }

  function showDashboard(data) {
    const parts = [node("p", "total", String(data.total ?? 0) + " " + t("cases"))];
    const charts = [
      ["by_risk", riskName],
      ["by_family", humanize],
      ["by_language", languageName],
      ["by_country", (code) => (code && code !== "null" ? countryName(code) : t("country_unknown"))],
      ["by_channel", channelName],
    ];
    for (const [key, label] of charts) parts.push(barChart(key, data[key] || {}, label));
    parts.push(timesTable(data.times || {}));
    $("dashboard").replaceChildren(...parts);
  }

  function barChart(key, counts, label) {
    const section = node("section", "chart");
    section.dataset.chart = key;
    section.append(node("h3", null, t(key)));
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    const largest = Math.max(1, ...entries.map(([, count]) => count));
    const list = node("ul", "bars");
    for (const [code, count] of entries) {
      const item = node("li", "bar-row");
      const track = node("span", "track");
      const fill = node("span", "fill");
      fill.style.width = Math.round((count / largest) * 100) + "%";
      track.append(fill);
      item.append(node("span", "bar-label", label(code)), track, node("span", "bar-count", count));
      list.append(item);
    }
    section.append(list);
    return section;
  }

  function timesTable(times) {
    const table = node("table", "times");
    const head = node("tr");
    head.append(node("th"), node("th", null, t("cases")), node("th", null, t("median")), node("th", null, t("p90")));
    const body = node("tbody");
    for (const [key, label] of TIMES) {
      const figures = times[key] || {};
      const row = node("tr");
      const name = node("th", null, t(label));
      name.scope = "row";
      row.append(name, node("td", null, figures.count ?? 0), node("td", null, formatDuration(figures.median_seconds)),
                 node("td", null, formatDuration(figures.p90_seconds)));
      body.append(row);
    }
    const thead = node("thead");
    thead.append(head);
    table.append(thead, body);
    return table;
  }

  $("period").addEventListener("change", loadDashboard);

  async function loadAudit() {
    await loadLatest("/audit?limit=200", (data) => {
      if (view === "audit") showAudit(data.entries || []);
    });
  }

  function showAudit(entries) {
    const head = node("tr");
    for (const key of AUDIT_COLUMNS) {
      const cell = node("th", null, t(key));
      cell.scope = "col";
      head.append(cell);
    }
    const thead = node("thead");
    thead.append(head);
    const body = node("tbody");
    for (const entry of entries) {
      const row = node("tr");
      const time = node("time", null, formatTime(entry.at));
      time.dateTime = entry.at || "";
      const when = node("td");
      when.append(time);
      row.append(when, node("td", null, entry.operator ?? ""), node("td", null, entry.action ?? ""),
                 node("td", null, entry.case ?? ""), node("td", null, detailText(entry.detail)));
      body.append(row);
    }
    $("audit").replaceChildren(thead, body);
  }

  function detailText(detail) {
    if (detail === null || detail === undefined) return "";
    return typeof detail === "object" ? JSON.stringify(detail) : String(detail);
  }

  // --- 11. The hotline directory ---------------------------------------------------------------
  let directory = null;
  let editing = null;

  async function loadDirectory() {
    await loadLatest("/directory", (data) => {
      directory = data;
      if (view === "directory") showDirectory(data);
    });
  }

  function showDirectory(data) {
    const gaps = [];
    for (const [country, groups] of Object.entries(data.gaps || {})) {
      if (!groups.length) continue;
      const names = groups.map((group) => tOr("groups." + group, humanize(group))).join(", ");
      gaps.push(node("li", null, countryName(country) + ": " + t("directory_gaps") + " " + names));
    }
    $("directory-gaps").replaceChildren(...gaps);
    const head = node("tr");
    for (const key of ["country", "number", "name", "agency", "verified", ""]) {
      const cell = node("th", null, key ? t("directory_fields." + key) : "");
      cell.scope = "col";
      head.append(cell);
    }
    const thead = node("thead");
    thead.append(head);
    const body = node("tbody");
    for (const line of data.hotlines || []) body.append(directoryRow(line, data.max_age_days));
    $("directory").replaceChildren(thead, body);
  }

  function directoryRow(line, maxAge) {
    const row = node("tr");
    row.dataset.id = line.id;
    const number = node("td");
    number.append(line.number ? node("span", null, line.number) : badge("missing", t("directory_no_number")));
    const verified = node("td", null, line.verified);
    if (line.stale) verified.append(" ", badge("stale", t("directory_stale", { days: maxAge })));
    const edit = node("button", null, t("directory_edit"));
    edit.type = "button";
    edit.addEventListener("click", () => openEntry(line));
    const actions = node("td");
    actions.append(edit);
    row.append(node("td", null, countryName(line.country)), number, node("td", null, line.name),
               node("td", null, line.agency), verified, actions);
    return row;
  }

  function openEntry(line) {
    editing = line;
    const fields = [];
    for (const [name, type] of DIRECTORY_FIELDS) {
      const label = node("label", null, t("directory_fields." + name));
      const input = directoryInput(name, type, line ? line[name] : undefined);
      input.id = "entry-" + name;
      input.name = name;
      label.htmlFor = input.id;
      fields.push(label, input);
    }
    $("directory-fields").replaceChildren(...fields);
    $("entry-id").readOnly = Boolean(line);
    $("directory-delete").hidden = !line;
    $("directory-form").hidden = false;
    $("entry-" + (line ? "number" : "id")).focus();
  }

  function directoryInput(name, type, value) {
    if (type === "select") {
      const input = node("select");
      const allowed = name === "country" ? directory.allowed.countries : directory.allowed.hours;
      for (const choice of allowed) {
        const option = node("option", null, name === "country" ? countryName(choice) : choice);
        option.value = choice;
        input.append(option);
      }
      input.value = value || allowed[0];
      return input;
    }
    const input = node("input");
    input.type = type === "list" ? "text" : type;
    if (type === "checkbox") input.checked = Boolean(value);
    else input.value = type === "list" ? (value || []).join(", ") : value ?? "";
    return input;
  }

  function entryFromForm() {
    const entry = {};
    for (const [name, type] of DIRECTORY_FIELDS) {
      const input = $("entry-" + name);
      if (type === "checkbox") entry[name] = input.checked;
      else if (type === "list") entry[name] = input.value.split(",").map((item) => item.trim()).filter(Boolean);
      else if (input.value.trim() || name === "number") entry[name] = input.value.trim() || null;
    }
    return entry;
  }

  async function saveEntry(event) {
    event.preventDefault();
    const entry = entryFromForm();
    try {
      await api("PUT", "/directory/" + encodeURIComponent(entry.id || "-"), entry);
      closeEntry();
      say(t("directory_saved"));
      await loadDirectory();
    } catch (error) {
      report(error);
    }
  }

  async function deleteEntry() {
    if (!editing) return;
    try {
      await api("DELETE", "/directory/" + encodeURIComponent(editing.id));
      closeEntry();
      await loadDirectory();
    } catch (error) {
      report(error);
    }
  }

  function closeEntry() {
    editing = null;
    $("directory-form").hidden = true;
    $("directory-fields").replaceChildren();
  }

  $("directory-new").addEventListener("click", () => openEntry(null));
  $("directory-form").addEventListener("submit", saveEntry);
  $("directory-cancel").addEventListener("click", closeEntry);
  $("directory-delete").addEventListener("click", deleteEntry);

  // --- Start -----------------------------------------------------------------------------------
  async function start() {
    await switchLanguage(language);
    try {
      const data = await api("GET", "/me");
      startSession(data);
    } catch (error) {
      if (error.status !== 401) {
        signedOut();
        $("sign-in-error").textContent = t("error");
      }
    }
  }

  start();
})();
