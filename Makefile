# Build, run and test the customers/accounts services and the projector.
#   make run    install what is missing (as root), build, run in the foreground
#   make test   build with ASan/UBSan and run the unit and bats tests
#   make test-faults  the fault tests alone, the long version (kill rounds)
#   make        build the programs into build/release/bin
#   make bench  measure the release build against its own ceilings (bench/)

SHELL     = /bin/bash
.SHELLFLAGS = -o pipefail -c
VERSION   = 0.1.0
PKGS      = fcgi hiredis json-c sqlite3 libjwt libsodium

BUILD    ?= build/release
SANITIZE ?= 0

CC       ?= cc
OPT       = -O2
ifeq ($(SANITIZE),1)
OPT       = -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all
endif
# Fuzz targets for libFuzzer (make fuzz): clang, and libFuzzer's own main.
ifeq ($(SANITIZE),fuzz)
OPT       = -O1 -fno-omit-frame-pointer \
            -fsanitize=address,undefined,fuzzer-no-link
FUZZ_LINK = -fsanitize=fuzzer
FUZZ_MAIN =
else
FUZZ_MAIN = $(BUILD)/obj/tests/fuzz/replay.o
endif
CPPFLAGS += -Ilib -Iworker -I$(BUILD)/gen -DVERSION='"$(VERSION)"' \
            -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS   += -std=c11 -g $(OPT) -Wall -Wextra -Werror -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
LDFLAGS  += $(OPT) -Wl,--as-needed
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_SRC   = $(wildcard lib/*.c)
CUST_SRC  = $(wildcard cgi/customers/*.c)
ACCT_SRC  = $(wildcard cgi/accounts/*.c)
WORK_SRC  = $(wildcard worker/*.c)
UNIT_SRC  = $(wildcard tests/unit/*.c)
# Parts of the worker and of the accounts service are unit-tested too.
UNIT_DEPS = $(BUILD)/obj/worker/event.o $(BUILD)/obj/worker/pace.o \
            $(BUILD)/obj/cgi/accounts/list_cache.o
$(BUILD)/obj/tests/unit/test_list_cache.o: CPPFLAGS += -Icgi/accounts

obj       = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
BIN       = $(BUILD)/bin
PROGRAMS  = $(BIN)/customers.fcgi $(BIN)/accounts.fcgi $(BIN)/worker \
            $(BIN)/setup
GEN       = $(BUILD)/gen/events_lua.h $(BUILD)/gen/schema_sql.h
FUZZ_TARGETS = request event
FUZZ_BINS = $(patsubst %,$(BIN)/fuzz_%,$(FUZZ_TARGETS))

.PHONY: all programs run test test-faults unit bats faults check clean deps \
        fuzz fuzz-replay install bench bench-deps bench-programs
all: programs
programs: $(PROGRAMS)

# A C string literal from a text file, so that the programs carry the
# Redis Function library and the SQLite schema they were built with.
define embed
	@mkdir -p $(@D)
	{ echo 'static const char $(2)[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(1); \
	  echo ';'; } > $@.tmp && mv $@.tmp $@
endef
$(BUILD)/gen/events_lua.h: db/events.lua
	$(call embed,$<,events_lua)
$(BUILD)/gen/schema_sql.h: db/schema.sql
	$(call embed,$<,schema_sql)

$(BUILD)/obj/%.o: %.c $(GEN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libshared.a: $(call obj,$(LIB_SRC))
	$(AR) rcs $@ $^

$(BIN)/customers.fcgi: $(call obj,$(CUST_SRC)) $(BUILD)/libshared.a
$(BIN)/accounts.fcgi: $(call obj,$(ACCT_SRC)) $(BUILD)/libshared.a
$(BIN)/worker: $(call obj,$(WORK_SRC)) $(BUILD)/libshared.a
$(BIN)/setup: $(call obj,tools/setup.c) $(BUILD)/libshared.a
$(BIN)/unit_tests: $(call obj,$(UNIT_SRC)) $(UNIT_DEPS) $(BUILD)/libshared.a
$(BIN)/fuzz_request: $(call obj,tests/fuzz/fuzz_request.c) $(FUZZ_MAIN) \
    $(BUILD)/libshared.a
$(BIN)/fuzz_event: $(call obj,tests/fuzz/fuzz_event.c) \
    $(BUILD)/obj/worker/event.o $(FUZZ_MAIN) $(BUILD)/libshared.a
# The benchmark's own programs: ceilings and probes, never installed.
BENCH_BIN = $(BUILD)/bench
BENCH_PROGRAMS = $(BENCH_BIN)/fcgi_fixed $(BENCH_BIN)/fcgi_xadd \
            $(BENCH_BIN)/stream_reader $(BENCH_BIN)/freshness
$(BENCH_BIN)/fcgi_fixed: $(call obj,bench/fcgi_fixed.c)
$(BENCH_BIN)/fcgi_xadd: $(call obj,bench/fcgi_xadd.c)
$(BENCH_BIN)/stream_reader: $(call obj,bench/stream_reader.c)
$(BENCH_BIN)/freshness: $(call obj,bench/freshness.c)
$(BENCH_BIN)/freshness: LDLIBS += -lpthread
$(PROGRAMS) $(BIN)/unit_tests $(FUZZ_BINS) $(BENCH_PROGRAMS):
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(FUZZ_LINK) -o $@ $^ $(LDLIBS)

deps:
	@scripts/deps.sh

# Programs to bin/ (microsvc-worker, microsvc-setup) and libexec/microsvc/
# (the FastCGI programs); configs and systemd units to share/microsvc/.
PREFIX  ?= /usr/local
SHARE    = $(DESTDIR)$(PREFIX)/share/microsvc
install: programs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/microsvc \
	    $(SHARE)/systemd
	install -m 755 $(BIN)/worker $(DESTDIR)$(PREFIX)/bin/microsvc-worker
	install -m 755 $(BIN)/setup $(DESTDIR)$(PREFIX)/bin/microsvc-setup
	install -m 755 $(BIN)/customers.fcgi $(BIN)/accounts.fcgi \
	    $(DESTDIR)$(PREFIX)/libexec/microsvc/
	install -m 644 lighttpd.conf deploy/lighttpd-spawn.conf \
	    deploy/lighttpd-tcp.conf db/events.lua \
	    db/schema.sql $(SHARE)/
	install -m 644 deploy/systemd/microsvc.env $(SHARE)/systemd/
	for u in deploy/systemd/*.service; do \
	    sed 's|@PREFIX@|$(PREFIX)|g' $$u >$(SHARE)/systemd/$${u##*/} || exit 1; \
	done

