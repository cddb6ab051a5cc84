// The playground's chat page. Message HTML comes from the server's renderer
// (playground/render.py), which escapes everything the bot or a person wrote; every
// other string is put into the page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const chat = $("chat");
const params = new URLSearchParams(location.search);
let persona = params.get("persona") || localStorage.getItem("persona") || "customer";
let socket = null;
let commands = [];
let botUsername = "";
const messages = new Map(); // message id -> element

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws?persona=${encodeURIComponent(persona)}`);
  $("status").textContent = "connecting…";
  socket.onopen = () => { $("status").textContent = "online"; };
  socket.onclose = () => {
    $("status").textContent = "offline, reconnecting…";
    setTimeout(connect, 1000);
  };
  socket.onmessage = (event) => handle(JSON.parse(event.data));
}

function send(action) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(action));
  else toast("Not connected to the playground");
}

function handle(event) {
  switch (event.type) {
    case "snapshot":
      chat.replaceChildren();
      messages.clear();
      botUsername = event.bot.username;
      $("bot-name").textContent = event.bot.name;
      fillPersonas(event.personas);
      event.messages.forEach(upsert);
      showKeyboard(event.keyboard);
      commands = event.commands || [];
      showStart();
      scrollDown();
      break;
    case "message": upsert(event.message); showStart(); scrollDown(); break;
    case "delete": {
      const el = messages.get(event.message_id);
      if (el) { el.remove(); messages.delete(event.message_id); }
      showStart();
      break;
    }
    case "keyboard": showKeyboard(event.markup); break;
    case "answer":
      document.querySelectorAll(".inline-button.pending").forEach((b) => b.classList.remove("pending"));
      if (event.text) (event.show_alert ? alertBox : toast)(event.text);
      break;
    case "service": addService(event.text); scrollDown(); break;
    case "error": showError(event.text); break;
    case "inline_results": showInlineResults(event.results); break;
    case "commands": commands = event.commands; break;
  }
}

function fillPersonas(personas) {
  const select = $("persona");
  select.replaceChildren();
  for (const p of personas) {
    const option = document.createElement("option");
    option.value = p.key;
    option.textContent = p.label;
    option.selected = p.key === persona;
    select.append(option);
  }
}

function upsert(message) {
  const el = document.createElement("div");
  el.className = "message " + (message.out ? "out" : "in");
  el.dataset.id = message.id;
  if (message.service) {
    el.className = "service";
    el.textContent = message.service;
  } else {
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (message.via) {
      const via = document.createElement("div");
      via.className = "via";
      via.textContent = "via @" + message.via;
      bubble.append(via);
    }
    if (message.photo) {
      const img = document.createElement("img");
      img.className = "photo";
      img.alt = "photo";
      img.src = message.photo;
      img.addEventListener("load", scrollDown);  // it has its height only now
      bubble.append(img);
    }
    if (message.invoice) bubble.append(invoice(message));
    if (message.html) {
      const text = document.createElement("div");
      text.className = "text";
      text.innerHTML = message.html; // built and escaped by playground/render.py
      bubble.append(text);
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    const time = new Date(message.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    meta.textContent = (message.edited ? "edited " : "") + time;
    bubble.append(meta);
    el.append(bubble);
    if (message.buttons.length) el.append(keyboard(message));
  }
  const old = messages.get(message.id);
  if (old) old.replaceWith(el); else chat.append(el);
  messages.set(message.id, el);
}

function invoice(message) {
  const box = document.createElement("div");
  box.className = "invoice";
  const title = document.createElement("strong");
  title.textContent = message.invoice.title;
  const description = document.createElement("p");
  description.textContent = message.invoice.description;
  box.append(title, description);
  if (!message.buttons.length) {
    const pay = document.createElement("button");
    pay.className = "pay";
    pay.disabled = message.invoice.paid;
    pay.textContent = message.invoice.paid ? "Paid ✓" : `Pay ⭐ ${message.invoice.amount.toLocaleString("en").replace(/,/g, " ")}`;
    pay.onclick = () => send({ action: "pay", message_id: message.id });
    box.append(pay);
  }
  return box;
}

function keyboard(message) {
  const box = document.createElement("div");
  box.className = "inline-keyboard";
  message.buttons.forEach((row, r) => {
    const line = document.createElement("div");
    line.className = "row";
    row.forEach((button, c) => {
      const b = document.createElement("button");
      b.className = "inline-button " + button.kind;
      b.textContent = button.text;
      if (button.kind === "pay" && message.invoice && message.invoice.paid) {
        b.textContent = "Paid ✓";
        b.disabled = true;
      }
      b.onclick = () => pressInline(message, button, r, c, b);
      line.append(b);
    });
    box.append(line);
  });
  return box;
}

function pressInline(message, button, row, column, element) {
  switch (button.kind) {
    case "callback":
    case "pay":
      element.classList.add("pending");
      send({ action: "press", message_id: message.id, row, column });
      break;
    case "url":
      openLink(button.url);
      break;
    case "switch_inline":
      $("text").value = `@${botUsername} ${button.query}`;
      $("text").focus();
      inlineQuery();
      break;
    case "copy":
      navigator.clipboard?.writeText(button.copy).catch(() => {});
      toast("Copied to clipboard");
      break;
    default:
      toast("The playground can't open this kind of button");
  }
}

// Telegram opens its own links itself; offline, the playground does what they mean.
function openLink(url) {
  if (!url) { toast("This link can't be opened"); return; }
  let parsed;
  try { parsed = new URL(url); } catch { toast("This link can't be opened"); return; }
  if (parsed.hostname === "t.me" && parsed.pathname.toLowerCase() === "/" + botUsername.toLowerCase()) {
    const payload = parsed.searchParams.get("start");
    send({ action: "text", text: payload ? `/start ${payload}` : "/start" });
    return;
  }
  if (parsed.hostname === "t.me" && parsed.pathname === "/share/url") {
    const link = parsed.searchParams.get("url") || "";
    navigator.clipboard?.writeText(link).catch(() => {});
    toast("Telegram would ask where to share it. Link copied: " + link);
    return;
  }
  window.open(url, "_blank", "noopener");
}

function showKeyboard(markup) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  box.hidden = !markup;
  $("text").placeholder = (markup && markup.input_field_placeholder) || "Message";
  if (!markup) return;
  for (const row of markup.keyboard) {
    const line = document.createElement("div");
    line.className = "row";
    for (const button of row) {
      const label = typeof button === "string" ? button : button.text;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "reply-button";
      b.textContent = label;
      b.onclick = () => {
        if (button.request_contact) send({ action: "contact" });
        else send({ action: "text", text: label });
      };
      line.append(b);
    }
    box.append(line);
  }
}

function addService(text) {
  const el = document.createElement("div");
  el.className = "service";
  el.textContent = text;
  chat.append(el);
}

function showError(text) {
  const box = $("errors");
  const line = document.createElement("div");
  line.textContent = "⚠ " + text;
  box.append(line);
  box.hidden = false;
  while (box.childElementCount > 3) box.firstElementChild.remove();
}

function showInlineResults(results) {
  const box = $("inline-results");
  box.replaceChildren();
  box.hidden = !results.length;
  for (const result of results) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "inline-result";
    b.textContent = result.title + (result.description ? " — " + result.description : "");
    b.onclick = () => {
      send({ action: "inline_choose", result });
      box.hidden = true;
      $("text").value = "";
    };
    box.append(b);
  }
}

let inlineTimer = null;
function inlineQuery() {
  const text = $("text").value;
  const prefix = `@${botUsername} `;
  clearTimeout(inlineTimer);
  if (!botUsername || !text.startsWith(prefix)) { $("inline-results").hidden = true; return; }
  inlineTimer = setTimeout(() => send({ action: "inline", query: text.slice(prefix.length) }), 300);
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 2500);
}

function alertBox(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

function scrollDown() { chat.scrollTop = chat.scrollHeight; }

// An empty chat offers START, as Telegram does for a bot you haven't talked to.
function showStart() { $("start").hidden = messages.size > 0; }
$("start").onclick = () => send({ action: "text", text: "/start" });

function toggleMenu() {
  const menu = $("menu");
  if (!menu.hidden) { menu.hidden = true; return; }
  menu.replaceChildren();
  for (const c of commands) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "menu-item";
    const name = document.createElement("strong");
    name.textContent = "/" + c.command;
    const description = document.createElement("span");
    description.textContent = c.description;
    b.append(name, description);
    b.onclick = () => { send({ action: "text", text: "/" + c.command }); menu.hidden = true; };
    menu.append(b);
  }
  menu.hidden = !commands.length;
}

$("composer").onsubmit = (event) => {
  event.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text) return;
  if (botUsername && text.startsWith("@" + botUsername)) { inlineQuery(); return; }
  send({ action: "text", text });
  input.value = "";
};
$("text").oninput = inlineQuery;
$("menu-button").onclick = toggleMenu;
$("contact").onclick = () => send({ action: "contact" });
$("attach").onclick = () => $("photo-input").click();
$("photo-input").onchange = async () => {
  const file = $("photo-input").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("photo", file);
  form.append("caption", $("text").value);
  $("text").value = "";
  $("photo-input").value = "";
  const response = await fetch(`/photo?persona=${encodeURIComponent(persona)}`, { method: "POST", body: form });
  if (!response.ok) toast((await response.json().catch(() => ({}))).error || "The photo was not sent");
};
$("alert-ok").onclick = () => { $("alert").hidden = true; };
$("persona").onchange = () => {
  persona = $("persona").value;
  localStorage.setItem("persona", persona);
  history.replaceState(null, "", `?persona=${encodeURIComponent(persona)}`);
  $("errors").replaceChildren();
  $("errors").hidden = true;
  $("menu").hidden = true;
  $("inline-results").hidden = true;
  $("toast").hidden = true;
  if (socket) { socket.onclose = null; socket.close(); }
  connect();
};
chat.addEventListener("click", (event) => {
  const link = event.target.closest(".text a[href^='https://t.me/']");
  if (link) { event.preventDefault(); openLink(link.href); return; }
  const command = event.target.closest("a.command");
  if (command) { event.preventDefault(); send({ action: "text", text: command.dataset.command }); }
  const spoiler = event.target.closest(".spoiler");
  if (spoiler) spoiler.classList.add("revealed");
});

connect();
