# Tugboat: build, run and test. `make test` prepares the local services (scripts/prepare-test-env.sh).
MVN ?= mvn
JAR := target/tugboat.jar
# Java 17 options Hazelcast (the clustered event bus) needs; the jar's manifest carries them too
JAVA_OPTS := @conf/jvm.args

.PHONY: build run run-node test clean bench-ingest bench-ingest-paced bench-transfer bench-cluster bench-watch bench-admission

build:
	$(MVN) -B -q package -Dmaven.test.skip=true

# embedded PostgreSQL under data/pg, API on port 8080 (override: TUGBOAT_HTTP_PORT, TUGBOAT_DB_URL)
run: build
	java $(JAVA_OPTS) -jar $(JAR) server

# one node of a local cluster: make run-node N=1 (N=1..3; embedded databases cannot be shared: set TUGBOAT_DB_URL)
N ?= 1
run-node: build
	@test -n "$$TUGBOAT_DB_URL" || { echo "run-node: set TUGBOAT_DB_URL to the database the nodes share" >&2; exit 2; }
	java $(JAVA_OPTS) -jar $(JAR) server --cluster --set http.port=$$((8080 + $(N))) \
	  --set cluster.host=127.0.0.1 --set cluster.port=$$((5700 + $(N))) --set cluster.eventBusPort=$$((5800 + $(N))) \
	  --set cluster.members=127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703

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

# transfer benchmark: skopeo copy per target vs one Tugboat job to 1 and 3 targets, CPU per GiB, start latency, a
# slow-source profile (docker-registry, skopeo, jq, PostgreSQL at 127.0.0.1:5432; root + tc for the slow source);
# see README "Benchmarks"
bench-transfer: build
	bench/transfer/run.sh

# the ingest load of bench-ingest through haproxy against 1 and 3 clustered nodes on one PostgreSQL, then the
# seconds from kill -9 to a resumed transfer; see README "Running a cluster"
bench-cluster: build
	bench/cluster/run.sh

# watch benchmark: 1,000 repositories x 10 tags checked every 60 s for 3 intervals (docker-registry, python3,
# PostgreSQL at 127.0.0.1:5432; about 6 minutes); see README "Benchmarks"
bench-watch: build
	bench/watch/run.sh

# admission benchmark: /imagepolicy from memory with 10,000 entries, paced 2,000/s and flat out, beside /health/live
# (wrk, python3, PostgreSQL at 127.0.0.1:5432; a few minutes); see README "Benchmarks"
bench-admission: build
	bench/admission/run.sh
