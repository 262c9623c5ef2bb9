// Saphan web chat. Talks to /chat/ws (protocol in channels/webchat.py).
//
// What stays in the browser: only the session token, in sessionStorage (gone when the tab
// closes). If the person ticks "keep this chat on this device", the token and what the log shows
// go to localStorage instead, so the chat is there when they come back; unticking removes them.
// Quick exit (the first button, or Escape twice) clears the page and all of it, and replaces
// this page in the history with an empty one, so Back does not return to the chat.
//
// Messages carry ids. One stays pending until the server acknowledges it and is sent again
// after a reconnect (with back-off); bot messages carry ids too, and one already shown is not
// shown again. The location is asked of the browser only when the person presses the quick
// reply that requests it, which the bot offers after its consent question.
//
// A trainer's training chat opens as /chat?training=<ticket>: the ticket goes with every hello,
// the session is kept apart from a real one, and the page is marked as training.
(function () {
  "use strict";
  const TRAINING = new URLSearchParams(location.search).get("training");
  const SESSION = TRAINING ? "saphan.training_session" : "saphan.session";
  const CHAT = "saphan.chat";
  const KEPT_ENTRIES = 200;
  const PING_EVERY_MS = 20000;
  const SILENCE_LIMIT_MS = 45000;
  const EXIT_KEYS_WITHIN_MS = 1500;
  const main = document.querySelector("main");
  const log = document.getElementById("log");
  const replies = document.getElementById("replies");
  const status = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const picker = document.getElementById("language");
  const keep = document.getElementById("keep");
  const pending = new Map();
  const shownBots = new Set();
  let texts = Object.assign({}, document.body.dataset);
  let language = document.documentElement.lang;
  let session = null;
  let entries = [];
  let offered = [];
  let socket = null;
  let ready = false;
  let retry = 0;
  let heard = 0;
  let timer = 0;
  let leaving = false;
  let lastEscape = 0;

  function newId() {
    const bytes = new Uint8Array(9);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- What the browser keeps -------------------------------------------------------------
  function forgetKept() {
    for (const key of Object.keys(localStorage)) if (key.startsWith("saphan.")) localStorage.removeItem(key);
  }

  function keepSession(token) {
    session = token;
    (keep.checked ? localStorage : sessionStorage).setItem(SESSION, token);
  }

  function keepChat() {
    if (keep.checked) localStorage.setItem(CHAT, JSON.stringify({ entries: entries.slice(-KEPT_ENTRIES), offered }));
  }

  function restore() {
    const kept = localStorage.getItem(SESSION);
    keep.checked = kept !== null;
    session = kept || sessionStorage.getItem(SESSION);
    if (!keep.checked) return;
    const saved = JSON.parse(localStorage.getItem(CHAT) || "{}");
    for (const entry of saved.entries || []) show(entry.kind, entry.text, entry.id);
    showReplies(saved.offered);
  }

  keep.addEventListener("change", () => {
    if (keep.checked) {
      sessionStorage.removeItem(SESSION);
      if (session) localStorage.setItem(SESSION, session);
      keepChat();
    } else {
      forgetKept();
      if (session) sessionStorage.setItem(SESSION, session);
    }
  });

  // --- The log and the quick replies ------------------------------------------------------
  function show(kind, text, id) {
    const item = document.createElement("li");
    item.className = kind;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = { you: texts.you, team: texts.team_name }[kind] || texts.bot_name;
    item.append(who, document.createTextNode(text));
    log.append(item);
    main.scrollTop = main.scrollHeight;
    if (id) shownBots.add(id);
    entries.push({ kind: kind, text: text, id: id });
    keepChat();
    return item;
  }

  function showReplies(items) {
    offered = items || [];
    replies.replaceChildren();
    for (const item of offered) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = item.label;
      button.addEventListener("click", () => {
        if (item.requests_location) shareLocation(item, button);
        else say(item.label, { type: "postback", payload: item.payload });
      });
      replies.append(button);
    }
    main.scrollTop = main.scrollHeight;
    keepChat();
  }

  // Asked only now, after the person chose to send their location; never on page load.
  function shareLocation(item, button) {
    if (!navigator.geolocation) {
      show("error", texts.location_unavailable);
      return;
    }
    for (const other of replies.querySelectorAll("button")) other.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => say(item.label, { type: "location", latitude: position.coords.latitude,
                                      longitude: position.coords.longitude }),
      (error) => {
        show("error", error.code === error.PERMISSION_DENIED ? texts.location_denied : texts.location_unavailable);
        for (const other of replies.querySelectorAll("button")) other.disabled = false;
        button.focus();
      },
      { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 },
    );
  }

  // --- Sending, acknowledgements and reconnecting -----------------------------------------
  function say(shown, frame) {
    frame.id = newId();
    const item = show("you", shown);
    item.classList.add("pending");
    pending.set(frame.id, { frame: frame, item: item });
    showReplies([]);
    if (ready) socket.send(JSON.stringify(frame));
  }

  function settle(id) {
    const waiting = pending.get(id);
    if (!waiting) return;
    waiting.item.classList.remove("pending");
    pending.delete(id);
  }

  function receive(frame) {
    heard = Date.now();
    if (frame.type === "welcome") {
      keepSession(frame.session);
      document.getElementById("training").hidden = !frame.training;
      document.body.classList.toggle("training", Boolean(frame.training));
      ready = true;
      retry = 0;
      status.textContent = "";
      setLanguage(frame.language);
      for (const waiting of pending.values()) socket.send(JSON.stringify(waiting.frame));
    } else if (frame.type === "ack") {
      settle(frame.id);
    } else if (frame.type === "bot" && !shownBots.has(frame.id)) {
      setLanguage(frame.language);
      show(frame.from === "team" ? "team" : "bot", frame.text, frame.id);
      showReplies(frame.quick_replies);
    } else if (frame.type === "error") {
      if (frame.id) settle(frame.id);
      show("error", frame.message);
    }
  }

  function connect() {
    if (leaving) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/chat/ws");
    socket = ws;
    ready = false;
    heard = Date.now();
    ws.addEventListener("open", () => {
      if (ws !== socket) return;
      const hello = { type: "hello", session: session, language: language };
      if (TRAINING) hello.training = TRAINING;
      ws.send(JSON.stringify(hello));
    });
    ws.addEventListener("message", (event) => {
      if (ws === socket) receive(JSON.parse(event.data));
    });
    ws.addEventListener("close", () => {
      if (ws === socket) reconnectLater();
    });
  }

  function reconnectLater() {
    socket = null;
    ready = false;
    if (leaving) return;
    status.textContent = texts.offline;
    retry = Math.min(retry + 1, 6);
    clearTimeout(timer);
    timer = setTimeout(connect, Math.min(10000, 250 * 2 ** retry) * (0.75 + Math.random() / 2));
  }

  // A connection that went silent (a dropped mobile network) is given up and opened again.
  setInterval(() => {
    if (!ready) return;
    if (Date.now() - heard > SILENCE_LIMIT_MS) {
      const silent = socket;
      reconnectLater();
      silent.close();
    } else {
      socket.send(JSON.stringify({ type: "ping" }));
    }
  }, PING_EVERY_MS);

  window.addEventListener("online", () => {
    if (socket === null && !leaving) {
      clearTimeout(timer);
      connect();
    }
  });

  // --- Quick exit ---------------------------------------------------------------------------
  function quickExit() {
    leaving = true;
    clearTimeout(timer);
    if (socket) socket.close();
    log.replaceChildren();
    replies.replaceChildren();
    input.value = "";
    pending.clear();
    entries = [];
    sessionStorage.clear();
    forgetKept();
    document.title = "";
    location.replace("about:blank");
  }

  document.getElementById("exit").addEventListener("click", quickExit);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const now = Date.now();
    if (now - lastEscape < EXIT_KEYS_WITHIN_MS) quickExit();
    else lastEscape = now;
  });

  // --- Texts and language -------------------------------------------------------------------
  async function loadTexts(lang) {
    const response = await fetch("/chat/strings/" + encodeURIComponent(lang));
    if (!response.ok) return;
    const data = await response.json();
    texts = data.texts;
    document.documentElement.lang = lang;
    document.title = texts.title;
    for (const element of document.querySelectorAll("[data-text]")) element.textContent = texts[element.dataset.text];
    for (const element of document.querySelectorAll("[data-placeholder]")) element.placeholder = texts[element.dataset.placeholder];
    for (const element of document.querySelectorAll("[data-label]")) element.setAttribute("aria-label", texts[element.dataset.label]);
    picker.replaceChildren();
    for (const [code, name] of Object.entries(data.languages)) picker.append(new Option(name, code, false, code === lang));
  }

  function setLanguage(lang) {
    if (lang && lang !== language) {
      language = lang;
      loadTexts(lang);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    say(text, { type: "message", text: text });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  picker.addEventListener("change", () => {
    say(picker.options[picker.selectedIndex].text,
        { type: "postback", payload: '/choose_language{"language":"' + picker.value + '"}' });
  });

  restore();
  loadTexts(language);
  connect();
})();
