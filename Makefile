# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CONFIG ?= etc/stampede.yaml

APT_PACKAGES := build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-ev \
	libev-dev libhiredis-dev rapidjson-dev libfmt-dev libyaml-cpp-dev libssl-dev \
	libgtest-dev libgmock-dev libbenchmark-dev python3 python3-stomp redis-server nodejs npm

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := parser envelope publish_form config jwt sockjs
FUZZ_PACKAGES := clang libclang-rt-14-dev

.PHONY: all deps npm-deps build build-asan run test test-release test-asan fuzz install deb clean

all: build

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null && command -v npm >/dev/null && \
		missing=$$(echo "$$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' '); \
	if [ -n "$$(echo $$missing)" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

npm-deps:
	@if [ ! -d tests/interop/node_modules ] || [ tests/interop/package-lock.json -nt tests/interop/node_modules ]; then \
		cd tests/interop && npm ci --no-audit --no-fund --loglevel=error; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
		-DSTAMPEDE_SANITIZE=ON -DSTAMPEDE_BENCHMARKS=OFF

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)

run: build
	./$(BUILD)/stampede --config $(CONFIG)

# The binary, /etc/stampede/stampede.yaml, the systemd unit and the docs (PREFIX, DESTDIR as
# usual); then `systemctl daemon-reload && systemctl enable --now stampede` (docs/operations.md).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# A Debian package in $(BUILD)/ (systemd unit, conffile config, a `stampede` system user).
deb: build
	cd $(BUILD) && cpack -G DEB

# Runs every test twice: on the release build and on the ASan+UBSan build.
test: deps npm-deps build build-asan
	@start=$$(date +%s); \
	echo "== release build =="; \
	(cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600) || exit 1; \
	mid=$$(date +%s); echo "== release build: $$((mid-start)) s"; \
	echo "== asan+ubsan build =="; \
	(cd $(ASAN_BUILD) && ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --output-on-failure -j$(JOBS) --timeout 900) || exit 1; \
	echo "== asan+ubsan build: $$(( $$(date +%s)-mid )) s"

# libFuzzer on every fuzz target, FUZZ_SECONDS each (clang, ASan+UBSan). New inputs go to
# $(FUZZ_BUILD)/corpus/<target> (not committed); copy the ones worth keeping, and every crash
# (as a regression input), into tests/fuzz/corpus/<target>, which `make test` replays.
fuzz: deps
	@missing=""; for p in $(FUZZ_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
		-DSTAMPEDE_FUZZ=ON -DSTAMPEDE_SANITIZE=ON -DSTAMPEDE_BENCHMARKS=OFF
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(addsuffix _fuzz,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
		dict=""; case $$t in parser|envelope) dict=-dict=tests/fuzz/stomp.dict;; esac; \
		echo "== fuzzing $$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/tests/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$$dict -artifact_prefix=$(FUZZ_BUILD)/$$t- $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
			|| exit 1; \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
