# Tugboat: build, run and test. `make test` prepares the local services (scripts/prepare-test-env.sh).
MVN ?= mvn
JAR := target/tugboat.jar

.PHONY: build run test clean bench-ingest bench-ingest-paced bench-transfer

build:
	$(MVN) -B -q package -Dmaven.test.skip=true

# embedded PostgreSQL under data/pg, API on port 8080 (override: TUGBOAT_HTTP_PORT, TUGBOAT_DB_URL)
run: build
	java -jar $(JAR) server

test:
	scripts/prepare-test-env.sh
	$(MVN) -B test

# data/ is kept: it holds the embedded database of `make run`
clean:
	$(MVN) -q clean

# registry-notification ingestion benchmark (wrk + PostgreSQL at 127.0.0.1:5432); see README.md, "Benchmarks"
bench-ingest: build
	bench/ingest/run.sh

# the same, paced to about 6,500 events/s offered (8 connections): the issue's operating point (>= 5,000/s, p99)
bench-ingest-paced: build
	BENCH_RATE=6500 BENCH_CONNECTIONS=8 bench/ingest/run.sh

# transfer benchmark: skopeo copy per target vs one Tugboat job to 1 and 3 targets (docker-registry, skopeo,
# PostgreSQL at 127.0.0.1:5432); see README "Transfer"
bench-transfer: build
	bench/transfer/run.sh
