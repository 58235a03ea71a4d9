# Tugboat: build, run and test. `make test` prepares the local services (scripts/prepare-test-env.sh).
MVN ?= mvn
JAR := target/tugboat.jar

.PHONY: build run test clean

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
