# kdev's Makefile. `make up` brings an environment up; `make test` runs every test:
# unit, integration against a real Docker engine, and e2e against a real Kind cluster.

SHELL    := bash
GO       ?= go
BIN      := bin/kdev
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/kdev-dev/kdev/internal/app.Version=$(VERSION)
STATICCHECK := $(GO) run -modfile=tools/go.mod honnef.co/go/tools/cmd/staticcheck

.PHONY: all build up down test unit fuzz integration e2e fault bench bench-smoke lint fmt images docker clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kdev

## up: Docker ready, kdev built, `kdev up` (with an offline-built registry image when needed)
up: build
	hack/up.sh

## down: `kdev down` (mirrors and caches stay; `bin/kdev down --purge` removes them)
down: build
	$(BIN) down

## docker: install and start Docker when absent (root and apt only; a no-op on laptops)
docker:
	hack/ensure-docker.sh

## images: build the offline images (registry, node) with no registry access
images: docker
	images/build.sh

## test: unit tests, the config fuzzer for a bounded time, integration tests against
## real Docker, e2e against a real cluster
test: unit fuzz integration e2e

## unit: no Docker needed
unit:
	$(GO) test -race -short ./...

## fuzz: the kdev.yaml parser fuzzed for FUZZTIME (a crash found becomes a seed in
## internal/config/fuzz_test.go)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./internal/config/

## integration: real Docker and the offline registry image
integration: docker
	images/build.sh registry >/dev/null
	. bin/images.env && KDEV_TEST_REGISTRY_IMAGE=$$REGISTRY_IMAGE $(GO) test -race -count=1 ./...

## e2e: a real Kind cluster from each offline node image (containerd 1.6 and 2.x), local
## upstreams, pods; E2E_NODE_IMAGES picks the images (variables of bin/images.env)
E2E_NODE_IMAGES ?= NODE_IMAGE NODE_IMAGE_CONTAINERD2
e2e: docker
	images/build.sh >/dev/null
	hack/e2e.sh $(E2E_NODE_IMAGES)

## fault: the fault suite (e2e/fault) on the built binary: Ctrl-C at five points of up,
## concurrent ups, a Docker restart under a running cluster, hostile files. It restarts
## Docker, so make test leaves it out; CI runs it.
fault: build docker
	images/build.sh >/dev/null
	. bin/images.env && KDEV_BIN=$(CURDIR)/bin/kdev KDEV_TEST_REGISTRY_IMAGE=$$REGISTRY_IMAGE \
	  KDEV_E2E_NODE_IMAGE=$$NODE_IMAGE_CONTAINERD2 $(GO) test -race -tags e2e -count=1 -timeout 40m -v ./e2e/fault/

## bench: what the cache buys, measured (about 20 minutes); see docs/BENCHMARKS.md
bench: build docker
	images/build.sh >/dev/null
	$(GO) run ./bench $(BENCH_FLAGS)

## bench-smoke: every scenario once on one small image (about 3 minutes), so that the
## harness does not rot; its figures mean nothing and nothing is judged on them
bench-smoke: build docker
	images/build.sh >/dev/null
	$(GO) run ./bench -images 1 -mb 16 -runs 1 -out bin/bench-smoke.json

## lint: go vet (also the e2e suite), gofmt, staticcheck, and shellcheck on every script
lint:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(STATICCHECK) ./...
	hack/shellcheck.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
