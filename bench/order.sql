-- One order's writes, as the services make them (pgbench script; see
-- xtask/src/bench.rs, which runs it). The tables are copies of the services'
-- own (pg_dump --schema-only of the `orders` and `payments` databases, in
-- the schemas `orders` and `payments` of one database), triggers included.
-- Each statement mirrors one the services send; the five transactions
-- mirror theirs:
--   1. orders, CreateOrder (orders/src/ordering.rs, crates/idempotency):
--      claim the idempotency key with the answer, insert the order, append
--      PaymentRequested to the outbox;
--   2. the orders relay (crates/messaging/src/relay.rs): claim unpublished
--      outbox rows and mark them published, in one statement;
--   3. payments, PaymentRequested (payments/src/payment_requests.rs,
--      crates/messaging/src/inbox.rs): inbox row, "already paid?", the
--      conditional debit, the payment row, PaymentResult in the outbox;
--   4. the payments relay, as 2;
--   5. orders, PaymentResult (orders/src/payment_results.rs): inbox row, the
--      status update (its trigger notifies the watchers).
-- The relays claim up to :relay_batch rows, once every :relay_batch orders on
-- average, as a relay does once a backlog builds (with 1: a claim per order).
-- Order and event ids are time-ordered (UUIDv7), as the services make them:
-- uuid_v7() is defined in the ceiling database by xtask (the services make
-- theirs in Rust); idempotency keys are random, as loadgen's. Variables: :users (accounts pgb-1 … pgb-:users, topped up
-- beforehand), :relay_batch.
\set user random(1, :users)
\set relay random(1, :relay_batch)
-- 1. CreateOrder
BEGIN;
INSERT INTO orders.idempotency_keys (user_id, idempotency_key, fingerprint, response) VALUES ('pgb-' || :user, gen_random_uuid()::text, '\x3a7f0c5e9b2d4a61c8e0f3b7a5d9c2e14f6a8b0d3c5e7f9a1b2c4d6e8f0a1b3c'::bytea, '\x0a2430313933643764652d316234342d373262612d613831632d31653735643634663932656112067067622d313118642207'::bytea) ON CONFLICT (user_id, idempotency_key) DO NOTHING;
INSERT INTO orders.orders (id, user_id, amount, description, status, failure_reason, created_at, updated_at, trace_id, correlation_id) VALUES (uuid_v7(), 'pgb-' || :user, 100, 'loadgen', 'NEW', NULL, now(), now(), '4bf92f3577b34da6a3ce929d0e0e4736', '0af7651916cd43dd8448eb211c80319c') RETURNING id AS order_id \gset
INSERT INTO orders.outbox (event_id, topic, message_key, event_type, payload, trace_context) VALUES (uuid_v7(), 'payments.requested', 'pgb-' || :user, 'orderflow.events.v1.PaymentRequested', '\x0a2430313933643764652d316234342d373262612d613831632d3165373564363466393265611224303139336437', '{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "x-correlation-id": "0af7651916cd43dd8448eb211c80319c"}'::jsonb);
COMMIT;
-- 2. the orders relay
\if :relay = 1
BEGIN;
UPDATE orders.outbox SET published_at = CURRENT_TIMESTAMP WHERE id = ANY (ARRAY (SELECT id FROM orders.outbox WHERE published_at IS NULL ORDER BY id LIMIT :relay_batch FOR UPDATE SKIP LOCKED)) RETURNING id, event_id, topic, message_key, event_type, payload, trace_context, created_at, published_at;
COMMIT;
\endif
-- 3. payments: PaymentRequested
BEGIN;
INSERT INTO payments.inbox (event_id, topic, event_type) VALUES (uuid_v7(), 'payments.requested', 'orderflow.events.v1.PaymentRequested') ON CONFLICT (event_id) DO NOTHING;
SELECT 1 AS one FROM payments.payments WHERE order_id = :order_id;
UPDATE payments.accounts SET balance = balance - 100, updated_at = now() WHERE user_id = 'pgb-' || :user AND balance >= 100 RETURNING balance;
INSERT INTO payments.payments (order_id, event_id, user_id, amount, status, failure_reason) VALUES (:order_id, uuid_v7(), 'pgb-' || :user, 100, 'SUCCEEDED', NULL);
INSERT INTO payments.outbox (event_id, topic, message_key, event_type, payload, trace_context) VALUES (uuid_v7(), 'payments.results', 'pgb-' || :user, 'orderflow.events.v1.PaymentResult', '\x0a2430313933643764652d316234342d373262612d613831632d3165373564363466393265611224303139336437', '{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "x-correlation-id": "0af7651916cd43dd8448eb211c80319c"}'::jsonb);
COMMIT;
-- 4. the payments relay
\if :relay = 1
BEGIN;
UPDATE payments.outbox SET published_at = CURRENT_TIMESTAMP WHERE id = ANY (ARRAY (SELECT id FROM payments.outbox WHERE published_at IS NULL ORDER BY id LIMIT :relay_batch FOR UPDATE SKIP LOCKED)) RETURNING id, event_id, topic, message_key, event_type, payload, trace_context, created_at, published_at;
COMMIT;
\endif
-- 5. orders: PaymentResult
BEGIN;
INSERT INTO orders.inbox (event_id, topic, event_type) VALUES (uuid_v7(), 'payments.results', 'orderflow.events.v1.PaymentResult') ON CONFLICT (event_id) DO NOTHING;
UPDATE orders.orders SET status = 'FINISHED', failure_reason = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = :order_id AND status = 'NEW' RETURNING id, user_id, amount, description, status, failure_reason, created_at, updated_at, trace_id, correlation_id;
COMMIT;
