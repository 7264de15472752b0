# Build, run and test the customers/accounts services and the projector.
#   make run    install what is missing (as root), build, run in the foreground
#   make test   build with ASan/UBSan and run the unit and bats tests
#   make test-faults  the fault tests alone, the long version (kill rounds)
#   make        build the programs into build/release/bin

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
# The worker's event decoding is unit-tested too.
UNIT_DEPS = $(BUILD)/obj/worker/event.o

obj       = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
BIN       = $(BUILD)/bin
PROGRAMS  = $(BIN)/customers.fcgi $(BIN)/accounts.fcgi $(BIN)/worker \
            $(BIN)/setup
GEN       = $(BUILD)/gen/events_lua.h $(BUILD)/gen/schema_sql.h

.PHONY: all programs run test test-faults unit bats faults check clean deps
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
$(PROGRAMS) $(BIN)/unit_tests:
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory programs
	@BIN_DIR=$(BIN) scripts/run.sh

# The test build: sanitizers on, so any report fails the run.
TEST_BUILD = build/asan
test: deps
	@$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) SANITIZE=1 \
	    programs $(TEST_BUILD)/bin/unit_tests
	@$(MAKE) --no-print-directory check unit bats

unit:
	$(TEST_BUILD)/bin/unit_tests

# bats speaks TAP; the last line sums it up as "N passed, N failed".
TAP_SUM = awk '{ print } /^ok / { p++ } /^not ok / { f++ } \
	    END { printf "%d passed, %d failed\n", p, f }'
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

check:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --std=c11 -Ilib --suppress=missingIncludeSystem \
	    lib cgi worker tools tests/unit

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
