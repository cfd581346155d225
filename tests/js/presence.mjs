// Presence on orders:lobby through phoenix.js's Presence class: two staff members see each
// other, a second connection of one of them is a second meta under the same key, and a
// disconnect leaves the other's list.

import {Presence} from "phoenix"

import {answer, connect, disconnect, expect, expectEqual, person, run, when} from "./scenario.mjs"

/** A staff member's view of the lobby: their socket, channel and Presence. */
async function lobbyView(who) {
  const socket = await connect(who.token)
  const channel = socket.channel("orders:lobby", {})
  const presence = new Presence(channel)
  const synced = []
  const left = []
  presence.onSync(() => synced.forEach((callback) => callback()))
  presence.onLeave((key, current, leftPresence) => left.push({key, metas: leftPresence.metas.length}))
  const joined = await answer(channel.join(), `${who.name}'s join of orders:lobby`)
  expectEqual(joined.status, "ok", `${who.name}'s join of orders:lobby`)
  return {who, socket, presence, left, onSync: (callback) => synced.push(callback)}
}

/** `{user id: number of connections}` as `view`'s Presence.list shows it. */
function listed(view) {
  const entries = view.presence.list((key, {metas}) => [key, metas.length])
  return Object.fromEntries(entries.sort(([a], [b]) => Number(a) - Number(b)))
}

/** Waits until `view`'s list is `expected` ({user id: connections}); returns the list. */
async function listShows(view, expected, what) {
  const wanted = JSON.stringify(expected)
  await when(
    view.onSync,
    () => JSON.stringify(listed(view)) === wanted,
    `${view.who.name}'s Presence.list to show ${wanted} (${what}); it shows ${JSON.stringify(listed(view))}`,
  )
  return listed(view)
}

run("presence", async () => {
  const sue = person("SUE")
  const tom = person("TOM")
  const both = {[sue.id]: 1, [tom.id]: 1}

  const sueView = await lobbyView(sue)
  await listShows(sueView, {[sue.id]: 1}, "alone on the lobby")
  const tomView = await lobbyView(tom)
  const sueSaw = await listShows(sueView, both, "tom joined")
  const tomSaw = await listShows(tomView, both, "sue was there")

  const metas = tomView.presence.list((key, {metas}) => metas).flat()
  for (const meta of metas) {
    expectEqual(Object.keys(meta).sort(), ["email", "online_at", "phx_ref"], "the keys of a meta")
  }
  expect(new Set(metas.map((meta) => meta.phx_ref)).size === 2, "each connection has its own phx_ref")
  const emails = tomView.presence.list((key, {metas}) => [key, metas[0].email])

  // A second tab of sue's: one key, two metas; closing it leaves one.
  const sueAgain = await lobbyView(sue)
  const twoTabs = await listShows(tomView, {[sue.id]: 2, [tom.id]: 1}, "sue's second connection joined")
  await disconnect(sueAgain.socket)
  await listShows(tomView, both, "sue's second connection left")

  await disconnect(tomView.socket)
  const afterTomLeft = await listShows(sueView, {[sue.id]: 1}, "tom disconnected")
  const tomLeft = sueView.left.filter(({key}) => key === String(tom.id))
  expectEqual(tomLeft, [{key: String(tom.id), metas: 1}], "onLeave calls for tom on sue's side")
  await disconnect(sueView.socket)

  return {
    sue_saw: sueSaw,
    tom_saw: tomSaw,
    two_tabs: twoTabs,
    emails: Object.fromEntries(emails),
    after_tom_left: afterTomLeft,
  }
})
