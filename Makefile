# Build, run and test the customers/accounts services and the projector.
#   make run    install what is missing (as root), build, run in the foreground
#   make test   build with ASan/UBSan and run the unit and bats tests
#   make test-faults  the fault tests alone, the long version (kill rounds)
#   make        build the programs into build/release/bin
#   make bench  measure the release build against its own ceilings (bench/)
#   make deb    the Debian package, into build/deb/ (docs/package.md)

SHELL     = /bin/bash
.SHELLFLAGS = -o pipefail -c
VERSION   = 0.1.0

BUILD    ?= build/release
SANITIZE ?= 0

CC       ?= cc
HOSTCC   ?= cc
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

# The layers, lowest first.  Each folder's objects see only the headers
# of the layers below them, so a layer cannot use one above it:
#   lib/core   log, clock, config, decoding, the contract and its events,
#              the Redis connection, commands, the stream
#   lib/http   requests, answers, routes, the FastCGI loop, tokens,
#              metrics, the shared command handlers
#   lib/archive  the event archive's segments on disk: their format,
#              writer and reader (docs/archive.md); beside lib/http,
#              on lib/core alone
#   db         the read model's contract: its schema, its SQL, the
#              worker's health line
CORE_INC  = -Ilib/core
HTTP_INC  = $(CORE_INC) -Ilib/http
DB_INC    = $(CORE_INC) -Idb
ARCH_INC  = $(CORE_INC) -Ilib/archive
CORE_PKGS = hiredis json-c
HTTP_PKGS = fcgi libjwt libsodium
DB_PKGS   = sqlite3
# The archive's: the worker reads it (docs/archive.md).
ARCH_PKGS = libzstd zlib libsodium
pkg       = $(shell pkg-config --$(1) $(2) 2>/dev/null)

# Text made from the tree, the same for every build.
GEN       = build/gen
CPPFLAGS += -I$(GEN) -DVERSION='"$(VERSION)"' \
            -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS   += -std=c11 -g $(OPT) -Wall -Wextra -Werror -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            $(call pkg,cflags,$(CORE_PKGS) $(HTTP_PKGS) $(DB_PKGS) libsodium) \
            $(call pkg,cflags,$(ARCH_PKGS)) \
            -MMD -MP
LDFLAGS  += $(OPT) -Wl,--as-needed

$(BUILD)/obj/lib/core/%.o:      INC = $(CORE_INC)
$(BUILD)/obj/lib/http/%.o:      INC = $(HTTP_INC)
$(BUILD)/obj/db/%.o:            INC = $(DB_INC)
$(BUILD)/obj/lib/archive/%.o:   INC = $(ARCH_INC)
$(BUILD)/obj/worker/%.o:        INC = $(DB_INC) -Ilib/archive -Iworker
$(BUILD)/obj/archiver/%.o:      INC = $(ARCH_INC) -Iarchiver
$(BUILD)/obj/tools/%.o:         INC = $(CORE_INC)
$(BUILD)/obj/cgi/customers/%.o: INC = $(HTTP_INC)
$(BUILD)/obj/cgi/accounts/%.o:  INC = $(HTTP_INC) -Idb -Icgi/accounts
$(BUILD)/obj/tests/%.o:         INC = $(HTTP_INC) -Idb -Iworker -Icgi/accounts \
                                      -Ilib/archive
$(BUILD)/obj/bench/%.o:         INC =
$(BUILD)/obj/bench/archive_size.o: INC = $(ARCH_INC)