run: deps
	@$(MAKE) --no-print-directory programs
	@BIN_DIR=$(BIN) scripts/run.sh

# The test build: sanitizers on, so any report fails the run.
TEST_BUILD = build/asan
test: deps
	@$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) SANITIZE=1 \
	    programs $(TEST_BUILD)/bin/unit_tests \
	    $(patsubst %,$(TEST_BUILD)/bin/fuzz_%,$(FUZZ_TARGETS))
	@$(MAKE) --no-print-directory check unit fuzz-replay bats

unit:
	$(TEST_BUILD)/bin/unit_tests

# Every input in the tree's corpus, once, under ASan/UBSan.
fuzz-replay:
	@for t in $(FUZZ_TARGETS); do \
	    $(TEST_BUILD)/bin/fuzz_$$t tests/fuzz/corpus/$$t/* || exit 1; \
	done

# libFuzzer for FUZZ_SECONDS per target.  New inputs go to build/fuzz/;
# a crash is saved as build/fuzz/crash-*: copy it into tests/fuzz/corpus/
# with the fix, and make test replays it from then on.
FUZZ_SECONDS ?= 60
FUZZ_BUILD = build/fuzz
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang and libclang-rt-14-dev"; exit 1; }
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) SANITIZE=fuzz CC=clang \
	    $(patsubst %,$(FUZZ_BUILD)/bin/fuzz_%,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	    $(FUZZ_BUILD)/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=4096 -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
	        $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# bats speaks TAP; the last line sums it up as "N passed, N failed".
TAP_SUM = awk '{ print } \
	    /^ok .* \# skip/ { s++; next } /^ok / { p++ } /^not ok / { f++ } \
	    END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
# make test runs the fault tests too, with a few kill rounds.
bats:
	BIN_DIR=$(TEST_BUILD)/bin FAULT_ROUNDS=$(FAULT_ROUNDS_SHORT) \
	    bats --timing tests/ tests/faults/ | $(TAP_SUM)

# The fault tests (tests/faults/): kill, stop and corrupt things on purpose.
FAULT_ROUNDS ?= 25
FAULT_ROUNDS_SHORT = 5
test-faults: deps
	@$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) SANITIZE=1 programs
	@$(MAKE) --no-print-directory faults
faults:
	BIN_DIR=$(TEST_BUILD)/bin FAULT_ROUNDS=$(FAULT_ROUNDS) \
	    bats --timing tests/faults/ | $(TAP_SUM)

# Not part of `make test`: a release build on a private instance, about
# ten minutes; see bench/run.sh.  Sanitizers would measure themselves.
bench: bench-deps
	@$(MAKE) --no-print-directory BUILD=build/release SANITIZE=0 \
	    programs bench-programs
	@BIN_DIR=build/release/bin BENCH_BIN=build/release/bench bench/run.sh

bench-programs: $(BENCH_PROGRAMS)

bench-deps: deps
	@missing=; for p in wrk gnuplot; do \
	    command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk gnuplot-nox; \
	else \
	    echo "bench needs:$$missing; run: sudo apt-get install wrk gnuplot-nox"; \
	    exit 1; fi

check:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --std=c11 -Ilib --suppress=missingIncludeSystem \
	    lib cgi worker tools tests/unit tests/fuzz bench

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
