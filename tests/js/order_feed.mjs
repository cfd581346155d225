// The live order feed through phoenix.js: ann's checkout reaches orders:lobby and
// orders:<ann>, not orders:<bob>; a staff capture of it follows as order_updated.

import {answer, api, checkout, collect, connect, expect, expectEqual, person, run} from "./scenario.mjs"

const PAYLOAD_KEYS = ["currency", "event_id", "inserted_at", "order_id", "status", "total", "user_id"]

/** `who` on `topic`, with the order events arriving there. */
async function follow(who, topic) {
  const socket = await connect(who.token)
  const channel = socket.channel(topic, {})
  const created = collect(channel, "order_created")
  const updated = collect(channel, "order_updated")
  const joined = await answer(channel.join(), `${who.name}'s join of ${topic}`)
  expectEqual(joined.status, "ok", `${who.name}'s join of ${topic}`)
  return {created, updated, lastEventId: joined.response.last_event_id}
}

run("order_feed", async () => {
  const sue = person("SUE")
  const ann = person("ANN")
  const bob = person("BOB")
  const lobby = await follow(sue, "orders:lobby")
  const annFeed = await follow(ann, `orders:${ann.id}`)
  const bobFeed = await follow(bob, `orders:${bob.id}`)
  expect(Number.isInteger(lobby.lastEventId), "the join reply carries last_event_id")

  const order = await checkout(ann)
  const [onLobby] = await lobby.created.until(1)
  const [onOwn] = await annFeed.created.until(1)
  expectEqual(Object.keys(onLobby).sort(), PAYLOAD_KEYS, "the keys of order_created")
  expectEqual(onOwn, onLobby, "ann's order_created against the lobby's")
  expectEqual(
    [onLobby.order_id, onLobby.user_id, onLobby.status],
    [order.id, ann.id, "pending_payment"],
    "order_created's order, user and status",
  )
  expect(onLobby.event_id > lobby.lastEventId, "the event id is past the join's last_event_id")

  // Frames to one socket keep their order: bob's own order is the first he is sent
  // only if ann's never reached him.
  const bobsOrder = await checkout(bob)
  const [bobFirst] = await bobFeed.created.until(1)
  expectEqual(bobFirst.order_id, bobsOrder.id, "the first order_created on bob's topic")
  const createdOnLobby = await lobby.created.until(2)

  await api(sue, "POST", `/api/v1/orders/${order.id}/capture`, {}, 200)
  const [updatedOnLobby] = await lobby.updated.until(1)
  const [updatedOnOwn] = await annFeed.updated.until(1)
  expectEqual(updatedOnOwn, updatedOnLobby, "ann's order_updated against the lobby's")
  expect(updatedOnLobby.event_id > onLobby.event_id, "order_updated comes after order_created")
  expectEqual(bobFeed.updated.seen, [], "order_updated on bob's topic")

  return {
    lobby: {created: createdOnLobby.map((e) => e.order_id), updated: [updatedOnLobby]},
    ann: {created: annFeed.created.seen, updated: annFeed.updated.seen.map((e) => e.order_id)},
    bob: {created: bobFeed.created.seen.map((e) => e.order_id), updated: bobFeed.updated.seen},
    ann_order: order.id,
    bob_order: bobsOrder.id,
  }
})
