// Live updates of the shop's pages over the channels socket (/socket), with the official
// Phoenix client (vendor/phoenix.mjs, vendored from npm).
//
// A page marks the part of it that changes with id="live", the topic to join in
// data-live-topic and the order feed's position when the server rendered it in
// data-last-event-id. Each order event re-renders that part from the server (htmx), so the
// page always shows what the server would render; nothing outside it changes, so forms keep
// what the user typed. When the socket drops, phoenix.js reconnects and rejoins with
// last_seen_id: the server replays what was missed and the status line says how much.
// The only markup built here is the status line and the list of who is watching (Presence).
import { Presence, Socket } from "./vendor/phoenix.mjs";

const REFRESH_DELAY_MS = 100;

function start() {
  const region = document.getElementById("live");
  if (!region || !region.dataset.liveTopic) {
    return;
  }
  const topic = region.dataset.liveTopic;
  const status = document.getElementById("live-status");
  const watchers = document.getElementById("presence");
  let lastSeen = Number(region.dataset.lastEventId || "0");
  let joinedOnce = false;
  let offline = false;
  let changed = new Set();
  let timer = null;

  function say(text, kind) {
    status.textContent = text;
    status.dataset.kind = kind;
    status.hidden = !text;
  }

  function refresh() {
    timer = null;
    const ids = changed;
    changed = new Set();
    window.htmx
      .ajax("GET", window.location.href, { target: "#live", select: "#live", swap: "outerHTML" })
      .then(() => {
        const fresh = document.getElementById("live");
        for (const id of ids) {
          const row = fresh && fresh.querySelector(`[data-order-id="${CSS.escape(String(id))}"]`);
          if (row) {
            row.classList.add("is-new");
          }
        }
        document.body.dataset.liveRefreshed = String(Number(document.body.dataset.liveRefreshed || "0") + 1);
      });
  }

  function refreshSoon() {
    if (timer === null) {
      timer = window.setTimeout(refresh, REFRESH_DELAY_MS);
    }
  }

  function onEvent(event) {
    if (typeof event.event_id === "number" && event.event_id > lastSeen) {
      lastSeen = event.event_id;
    }
    changed.add(event.order_id);
    refreshSoon();
  }

  function lost() {
    if (joinedOnce && !offline) {
      offline = true;
      say("Connection lost: reconnecting…", "offline");
    }
  }

  const socket = new Socket("/socket", {});
  socket.onError(lost);
  socket.onClose(lost);

  let channel = null;
  function join() {
    channel = socket.channel(topic, () => ({ last_seen_id: lastSeen }));
    channel.on("order_created", onEvent);
    channel.on("order_updated", onEvent);
    if (watchers) {
      const presence = new Presence(channel);
      presence.onSync(() => showWatchers(presence));
    }
    channel.join().receive("ok", (reply) => {
      const wasOffline = offline;
      offline = false;
      if (reply.replay_complete === false) {
        // More was missed than one join replays: show the page as it is now and follow
        // the feed from its newest event.
        lastSeen = reply.last_event_id;
        channel.leave();
        refreshSoon();
        join();
        return;
      }
      if (joinedOnce && wasOffline) {
        const missed = reply.replayed || 0;
        say(
          missed === 0
            ? "Reconnected: nothing changed while the connection was down."
            : `Reconnected: ${missed} ${missed === 1 ? "update" : "updates"} arrived while the connection was down, shown below.`,
          "online",
        );
      }
      joinedOnce = true;
      document.body.dataset.live = "joined";
    });
  }

  function showWatchers(presence) {
    const people = presence.list((userId, { metas }) => ({ userId, email: metas[0].email, tabs: metas.length }));
    people.sort((a, b) => a.email.localeCompare(b.email));
    const items = people.map(({ email, tabs }) => {
      const item = document.createElement("li");
      item.textContent = tabs > 1 ? `${email} (${tabs} windows)` : email;
      return item;
    });
    watchers.replaceChildren(...items);
  }

  socket.connect();
  join();
}

start();
