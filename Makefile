# Tidewater: the two commands a new machine needs are `make serve` and `make test`.
CONFIG ?= debug
SCHEMA ?= Schema/example.graphql
DATA ?= ./tidewater-data
PORT ?= 4000

.PHONY: deps build serve serve-notifications test conformance realtime fuzz bench fanout client-bench clean

deps:
	@bash Tools/install-deps.sh

build: deps
	swift build -c $(CONFIG)

## Install what is missing, build, and serve the example schema on an embedded SQLite folder.
serve: deps
	swift build -c $(CONFIG) --product tidewater
	.build/$(CONFIG)/tidewater serve --schema $(SCHEMA) --data $(DATA) --port $(PORT)

## The notifications walk-through (docs/NOTIFICATIONS.md): local stand-ins for FCM, APNs and
## SMTP, and the server with Fixtures/notifications/demo.yaml (a comment on my post → push and
## email) over its own data folder.
NOTIFICATIONS_DATA ?= ./tidewater-data-notifications
serve-notifications: deps
	swift build -c $(CONFIG) --product tidewater
	bash Tools/notifications/demo.sh .build/$(CONFIG)/tidewater $(NOTIFICATIONS_DATA) $(PORT)

## Install what is missing, build, and run the whole test suite (Swift tests, then the
## independent checks: graphql-core conformance, Python gql subscriptions, the field-encryption
## vectors against their libsodium-free generator, a short fuzz run). The notification tests start
## Tools/notifications/receivers.py (aiosmtpd, hypercorn) from its own venv.
test: deps
	swift build
	bash Tools/notifications/receivers.sh --install-only
	bash Tools/test/swift-test.sh
	TIDEWATER_ACCEPTANCE=1 bash Tools/test/swift-test.sh --skip-build --filter aFanOutKilledMidwayEndsWithEveryDeliverySettledOnce
	bash Tools/conformance/run.sh
	bash Tools/realtime/run.sh
	bash Tools/crypto-vectors/run.sh
	bash Tools/fuzz/run.sh

## A long fuzz run (Tools/fuzz/run.sh; REQUESTS exchanges): generated GraphQL, malformed bodies,
## raw WebSocket frames, slow requests against a fresh server.
REQUESTS ?= 10000
fuzz: deps
	swift build --product tidewater
	bash Tools/fuzz/run.sh --requests $(REQUESTS) --examples 500

## The sync simulator (Tools/sim/README.md): seeds 1 to SEEDS, each a seeded schedule of tide
## clients, offline edits, SIGKILLs and server restarts against a real server, then checked.
SEEDS ?= 100
sim: deps
	swift build --product tidewater
	swift build --product tide
	swift build --product tide-sim
	.build/debug/tide-sim --seeds $(SEEDS)

## graphql-core (the reference implementation) against a running server: introspection and
## the Amplify-style documents in Fixtures/documents/.
conformance: deps
	swift build --product tidewater
	bash Tools/conformance/run.sh

## Python gql (graphql-transport-ws) against a running server: subscribe, resume, operations.
realtime: deps
	swift build --product tidewater
	bash Tools/realtime/run.sh

## Benchmark against PocketBase (see Tools/bench/README.md).
bench: deps
	bash Tools/bench/run.sh

## Realtime fan-out against PocketBase's SSE (see Tools/fanout/README.md). The load client is a
## package of its own (Tools/fanout), built here only.
fanout: deps
	bash Tools/fanout/run.sh

## The client library's figures (Tools/client-bench/README.md): catch-up, drain, local queries
## and the client's memory against a server it starts. A release build unless CONFIG is given;
## BENCH_ARGS go to the tool, e.g. BENCH_ARGS="--records 5000 --writes 1000".
BENCH_ARGS ?=
client-bench: CONFIG = release
client-bench: deps
	swift build -c $(CONFIG) --product tidewater
	swift build -c $(CONFIG) --product tide-client-bench
	.build/$(CONFIG)/tide-client-bench $(BENCH_ARGS)

clean:
	rm -rf .build
