// What every scenario shares: the environment pytest passes, phoenix.js sockets over `ws`,
// promises with deadlines around joins and events, the shop's JSON API, and the ending.
//
// A scenario is `run(name, async () => summary)`: it prints the summary as one JSON line on
// stdout and exits 0, or prints `FAIL <name>: <why>` on stderr and exits 1 on the first
// mismatch, error or timeout. Nothing waits without a deadline.

import {Socket} from "phoenix"
import WebSocket from "ws"

/** Milliseconds to wait for something that must happen (a join reply, an event). */
export const WAIT_MS = Number(process.env.SCENARIO_WAIT_MS ?? 5000)
/** Milliseconds a whole scenario may take. */
export const SCENARIO_MS = Number(process.env.SCENARIO_TIMEOUT_MS ?? 30000)

export class Mismatch extends Error {}

/** The value of environment variable `name`; a scenario cannot run without it. */
export function env(name) {
  const value = process.env[name]
  if (value === undefined || value === "") {
    throw new Mismatch(`environment variable ${name} is not set`)
  }
  return value
}

/** A person of the shop as pytest prepared them: `{id, token}` from NAME_ID and NAME_TOKEN. */
export function person(name) {
  return {name, id: Number(env(`${name}_ID`)), token: env(`${name}_TOKEN`)}
}

export const baseUrl = () => env("PULSESHOP_URL")

/** The socket endpoint phoenix.js is given (it appends /websocket?token=...&vsn=2.0.0). */
export const socketUrl = () => `${baseUrl().replace(/^http/, "ws")}/socket`

/** Stops with a clear message unless `condition` holds. */
export function expect(condition, message) {
  if (!condition) {
    throw new Mismatch(message)
  }
}

/** Stops unless `actual` and `expected` are the same JSON value. */
export function expectEqual(actual, expected, what) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)]
  expect(a === e, `${what}: expected ${e}, got ${a}`)
}

/** `promise`, or a Mismatch naming `what` when it takes longer than `ms`. */
export function within(promise, what, ms = WAIT_MS) {
  let timer
  const late = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Mismatch(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** A new phoenix.js socket with `token`, not yet connected; it retries slowly, so a failed
 * connection shows up as one error rather than a storm of them. */
export function newSocket(token, opts = {}) {
  return new Socket(socketUrl(), {
    params: {token},
    transport: WebSocket,
    reconnectAfterMs: () => 60000,
    rejoinAfterMs: () => 60000,
    ...opts,
  })
}

/** A socket connected with `token` (resolves once open). */
export async function connect(token) {
  const socket = newSocket(token)
  const opened = new Promise((resolve, reject) => {
    socket.onOpen(() => resolve(socket))
    socket.onError((error) => reject(new Mismatch(`the socket failed to connect: ${describe(error)}`)))
  })
  socket.connect()
  return within(opened, "the socket to open")
}

/** Disconnects `socket` and resolves once phoenix.js has closed it. */
export function disconnect(socket) {
  return within(new Promise((resolve) => socket.disconnect(resolve)), "the socket to close")
}

/** The answer to a join (or any push): `{status: "ok" | "error", response}`. */
export function answer(push, what) {
  return within(
    new Promise((resolve, reject) => {
      push
        .receive("ok", (response) => resolve({status: "ok", response}))
        .receive("error", (response) => resolve({status: "error", response}))
        .receive("timeout", () => reject(new Mismatch(`no reply to ${what} (phoenix.js timeout)`)))
    }),
    `the reply to ${what}`,
  )
}

/** Every `event` arriving on `channel`, in order, and a way to wait for the next ones. */
export function collect(channel, event) {
  const seen = []
  const waiters = []
  channel.on(event, (payload) => {
    seen.push(payload)
    for (const waiter of waiters.splice(0)) {
      waiter()
    }
  })
  const until = (count, what) =>
    within(
      new Promise((resolve) => {
        const check = () => (seen.length >= count ? resolve(seen.slice(0, count)) : waiters.push(check))
        check()
      }),
      `${what ?? `${count} ${event} on ${channel.topic}`} (got ${seen.length})`,
    )
  return {seen, until}
}

/** Resolves when `check()` is true after one of the callbacks `subscribe` registers fires. */
export function when(subscribe, check, what) {
  return within(
    new Promise((resolve) => {
      const test = () => {
        const value = check()
        if (value) {
          resolve(value)
        }
      }
      subscribe(test)
      test()
    }),
    what,
  )
}

/** Puts one unit of `sku` in `who`'s cart and checks out with the sandbox's test card;
 * returns the order the API answers. */
export async function checkout(who, sku = env("PULSESHOP_SKU")) {
  await api(who, "POST", "/api/v1/cart/items", {sku, quantity: 1}, 200)
  const placed = await api(who, "POST", "/api/v1/checkout", {payment_token: "tok_ok"}, 201, {
    "Idempotency-Key": `scenario-${crypto.randomUUID()}`,
  })
  return placed.order
}

/** Sends one JSON API request as `who`; a status other than `status` is a mismatch. */
export async function api(who, method, path, body, status, headers = {}) {
  const response = await within(
    fetch(`${baseUrl()}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${who.token}`,
        "Content-Type": "application/json",
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    `${method} ${path}`,
  )
  const text = await response.text()
  expect(response.status === status, `${method} ${path} answered ${response.status}, not ${status}: ${text}`)
  return text ? JSON.parse(text) : null
}

function describe(error) {
  return error?.message ?? error?.type ?? String(error)
}

/** Runs a scenario: its summary on stdout and exit 0, or why it failed on stderr and exit 1.
 * Sockets and phoenix.js timers are left behind: the process exits either way. */
export function run(name, scenario) {
  const overall = setTimeout(() => {
    console.error(`FAIL ${name}: the scenario took longer than ${SCENARIO_MS} ms`)
    process.exit(1)
  }, SCENARIO_MS)
  scenario().then(
    (summary) => {
      clearTimeout(overall)
      console.log(JSON.stringify({scenario: name, ...summary}))
      process.exit(0)
    },
    (error) => {
      clearTimeout(overall)
      const why = error instanceof Mismatch ? error.message : error?.stack ?? String(error)
      console.error(`FAIL ${name}: ${why}`)
      process.exit(1)
    },
  )
}
