# Build, demo and test entry points. `make help` lists them.
#
# C programs live in src/<program>/ and share src/common/. Each program's
# src/<program>/module.mk names the pkg-config packages it links against:
#     <program>_PKGS := libpq libmicrohttpd
# `make` builds release binaries into build/; `make asan` builds the same
# programs with AddressSanitizer + UBSan into build/asan/ (used by the tests).
# Unit tests are tests/unit/<program>/test_*.c (cmocka); they link the
# program's sources except main.c, plus src/common.

CC       ?= cc
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
CSTD     := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
CFLAGS_RELEASE := $(CSTD) $(WARN) -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -DVERSION='"$(VERSION)"'
CFLAGS_ASAN    := $(CSTD) $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -DVERSION='"$(VERSION)"'
LDFLAGS_ASAN   := -fsanitize=address,undefined

PROGRAMS :=
include $(wildcard src/*/module.mk)

COMMON_SRCS := $(wildcard src/common/*.c)
COMMON_PKGS ?=

.PHONY: all asan unit-tests test demo demo-stop demo-status clean format format-check help

all: $(addprefix build/,$(PROGRAMS))

asan: $(addprefix build/asan/,$(PROGRAMS))

help:
	@echo "make            build the C programs into build/"
	@echo "make demo       start the native loopback stack (no Docker needed)"
	@echo "make demo-stop  stop it; make demo-status shows it"
	@echo "make test       install test dependencies and run every test (same as .ci/run)"
	@echo "make format     clang-format every C file"

# One template per program: release binary, sanitizer binary, unit tests.
define PROGRAM_template
$(1)_SRCS     := $$(wildcard src/$(1)/*.c)
$(1)_LIBSRCS  := $$(filter-out src/$(1)/main.c,$$($(1)_SRCS))
$(1)_CFLAGS   := $$(shell pkg-config --cflags $$($(1)_PKGS) $(COMMON_PKGS) 2>/dev/null)
$(1)_LDLIBS   := $$(shell pkg-config --libs $$($(1)_PKGS) $(COMMON_PKGS) 2>/dev/null) $$($(1)_EXTRA_LIBS)
$(1)_TESTS    := $$(patsubst tests/unit/$(1)/%.c,build/tests/$(1)/%,$$(wildcard tests/unit/$(1)/test_*.c))

build/$(1): $$($(1)_SRCS) $$(COMMON_SRCS) $$(wildcard src/$(1)/*.h src/common/*.h) | build
	$$(CC) $$(CFLAGS_RELEASE) -Isrc/common -Isrc/$(1) $$($(1)_CFLAGS) -o $$@ $$($(1)_SRCS) $$(COMMON_SRCS) $$($(1)_LDLIBS) -lm

build/asan/$(1): $$($(1)_SRCS) $$(COMMON_SRCS) $$(wildcard src/$(1)/*.h src/common/*.h) | build/asan
	$$(CC) $$(CFLAGS_ASAN) -Isrc/common -Isrc/$(1) $$($(1)_CFLAGS) -o $$@ $$($(1)_SRCS) $$(COMMON_SRCS) $$($(1)_LDLIBS) -lm $$(LDFLAGS_ASAN)

build/tests/$(1)/%: tests/unit/$(1)/%.c $$($(1)_LIBSRCS) $$(COMMON_SRCS) $$(wildcard src/$(1)/*.h src/common/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ASAN) -Isrc/common -Isrc/$(1) $$($(1)_CFLAGS) -o $$@ $$< $$($(1)_LIBSRCS) $$(COMMON_SRCS) $$($(1)_LDLIBS) -lcmocka -lm $$(LDFLAGS_ASAN)

UNIT_TESTS += $$($(1)_TESTS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call PROGRAM_template,$(p))))

# Unit tests of src/common alone.
COMMON_TESTS := $(patsubst tests/unit/common/%.c,build/tests/common/%,$(wildcard tests/unit/common/test_*.c))
build/tests/common/%: tests/unit/common/%.c $(COMMON_SRCS) $(wildcard src/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -Isrc/common -o $@ $< $(COMMON_SRCS) $(shell pkg-config --libs $(COMMON_PKGS) 2>/dev/null) -lcmocka -lm $(LDFLAGS_ASAN)
UNIT_TESTS += $(COMMON_TESTS)

unit-tests: $(UNIT_TESTS)

build build/asan:
	@mkdir -p $@

# The README's two commands.
demo:
	@tests/install-deps.sh --demo
	@$(MAKE) -s all
	@local/stack.sh start
demo-stop:
	@local/stack.sh stop
demo-status:
	@local/stack.sh status
test:
	@tests/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c')
format-check:
	clang-format --dry-run -Werror $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c')

clean:
	rm -rf build