obj       = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CORE_LIB  = $(BUILD)/libcore.a
HTTP_LIB  = $(BUILD)/libhttp.a
DB_LIB    = $(BUILD)/libdb.a
ARCH_LIB  = $(BUILD)/libevarchive.a
CUST_OBJ  = $(call obj,$(wildcard cgi/customers/*.c))
ACCT_OBJ  = $(call obj,$(wildcard cgi/accounts/*.c))
WORK_OBJ  = $(call obj,$(wildcard worker/*.c))
ARCV_OBJ  = $(call obj,$(wildcard archiver/*.c))
UNIT_OBJ  = $(call obj,$(wildcard tests/unit/*.c))
# Parts of the worker and of the accounts service are unit-tested too.
UNIT_DEPS = $(filter-out %/main.o,$(WORK_OBJ)) \
            $(BUILD)/obj/cgi/accounts/list_cache.o

BIN       = $(BUILD)/bin
PROGRAMS  = $(BIN)/customers.fcgi $(BIN)/accounts.fcgi $(BIN)/worker \
            $(BIN)/setup $(BIN)/archiver
FUZZ_TARGETS = request event segment
FUZZ_BINS = $(patsubst %,$(BIN)/fuzz_%,$(FUZZ_TARGETS))

.PHONY: all programs run test test-faults unit bats faults check clean deps \
        fuzz fuzz-replay install bench bench-deps bench-programs man deb \
        deb-lint
all: programs
programs: $(PROGRAMS)

# The Redis Function library: the contract as Lua, from the C table
# (tools/contract_lua), then db/events.lua, db/login.lua,
# db/retention.lua and db/restore.lua.
$(GEN)/contract_lua: tools/contract_lua.c lib/core/contract.c \
    lib/core/contract.h
	@mkdir -p $(@D)
	$(HOSTCC) -std=c11 -Wall -Wextra -Werror $(CORE_INC) -o $@ \
	    tools/contract_lua.c lib/core/contract.c
$(GEN)/events.lua: $(GEN)/contract_lua db/events.lua db/login.lua \
    db/retention.lua db/restore.lua
	{ $(GEN)/contract_lua && cat db/events.lua db/login.lua \
	    db/retention.lua db/restore.lua; } > $@.tmp && \
	    mv $@.tmp $@

# A C string literal from a text file, so that the programs carry the
# Redis Function library and the SQLite schema they were built with.
define embed
	@mkdir -p $(@D)
	{ echo 'static const char $(2)[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(1); \
	  echo ';'; } > $@.tmp && mv $@.tmp $@
endef
$(GEN)/events_lua.h: $(GEN)/events.lua
	$(call embed,$<,events_lua)
$(GEN)/schema_sql.h: db/schema.sql
	$(call embed,$<,schema_sql)
$(BUILD)/obj/lib/core/command.o: $(GEN)/events_lua.h
$(BUILD)/obj/db/read_model.o: $(GEN)/schema_sql.h

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(INC) $(CFLAGS) -c -o $@ $<

$(CORE_LIB): $(call obj,$(wildcard lib/core/*.c))
$(HTTP_LIB): $(call obj,$(wildcard lib/http/*.c))
$(DB_LIB): $(call obj,$(wildcard db/*.c))
$(ARCH_LIB): $(call obj,$(wildcard lib/archive/*.c))
$(CORE_LIB) $(HTTP_LIB) $(DB_LIB) $(ARCH_LIB):
	$(AR) rcs $@ $^

# Each program links the layers it uses, and only their packages: the
# worker and setup carry no FastCGI and no HTTP.
$(BIN)/customers.fcgi: $(CUST_OBJ) $(HTTP_LIB) $(CORE_LIB)
$(BIN)/customers.fcgi: LIBS = $(HTTP_PKGS) $(CORE_PKGS)
$(BIN)/accounts.fcgi: $(ACCT_OBJ) $(HTTP_LIB) $(DB_LIB) $(CORE_LIB)
$(BIN)/accounts.fcgi: LIBS = $(HTTP_PKGS) $(DB_PKGS) libsodium $(CORE_PKGS)
$(BIN)/worker: $(WORK_OBJ) $(DB_LIB) $(ARCH_LIB) $(CORE_LIB)
$(BIN)/worker: LIBS = $(DB_PKGS) $(ARCH_PKGS) $(CORE_PKGS)
$(BIN)/archiver: $(ARCV_OBJ) $(ARCH_LIB) $(CORE_LIB)
$(BIN)/archiver: LIBS = $(ARCH_PKGS) $(CORE_PKGS)
$(BIN)/setup: $(call obj,tools/setup.c tools/redis_acl.c \
    tools/invoices_migrate.c) $(CORE_LIB)
$(BIN)/setup: LIBS = libsodium $(CORE_PKGS)
$(BIN)/unit_tests: $(UNIT_OBJ) $(UNIT_DEPS) $(HTTP_LIB) $(DB_LIB) \
    $(ARCH_LIB) $(CORE_LIB)
$(BIN)/unit_tests: LIBS = $(HTTP_PKGS) $(DB_PKGS) $(ARCH_PKGS) $(CORE_PKGS)
$(BIN)/fuzz_request: $(call obj,tests/fuzz/fuzz_request.c) $(FUZZ_MAIN) \
    $(HTTP_LIB) $(CORE_LIB)
$(BIN)/fuzz_request: LIBS = $(HTTP_PKGS) $(CORE_PKGS)
$(BIN)/fuzz_event: $(call obj,tests/fuzz/fuzz_event.c) $(FUZZ_MAIN) \
    $(CORE_LIB)
$(BIN)/fuzz_event: LIBS = $(CORE_PKGS)
$(BIN)/fuzz_segment: $(call obj,tests/fuzz/fuzz_segment.c) $(FUZZ_MAIN) \
    $(ARCH_LIB) $(CORE_LIB)
$(BIN)/fuzz_segment: LIBS = $(ARCH_PKGS) $(CORE_PKGS)
# The benchmark's own programs: ceilings and probes, never installed.
BENCH_BIN = $(BUILD)/bench
BENCH_PROGRAMS = $(BENCH_BIN)/fcgi_fixed $(BENCH_BIN)/fcgi_xadd \
            $(BENCH_BIN)/stream_reader $(BENCH_BIN)/freshness
$(BENCH_BIN)/fcgi_fixed: $(call obj,bench/fcgi_fixed.c)
$(BENCH_BIN)/fcgi_xadd: $(call obj,bench/fcgi_xadd.c)
$(BENCH_BIN)/stream_reader: $(call obj,bench/stream_reader.c)
$(BENCH_BIN)/freshness: $(call obj,bench/freshness.c)
$(BENCH_PROGRAMS): LIBS = fcgi $(CORE_PKGS)
$(BENCH_BIN)/freshness: LDLIBS += -lpthread
# The archive's sizes and speeds with and without zstd (docs/archive.md);
# not part of bench/run.sh: it measures no service.
$(BENCH_BIN)/archive_size: $(call obj,bench/archive_size.c) $(ARCH_LIB) \
    $(CORE_LIB)
$(BENCH_BIN)/archive_size: LIBS = $(ARCH_PKGS) $(CORE_PKGS)
$(PROGRAMS) $(BIN)/unit_tests $(FUZZ_BINS) $(BENCH_PROGRAMS) \
    $(BENCH_BIN)/archive_size:
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(FUZZ_LINK) -o $@ $^ $(call pkg,libs,$(LIBS)) $(LDLIBS)

deps:
	@scripts/deps.sh

# The man pages, one per program, from man/*.8.in and the one table of
# the variables the programs read (man/environment; man/build fails when
# the code reads one the table lacks).
MAN_PAGES = customers.fcgi.8 accounts.fcgi.8 microsvc-worker.8 microsvc-setup.8 \
            microsvc-archiver.8
man: $(BUILD)/man/customers.fcgi.8
$(BUILD)/man/customers.fcgi.8: man/build man/environment $(wildcard man/*.8.in) \
    lib/core/config.c
	man/build $(@D) $(VERSION)

# Programs to bin/ (microsvc-worker, microsvc-archiver, microsvc-setup) and
# libexec/microsvc/
# (the FastCGI programs); the Redis Function library, the schema and the
# systemd units to share/microsvc/; the configs (lighttpd's, the
# nftables ruleset) to CONFDIR, share/microsvc/ unless told (the Debian
# package: /etc/microsvc); the man pages to share/man/man8/.
PREFIX  ?= /usr/local
SHARE    = $(DESTDIR)$(PREFIX)/share/microsvc
CONFDIR ?= $(PREFIX)/share/microsvc
SUBST    = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@CONFDIR@|$(CONFDIR)|g'
install: programs man $(GEN)/events.lua
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/microsvc \
	    $(SHARE)/systemd $(DESTDIR)$(CONFDIR) $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(BIN)/worker $(DESTDIR)$(PREFIX)/bin/microsvc-worker
	install -m 755 $(BIN)/archiver $(DESTDIR)$(PREFIX)/bin/microsvc-archiver
	install -m 755 $(BIN)/setup $(DESTDIR)$(PREFIX)/bin/microsvc-setup
	install -m 755 $(BIN)/customers.fcgi $(BIN)/accounts.fcgi \
	    $(DESTDIR)$(PREFIX)/libexec/microsvc/
	install -m 644 lighttpd.conf deploy/lighttpd-spawn.conf \
	    deploy/lighttpd-tcp.conf deploy/lighttpd-common.conf \
	    deploy/nftables/microsvc.nft $(DESTDIR)$(CONFDIR)/
	install -m 644 $(GEN)/events.lua db/schema.sql $(SHARE)/
	install -m 644 $(addprefix $(BUILD)/man/,$(MAN_PAGES)) \
	    $(DESTDIR)$(PREFIX)/share/man/man8/
	$(SUBST) deploy/systemd/microsvc.env >$(SHARE)/systemd/microsvc.env
	sed -e 's|@LOG_DIR@|/var/log/microsvc|g' -e 's|@SU@|su microsvc microsvc|' \
	    -e 's|@REOPEN@|systemctl kill --signal=HUP microsvc-lighttpd.service|' \
	    deploy/logrotate/microsvc.in >$(SHARE)/logrotate
	for u in deploy/systemd/*.service; do \
	    $(SUBST) $$u >$(SHARE)/systemd/$${u##*/} || exit 1; \
	done

# The Debian package (debian/), built by dpkg-buildpackage from a copy of
# the tree's files (git's, untracked ones included, ignored ones not) in
# build/deb/src, so that it touches neither build/ nor the folder above
# the tree; the .deb, .changes and .buildinfo land in build/deb/.
DEB_DIR = build/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	if [ -e .git ]; then \
	    git ls-files -z --cached --others --exclude-standard | \
	        xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	        xargs -0 cp -P --parents -t $(DEB_DIR)/src; \
	else \
	    tar -c --exclude=./build --exclude=./var . | tar -x -C $(DEB_DIR)/src; \
	fi
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b -jauto
	@ls $(DEB_DIR)/*.deb

# lintian on what make deb built: no error and no warning.
deb-lint:
	lintian --pedantic -I --fail-on error,warning $(DEB_DIR)/*.changes

run:
	@scripts/deps.sh --run
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
# eighteen minutes on 2 cores; see bench/run.sh.  Sanitizers would measure themselves.
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
	    --std=c11 -Ilib/core -Ilib/http -Ilib/archive -Idb --suppress=missingIncludeSystem \
	    lib cgi worker archiver tools db tests/unit tests/fuzz bench
	scripts/check-shape.sh $(TEST_BUILD)/bin

clean:
	rm -rf build

# Not build/deb: make deb's copy of the tree builds there with its own.
-include $(shell find build -path build/deb -prune -o -name '*.d' -print 2>/dev/null)
