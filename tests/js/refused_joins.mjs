// Who may join what, as phoenix.js sees it: a customer's join of orders:lobby or of another
// user's topic gets an error reply (reason "unauthorized"); their own topic is joined; the
// socket stays usable (a ping is answered) after the refusals.

import {answer, connect, disconnect, expectEqual, person, run, within} from "./scenario.mjs"

/** The reply to `who`'s join of `topic` on `socket`, as {status, reason}. */
async function join(socket, who, topic) {
  const channel = socket.channel(topic, {})
  const reply = await answer(channel.join(), `${who.name}'s join of ${topic}`)
  return {topic, status: reply.status, reason: reply.response.reason ?? null}
}

run("refused_joins", async () => {
  const ann = person("ANN")
  const bob = person("BOB")
  const socket = await connect(ann.token)

  const replies = [
    await join(socket, ann, "orders:lobby"),
    await join(socket, ann, `orders:${bob.id}`),
    await join(socket, ann, `orders:${ann.id}`),
  ]
  const rtt = await within(new Promise((resolve) => socket.ping(resolve)), "the reply to a ping")

  expectEqual(
    replies,
    [
      {topic: "orders:lobby", status: "error", reason: "unauthorized"},
      {topic: `orders:${bob.id}`, status: "error", reason: "unauthorized"},
      {topic: `orders:${ann.id}`, status: "ok", reason: null},
    ],
    "the replies to ann's joins",
  )
  await disconnect(socket)
  return {replies, ping_answered: Number.isFinite(rtt)}
})
