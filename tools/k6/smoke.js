// Smoke load: liveness and readiness under a small steady load.
// Run with `make load` (starts the service) or `k6 run -e BASE_URL=http://host:port smoke.js`.
import http from "k6/http";
import { check } from "k6";

const BASE_URL = __ENV.BASE_URL || "http://127.0.0.1:8000";

export const options = {
  scenarios: {
    probes: {
      executor: "constant-arrival-rate",
      rate: 200,
      timeUnit: "1s",
      duration: __ENV.DURATION || "20s",
      preAllocatedVUs: 20,
      maxVUs: 100,
    },
  },
  thresholds: {
    http_req_failed: ["rate<0.01"],
    "http_req_duration{endpoint:healthz}": ["p(95)<50", "p(99)<100"],
    "http_req_duration{endpoint:readyz}": ["p(95)<100", "p(99)<250"],
    checks: ["rate>0.99"],
  },
};

export default function () {
  const healthz = http.get(`${BASE_URL}/healthz`, { tags: { endpoint: "healthz" } });
  check(healthz, { "healthz is 200": (r) => r.status === 200 });
  const readyz = http.get(`${BASE_URL}/readyz`, { tags: { endpoint: "readyz" } });
  check(readyz, {
    "readyz is 200": (r) => r.status === 200,
    "readyz says ready": (r) => r.json("status") === "ready",
  });
}
