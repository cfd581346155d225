-- The statements of one checkout as pulseshop's adapters run them, with pgbench variables
-- for their parameters: the idempotency claim in its own transaction, then the checkout's
-- transaction (tools/bench/checkout.py runs this as its baseline).
\set uid random(1, :users)
\set product random(1, :products)
\set n random(1, 2000000000)
BEGIN;
INSERT INTO idempotency_keys (user_id, endpoint, key, request_sha256, locked_at, created_at, expires_at)
VALUES (:uid, 'POST /api/v1/checkout', 'pgb-' || :client_id || '-' || :n, sha256(('pgb-' || :n)::bytea), now(), now(), now() + interval '1 day')
ON CONFLICT (user_id, endpoint, key) DO NOTHING RETURNING id AS key_id \gset
COMMIT;
BEGIN;
SELECT i.product_id FROM inventory AS i JOIN products AS p ON p.id = i.product_id
WHERE p.sku = ANY(ARRAY['BENCH-' || :product]::text[]) ORDER BY i.product_id FOR UPDATE OF i;
UPDATE inventory AS i SET stock = i.stock - q.quantity, updated_at = now()
FROM unnest(ARRAY['BENCH-' || :product]::text[], ARRAY[1]::int[]) AS q (sku, quantity)
JOIN products AS p ON p.sku = q.sku WHERE i.product_id = p.id AND i.stock >= q.quantity
RETURNING p.sku, p.id AS product_id \gset
INSERT INTO orders (user_id, status, currency, prices_include_tax, subtotal, discount_total,
    shipping_total, tax_total, tax_exempted, total, captured, refunded, idempotency_key_id,
    version, created_at, updated_at)
VALUES (:uid, 'pending_payment', 'EUR', false, 8.90, 0, 4.90, 0.49, 0, 14.29, 0, 0, :key_id, 0,
    now(), now()) RETURNING id AS order_id \gset
INSERT INTO order_lines (order_id, position, sku, product_id, name, quantity, unit_price, line_total, tax)
SELECT :order_id, line.* FROM unnest(ARRAY[1]::smallint[], ARRAY['BENCH-' || :product]::text[],
    ARRAY[:product_id]::bigint[], ARRAY['Tea']::text[], ARRAY[1]::int[], ARRAY[8.90]::numeric[],
    ARRAY[9.39]::numeric[], ARRAY[0.49]::numeric[]) AS line;
WITH inserted AS (
    INSERT INTO payments (order_id, status, currency, amount, captured, refunded, provider,
        provider_reference, version, created_at, updated_at)
    VALUES (:order_id, 'authorized', 'EUR', 14.29, 0, 0, 'sandbox', 'pgb-' || :order_id, 0, now(), now())
    ON CONFLICT (provider, provider_reference) DO NOTHING RETURNING id)
SELECT id FROM inserted UNION ALL SELECT id FROM payments
WHERE provider = 'sandbox' AND provider_reference = 'pgb-' || :order_id LIMIT 1;
UPDATE carts SET version = version + 1, snapshot = snapshot, owner_node = NULL,
    epoch = epoch + (owner_node IS DISTINCT FROM NULL)::int, updated_at = now(),
    expires_at = now() + interval '30 days'
WHERE user_id = :uid RETURNING version;
INSERT INTO audit_log (actor_user_id, action, target_type, target_id, details, created_at)
VALUES (:uid, 'order.created', 'order', :order_id::text, '{"total": "14.29"}'::jsonb, now()) RETURNING id;
INSERT INTO outbox (topic, payload, created_at) VALUES ('order.created', '{"order_id": 1}'::jsonb, now()) RETURNING id;
INSERT INTO outbox (topic, payload, created_at) VALUES ('email.receipt', '{"order_id": 1}'::jsonb, now()) RETURNING id;
UPDATE idempotency_keys SET response_status = 201, response_body = '{"order": {}}'::jsonb, locked_at = NULL
WHERE id = :key_id AND response_status IS NULL;
COMMIT;
