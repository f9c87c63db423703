# poolvisor — see README.md. `make demo` and `make test` do all set-up.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build deps test lint fmt vet demo demo-down demo-fleet bench fuzz soak release clean

all: build

# Two binaries, side by side: poolvisor is the thin client that starts fast
# (version, completion, exec and status through serve's socket) and hands
# everything else to poolvisord, the full program, found next to it. The
# client is built without cgo: it resolves no names, and a static binary
# skips the dynamic loader's few milliseconds at every start (releases build
# both without cgo already).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/poolvisor ./cmd/poolvisor
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/poolvisord ./cmd/poolvisord
	$(GO) build -trimpath -o bin/poolvisor-sandbox ./cmd/poolvisor-sandbox

# System packages the demo and the tests run for real (supervisor, php-fpm).
deps:
	@scripts/install-deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The soak test runs here too, briefly (15 s of load); make soak runs it for minutes.
test: deps lint
	$(GO) test -race -count=1 -timeout 20m ./...
	POOLVISOR_SOAK=1 POOLVISOR_SOAK_DURATION=15s $(GO) test -count=1 -run '^TestSoak$$' -timeout 10m ./internal/app/

# A sandboxed supervisord with sample programs in ./.sandbox, and a console on it.
demo: deps build
	@scripts/demo.sh

# Fleet mode on this machine: nats-server, three sandboxed agents, a console on the hub.
demo-fleet: build
	@scripts/install-deps.sh --fleet
	@scripts/demo-fleet.sh

demo-down:
	@bin/poolvisor-sandbox down --dir .sandbox 2>/dev/null || true

bench: deps build
	$(GO) run ./cmd/poolvisor-bench

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./internal/command/
	$(GO) test -run '^$$' -fuzz FuzzProgramFileSet -fuzztime 30s ./internal/supervisor/
	$(GO) test -run '^$$' -fuzz FuzzPoolFileSet -fuzztime 30s ./internal/phpfpm/
	$(GO) test -run '^$$' -fuzz FuzzDecodeProcessInfos -fuzztime 30s ./internal/supervisor/

# A bounded soak on loopback: concurrent signed Slack and Discord requests,
# reads and writes with approvals, to `poolvisor serve` against a real
# supervisord that is restarted twice; checks the audit trail, leaks and the
# program files. POOLVISOR_SOAK_DURATION=20s for a short run (default 3m).
# The figures are printed; the whole log is in bin/soak.log.
soak: deps
	@mkdir -p bin
	@POOLVISOR_SOAK=1 $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 60m ./internal/app/ >bin/soak.log 2>&1; rc=$$?; \
	  grep -E '^soak |soak_[a-z_]*test\.go:|^ {8}|^(ok|FAIL|--- )' bin/soak.log | grep -Ev '^ +time='; \
	  echo "(whole log: bin/soak.log)"; exit $$rc

# Static, reproducible release binaries in dist/ with their SHA-256 sums: the
# same commit builds the same bytes (no cgo, no paths, no build id, the
# version from git and nothing else of the machine).
RELEASE_FLAGS := -trimpath -buildvcs=false -ldflags "-s -w -buildid= -X main.version=$(VERSION)"
release:
	rm -rf dist && mkdir -p dist
	for arch in amd64 arm64; do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch GOFLAGS=-mod=readonly \
	    $(GO) build $(RELEASE_FLAGS) -o dist/poolvisor-$(VERSION)-linux-$$arch ./cmd/poolvisor || exit 1; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch GOFLAGS=-mod=readonly \
	    $(GO) build $(RELEASE_FLAGS) -o dist/poolvisord-$(VERSION)-linux-$$arch ./cmd/poolvisord || exit 1; \
	done
	cd dist && sha256sum poolvisor-* poolvisord-* > SHA256SUMS && cat SHA256SUMS

clean:
	rm -rf bin dist .sandbox .sandbox-fleet
