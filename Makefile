# ofq: the two commands that matter are `make demo` and `make test`; `make` builds build/ofq.
# Everything goes through CMake; this file only names the steps and installs what they need.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
SANITIZE   ?= address,undefined
OFQ        := $(BUILD)/ofq
PY         := /usr/bin/python3

PREFIX     ?= /usr/local

.PHONY: all install build-all deps test unit unit-sanitize cli-tests integration demo bench clean format

all: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DOFQ_BUILD_TESTS=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target ofq

# build/ofq into $(PREFIX)/bin and the docs into $(PREFIX)/share/doc/ofq (docs/operations.md).
install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

# The unit-test binaries as well as ofq.
build-all: all
	cmake --build $(BUILD) -j$(JOBS)

deps:
	@tools/deps.sh build

# Every test: unit tests (Release, then under the sanitizers), the CLI table, the
# differential, messy-file and real-data tests, the server, refget and Python client tests.
test: TEST_DEPS
	$(MAKE) build-all
	data/real/rebuild.sh
	$(MAKE) unit
	$(MAKE) unit-sanitize
	$(MAKE) integration

TEST_DEPS:
	@tools/deps.sh test

unit:
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The unit tests again with the sanitizers on (make test SANITIZE=address,undefined is the default).
unit-sanitize:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOFQ_SANITIZE=$(SANITIZE) -DOFQ_BUILD_TESTS=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS)

integration:
	tools/run_integration.sh $(abspath $(OFQ))

demo: TEST_DEPS
	$(MAKE) all
	data/real/rebuild.sh
	tools/demo.sh data

bench:
	@tools/deps.sh bench
	$(MAKE) all
	bench/run_all.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
