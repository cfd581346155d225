// Catching up with last_seen_id, the way a phoenix.js client does it: the channel's params
// are a function returning the last event id seen, so the automatic rejoin after a
// reconnect asks for exactly what was missed.
//
// Ann follows her topic and sees her first order; she goes away; three orders are placed
// (two hers, one bob's) while sue watches the lobby; ann reconnects and is sent her two, in
// order, then live ones without repeats. A staff member joining the lobby with the same
// last_seen_id is sent all three.

import {
  answer,
  checkout,
  collect,
  connect,
  disconnect,
  expect,
  expectEqual,
  person,
  run,
  when,
} from "./scenario.mjs"

run("replay", async () => {
  const sue = person("SUE")
  const tom = person("TOM")
  const ann = person("ANN")
  const bob = person("BOB")

  const watcher = (await connect(sue.token)).channel("orders:lobby", {})
  const watched = collect(watcher, "order_created")
  expectEqual((await answer(watcher.join(), "sue's join of the lobby")).status, "ok", "sue's join")

  const annSocket = await connect(ann.token)
  let lastSeenId = null
  const joinParams = []
  const annChannel = annSocket.channel(`orders:${ann.id}`, () => {
    const params = lastSeenId === null ? {} : {last_seen_id: lastSeenId}
    joinParams.push(params)
    return params
  })
  const annEvents = collect(annChannel, "order_created")
  annChannel.on("order_created", (event) => {
    lastSeenId = event.event_id
  })
  const annReplies = []
  const joinPush = annChannel.join()
  joinPush.receive("ok", (response) => annReplies.push(response))
  joinPush.receive("error", (response) => annReplies.push({error: response}))
  await when((callback) => joinPush.receive("ok", callback), () => annReplies.length === 1, "ann's join")

  await checkout(ann)
  const [seen] = await annEvents.until(1, "ann's first order")
  await disconnect(annSocket)

  const missedOrders = [await checkout(ann), await checkout(bob), await checkout(ann)]
  const onLobby = await watched.until(4, "the four orders on the lobby")
  const missed = onLobby.slice(1)
  expectEqual(
    missed.map((event) => event.order_id),
    missedOrders.map((order) => order.id),
    "the orders placed while ann was away, as the lobby saw them",
  )
  expectEqual(annEvents.seen.length, 1, "order_created sent to ann while she was away")

  annSocket.connect()
  const rejoined = await when(
    (callback) => joinPush.receive("ok", callback),
    () => annReplies[1],
    "ann's rejoin after reconnecting",
  )
  const annMissed = missed.filter((event) => event.user_id === ann.id)
  const replayed = (await annEvents.until(1 + annMissed.length, "ann's replay")).slice(1)
  expectEqual(replayed, annMissed, "the events replayed to ann")
  expectEqual(
    rejoined,
    {last_event_id: missed.at(-1).event_id, replayed: annMissed.length, replay_complete: true},
    "ann's rejoin reply",
  )

  const lobbySocket = await connect(tom.token)
  const lobby = lobbySocket.channel("orders:lobby", {last_seen_id: seen.event_id})
  const lobbyEvents = collect(lobby, "order_created")
  const lobbyReply = await answer(lobby.join(), "tom's join of the lobby with last_seen_id")
  expectEqual(lobbyReply.status, "ok", "tom's join")
  const lobbyReplayed = await lobbyEvents.until(missed.length, "the lobby's replay")
  expectEqual(lobbyReplayed, missed, "the lobby's replay")

  // Live again: the next order arrives once, after the replay.
  const live = await checkout(ann)
  const afterwards = await annEvents.until(2 + annMissed.length, "ann's live order")
  expectEqual(afterwards.at(-1).order_id, live.id, "ann's order after catching up")
  const lobbyLive = (await lobbyEvents.until(missed.length + 1, "the live order on the lobby")).at(-1)
  expectEqual(lobbyLive.order_id, live.id, "the lobby's order after its replay")
  const ids = annEvents.seen.map((event) => event.event_id)
  expect(ids.every((id, i) => i === 0 || ids[i - 1] < id), `ann's event ids in order: ${ids}`)
  await Promise.all([disconnect(annSocket), disconnect(lobbySocket)])

  return {
    seen_before_leaving: seen.event_id,
    missed: missed.map((event) => event.event_id),
    ann_join_params: joinParams,
    ann_rejoin_reply: rejoined,
    ann_replayed: replayed.map((event) => event.event_id),
    lobby_reply: lobbyReply.response,
    lobby_replayed: lobbyReplayed.map((event) => event.event_id),
    lobby_events: lobbyEvents.seen.map((event) => event.event_id),
    ann_events: ids,
  }
})
