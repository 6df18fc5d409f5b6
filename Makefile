# Thin wrappers over CMake and CTest.  See README.md.
BUILD		?= build
BUILD_ASAN	?= build-asan
BUILD_FUZZ	?= build-fuzz
JOBS		?= $(shell nproc)
DEMO		?= var/demo

.PHONY: all deps build run check check-asan fuzz bench bench-pub bench-serial bench-http bench-rtr bench-sync bench-propagation clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# Initialise a demo instance under ./var/demo (once) and run rpkipubd in
# the foreground.
run: build
	@scripts/demo $(BUILD)/bin $(DEMO)

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DRPKIPUB_SANITIZE=ON >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -LE slow

# libFuzzer binaries (clang) in build-fuzz/fuzz/; run one with e.g.
#   build-fuzz/fuzz/fuzz_rfc8181 fuzz/corpus/fuzz_rfc8181
fuzz: deps
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DRPKIPUB_FUZZ=ON >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS)

# Benchmarks print figures beside the reference measured in the same run.
bench: bench-pub bench-serial bench-http bench-rtr bench-sync bench-propagation

# RFC 8181 publication throughput and latency.
bench-pub: build
	bench/run-pubload.sh $(BUILD)/bin

# One RRDP serial at 10k, 100k and 1M objects vs dd (about 12 GB of disk).
bench-serial: build
	bench/run-rrdpserial.sh $(BUILD)/bin

# The embedded RRDP server vs nginx, with wrk.
bench-http: build
	bench/run-rrdp-http.sh $(BUILD)/bin

# rtrd beside StayRTR (500,000 and 1,000,000 VRPs); see README.md.
bench-rtr: build
	bench/run-rtrbench.sh $(BUILD)/bin

# A first rrdpsync at 100k and 1M objects vs curl and the file system
# (about 25 GB of disk).
bench-sync: build
	bench/run-rrdpsync.sh $(BUILD)/bin

# CA-to-router propagation, stage by stage: measured with short intervals,
# computed for the default ones (issue 6), the chain as test_e2e runs it
# and once more through an edge node (rrdpsync, nginx); see README.md.
bench-propagation: build
	bench/run-propagation.sh $(BUILD)/bin
	EDGE=1 bench/run-propagation.sh $(BUILD)/bin

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
