// A token the service does not know: the upgrade is refused (401), so phoenix.js's socket
// never opens and its onError callbacks fire, promptly.

import {Mismatch, disconnect, newSocket, run, within} from "./scenario.mjs"

run("bad_token", async () => {
  const socket = newSocket("psk_not-a-token")
  const started = Date.now()
  const failed = new Promise((resolve, reject) => {
    socket.onOpen(() => reject(new Mismatch("the socket opened with a bad token")))
    socket.onError((error) => resolve(error?.message ?? String(error)))
  })
  socket.connect()
  const message = await within(failed, "onError after connecting with a bad token")
  const elapsed = Date.now() - started
  await disconnect(socket)
  return {error: message, opened: false, error_within_ms: elapsed}
})
