# Kagami: the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
JOBS ?= 2
SHARED ?= $(abspath ../shared)
KAGAMI := build/release/cli/kagami
FUZZ_SECONDS ?= 20

.PHONY: install deb all deps build build-asan build-tsan test-tsan demo packs pack-tests big-capture demo-capture test test-release test-asan conformance fuzz fuzz-smoke bench throughput allocations clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j$(JOBS)

build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j$(JOBS)

# The shipped packs' STIX feeds, generated from their reviewed sources (a test
# checks the committed files match).
packs: build
	@$(KAGAMI) intel export --to stix --created 2026-11-26T00:00:00.000Z \
	  -o rules/packs/tick/intel/tick-indicators.stix.json rules/packs/tick/source/tick-indicators.csv

# The packs' test captures, from each pack's tests/cases.txt (a test checks
# the committed files match).
pack-tests: build
	@scripts/make-pack-tests build/release/tools/gen/kagami-gen

# A large generated capture for benchmarks: make big-capture SIZE=10GiB OUT=/tmp/big.pcap
SIZE ?= 2GiB
OUT ?= /tmp/kagami-big.pcap
big-capture: build
	@build/release/tools/gen/kagami-gen --seed 1 --size $(SIZE) --random-splits --inject datper:20 --inject daserf:20 -o $(OUT)

# The bundled demo capture: an office network's web, DNS and TLS traffic with
# Tick implants calling home (deterministic; committed, rewritten by this).
demo-capture: build
	@build/release/tools/gen/kagami-gen --seed 2024 --size 300KB --inject datper --inject daserf \
	  --inject gofarer --inject shadowpy --inject revbshell -o demo/tick-demo.pcap

# Scan the bundled capture with the shipped packs; one Suricata fast.log line
# per alert on stdout (Kagami's `fast:` output), the summary on stderr.
demo: build
	@echo "== kagami scan demo/tick-demo.pcap (shipped packs) =="
	@$(KAGAMI) scan --output fast:- demo/tick-demo.pcap

# Installs the binary, packs, man page, systemd unit and logrotate snippet
# (cmake/KagamiInstall.cmake): make install PREFIX=/opt/kagami
PREFIX ?= /usr/local
install: build
	@cmake --install build/release --prefix $(PREFIX)

# The Debian package, in build/deb/.
deb: build
	@cpack -G DEB -B build/deb --config build/release/CPackConfig.cmake

test: build build-asan build-tsan test-release test-asan test-tsan conformance fuzz-smoke

test-release:
	@cd build/release && ctest --output-on-failure -j$(JOBS)

# A sanitizer report halts the process that makes it (the preset builds with
# -fno-sanitize-recover=all; halt_on_error for the runtimes too), failing its
# test. The exit code is one no kagami command uses, so a test that expects
# kagami to fail with 1 or 2 does not pass when kagami is stopped by a report.
test-asan:
	@cd build/asan && ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=86 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 ctest --output-on-failure -j$(JOBS)

# ThreadSanitizer over what runs on several threads: the rings, the workers
# and the writer (unit tests), and kagami scan/live --workers (end to end,
# live through AF_PACKET fanout too; kagami-gen makes its capture).
# The preset builds only those targets, to keep CI within its time.
build-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j$(JOBS)

# Not KafkaOutputTest: librdkafka is not built with ThreadSanitizer, and its
# mock cluster's threads crash under TSan's runtime (SEGV in librdkafka);
# the Kafka tests (KafkaOutputTest, KafkaJobQueueTest, JobsKafkaE2eTest) run
# in the release and ASan builds.
TSAN_TESTS := ^(SpscRingTest|DispatchTest|ParallelScanTest|ReloadTest|FileOutputTest|OutputSetTest|UnixStreamOutputTest|UnixDgramOutputTest|SyslogTcpOutputTest|SyslogUdpOutputTest|RedisOutputTest|WorkersE2eTest|LiveE2eTest|SensorE2eTest|OutputsE2eTest|JobsE2eTest|EveRecordsE2eTest|IntelThresholdE2eTest|IndicatorThresholdTest)\.
test-tsan:
	@cd build/tsan && TSAN_OPTIONS=halt_on_error=1:exitcode=86:second_deadlock_stack=1 \
	  ctest --output-on-failure -j$(JOBS) -R '$(TSAN_TESTS)' --no-tests=error

# The Suricata-derived conformance corpus; fails when the pass count drops
# below the floor recorded in conformance/floor.
conformance: build
	@XDG_CACHE_HOME=$(CURDIR)/build/release/test-cache scripts/conformance $(KAGAMI) $(SHARED)/conformance

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j$(JOBS)
	@scripts/fuzz build/fuzz $(FUZZ_SECONDS)

# CI: every fuzz target once over its committed seeds, then for a few seconds
# on a copy of them; any sanitizer report fails (see scripts/fuzz).
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

bench: build
	@build/release/bench/kagami_bench

throughput: build
	@build/release/bench/throughput --rules $(SHARED)/bench/rules/et-common.rules $(SHARED)/bench/pcaps

# Heap allocations per packet after warm-up, and where they come from.
allocations: build
	@build/release/bench/alloc_count --rules $(SHARED)/bench/rules/et-common.rules $(SHARED)/bench/pcaps/*

clean:
	rm -rf build
