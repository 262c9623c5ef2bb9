// Saphan web chat. Talks to /chat/ws (protocol in channels/webchat.py). Keeps only the session
// token, in sessionStorage, which the browser clears when the tab closes. Messages carry ids;
// a message is sent again after a reconnect until the server acknowledges it.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const replies = document.getElementById("replies");
  const status = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const picker = document.getElementById("language");
  const pending = new Map();
  let socket = null;
  let retry = 0;
  let language = document.documentElement.lang;
  let texts = { bot_name: log.dataset.bot, you: log.dataset.you, offline: log.dataset.offline,
                connecting: log.dataset.connecting };

  function newId() {
    const bytes = new Uint8Array(9);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function show(kind, text) {
    const item = document.createElement("li");
    item.className = kind;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = kind === "you" ? texts.you : texts.bot_name;
    item.append(who, document.createTextNode(text));
    log.append(item);
    item.scrollIntoView({ block: "end" });
  }

  function showReplies(items) {
    replies.replaceChildren();
    for (const item of items || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = item.label;
      button.addEventListener("click", () => {
        show("you", item.label);
        send({ type: "postback", id: newId(), payload: item.payload });
      });
      replies.append(button);
    }
  }

  function send(frame) {
    replies.replaceChildren();
    pending.set(frame.id, frame);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

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
    for (const [code, name] of Object.entries(data.languages)) {
      const option = new Option(name, code, false, code === lang);
      picker.append(option);
    }
  }

  function setLanguage(lang) {
    if (lang && lang !== language) {
      language = lang;
      loadTexts(lang);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/chat/ws");
    socket.addEventListener("open", () => {
      retry = 0;
      socket.send(JSON.stringify({ type: "hello", session: sessionStorage.getItem("saphan.session"),
                                   language: language }));
    });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "welcome") {
        sessionStorage.setItem("saphan.session", frame.session);
        status.textContent = "";
        setLanguage(frame.language);
        for (const waiting of pending.values()) socket.send(JSON.stringify(waiting));
      } else if (frame.type === "ack") {
        pending.delete(frame.id);
      } else if (frame.type === "bot") {
        setLanguage(frame.language);
        show("bot", frame.text);
        showReplies(frame.quick_replies);
      } else if (frame.type === "error") {
        if (frame.id) pending.delete(frame.id);
        show("error", frame.message);
      }
    });
    socket.addEventListener("close", () => {
      status.textContent = texts.offline;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    show("you", text);
    input.value = "";
    send({ type: "message", id: newId(), text: text });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  picker.addEventListener("change", () => {
    const frame = { type: "postback", id: newId(), payload: '/choose_language{"language":"' + picker.value + '"}' };
    show("you", picker.options[picker.selectedIndex].text);
    send(frame);
  });

  loadTexts(language);
  connect();
})();
