# The provisioner's commands. `make demo` and `make test` need only Go and
# gcc (go-sqlite3 uses cgo).

GO      ?= go
BIN     := bin
export CGO_ENABLED := 1

.PHONY: all build demo run test faults bench fuzz vet clean

all: build

build:
	@$(GO) build -o $(BIN)/provisioner ./cmd/provisioner
	@$(GO) build -o $(BIN)/oktasim ./cmd/oktasim

# The whole flow on embedded defaults: result events on stdout, progress on stderr.
demo: build
	@$(BIN)/provisioner demo

# The daemon in development mode: embedded NATS on 127.0.0.1:14222, the Okta
# emulator in process, generated keys in ./provisioner-data.
run: build
	@$(BIN)/provisioner run --dev

vet:
	$(GO) vet ./...

# Every test, the fault suite and the fuzz seed corpora included.
test: vet
	$(GO) test -count=1 -timeout 12m ./...

# The fault suite alone; its last line is the summary. The test log goes
# to stderr; pipefail makes a failing suite fail the target.
faults: SHELL := /bin/bash
faults: .SHELLFLAGS := -o pipefail -c
faults:
	$(GO) test -count=1 -timeout 9m -run 'TestFaults' -v ./faults/ | tee /dev/stderr | grep '^faults:' | tail -n 1

bench: build
	$(GO) run ./bench

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodeSignup -fuzztime 30s ./events/
	$(GO) test -run '^$$' -fuzz FuzzParseSAMLMetadata -fuzztime 30s ./events/

clean:
	rm -rf $(BIN)
