# Build, demo and test entry points. `make help` lists them.
#
# C programs live in src/<program>/ and stand on src/common/, which is built
# as a static archive (build/libcommon.a, build/asan/libcommon.a): each
# program links only the common objects it uses, so a program that never
# calls the HTTP client does not pull in libcurl (tests/static/test_linkage.sh
# checks that for the queue exporter). Each program's src/<program>/module.mk
# names the pkg-config packages it links against:
#     <program>_PKGS := libpq libmicrohttpd
# `make` builds release binaries into build/; `make asan` builds the same
# programs with AddressSanitizer + UBSan into build/asan/ (used by the tests).
# Unit tests are tests/unit/<dir>/test_<module>.c (cmocka); they link the
# program's objects except main.o, plus libcommon.a.

CC       ?= cc
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
CSTD     := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
DEPFLAGS := -MMD -MP
CFLAGS_RELEASE := $(CSTD) $(WARN) -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -DVERSION='"$(VERSION)"'
CFLAGS_ASAN    := $(CSTD) $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -DVERSION='"$(VERSION)"'
LDFLAGS_ASAN   := -fsanitize=address,undefined

PROGRAMS :=
include $(wildcard src/*/module.mk)

# Libraries src/common is compiled against. Only the headers are used here;
# what a program links is its own <program>_PKGS.
COMMON_PKGS    := libcurl libpq libmicrohttpd libcjson yaml-0.1
COMMON_SRCS    := $(wildcard src/common/*.c)
COMMON_CFLAGS  := $(shell pkg-config --cflags $(COMMON_PKGS) 2>/dev/null)
COMMON_LDLIBS  := $(shell pkg-config --libs $(COMMON_PKGS) 2>/dev/null)
COMMON_OBJS      := $(patsubst src/common/%.c,build/obj/common/%.o,$(COMMON_SRCS))
COMMON_ASAN_OBJS := $(patsubst src/common/%.c,build/asan/obj/common/%.o,$(COMMON_SRCS))

.PHONY: all asan unit-tests test demo demo-stop demo-status clean format format-check help

all: $(addprefix build/,$(PROGRAMS))

asan: $(addprefix build/asan/,$(PROGRAMS))

help:
	@echo "make            build the C programs into build/"
	@echo "make demo       start the native loopback stack (no Docker needed)"
	@echo "make demo-stop  stop it; make demo-status shows it"
	@echo "make test       install test dependencies and run every test (same as .ci/run)"
	@echo "make format     clang-format every C file"

build/obj/common/%.o: src/common/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) $(DEPFLAGS) -Isrc/common $(COMMON_CFLAGS) -c -o $@ $<
build/asan/obj/common/%.o: src/common/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) $(DEPFLAGS) -Isrc/common $(COMMON_CFLAGS) -c -o $@ $<
build/libcommon.a: $(COMMON_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^
build/asan/libcommon.a: $(COMMON_ASAN_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# One template per program: release binary, sanitizer binary, unit tests.
# Program objects come before libcommon.a on the link line so the archive
# supplies only what they reference. <program>_LINK_FROM names objects of
# other programs linked in too (the doctor links the programs' env tables),
# <program>_TEST_LINK_FROM more of them for its unit tests only.
define PROGRAM_template
$(1)_SRCS      := $$(wildcard src/$(1)/*.c)
$(1)_OBJS      := $$(patsubst src/$(1)/%.c,build/obj/$(1)/%.o,$$($(1)_SRCS)) $$(patsubst %,build/obj/%.o,$$($(1)_LINK_FROM))
$(1)_ASAN_OBJS := $$(patsubst src/$(1)/%.c,build/asan/obj/$(1)/%.o,$$($(1)_SRCS)) $$(patsubst %,build/asan/obj/%.o,$$($(1)_LINK_FROM))
$(1)_LIB_OBJS  := $$(filter-out %/main.o,$$($(1)_ASAN_OBJS)) $$(patsubst %,build/asan/obj/%.o,$$($(1)_TEST_LINK_FROM))
# Without all of a program's packages (the doctor's image builds only the
# daily report's env table and SQL, not its cairo drawing) its objects get
# the common flags: an object that needs more fails naming the header.
$(1)_CFLAGS    := $$(shell pkg-config --cflags $$($(1)_PKGS) $(COMMON_PKGS) 2>/dev/null || pkg-config --cflags $(COMMON_PKGS) 2>/dev/null)
$(1)_LDLIBS    := $$(shell pkg-config --libs $$($(1)_PKGS) 2>/dev/null) $$($(1)_EXTRA_LIBS)
$(1)_TESTS     := $$(patsubst tests/unit/$(1)/%.c,build/tests/$(1)/%,$$(wildcard tests/unit/$(1)/test_*.c))

build/obj/$(1)/%.o: src/$(1)/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_RELEASE) $$(DEPFLAGS) -Isrc/common -Isrc/$(1) $$($(1)_CFLAGS) -c -o $$@ $$<
build/asan/obj/$(1)/%.o: src/$(1)/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ASAN) $$(DEPFLAGS) -Isrc/common -Isrc/$(1) $$($(1)_CFLAGS) -c -o $$@ $$<

build/$(1): $$($(1)_OBJS) build/libcommon.a | build
	$$(CC) $$(CFLAGS_RELEASE) -o $$@ $$($(1)_OBJS) build/libcommon.a $$($(1)_LDLIBS) -lm

build/asan/$(1): $$($(1)_ASAN_OBJS) build/asan/libcommon.a | build/asan
	$$(CC) $$(CFLAGS_ASAN) -o $$@ $$($(1)_ASAN_OBJS) build/asan/libcommon.a $$($(1)_LDLIBS) -lm $$(LDFLAGS_ASAN)

build/tests/$(1)/%: tests/unit/$(1)/%.c $$($(1)_LIB_OBJS) build/asan/libcommon.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ASAN) $$(DEPFLAGS) -Isrc/common -Isrc/$(1) -Itests/unit $$($(1)_CFLAGS) -o $$@ $$< $$($(1)_LIB_OBJS) build/asan/libcommon.a $$($(1)_LDLIBS) $(COMMON_LDLIBS) -lcmocka -lm $$(LDFLAGS_ASAN)

UNIT_TESTS += $$($(1)_TESTS)
DEPFILES   += $$($(1)_OBJS:.o=.d) $$($(1)_ASAN_OBJS:.o=.d) $$(addsuffix .d,$$($(1)_TESTS))
endef
$(foreach p,$(PROGRAMS),$(eval $(call PROGRAM_template,$(p))))

# Unit tests of src/common alone.
COMMON_TESTS := $(patsubst tests/unit/common/%.c,build/tests/common/%,$(wildcard tests/unit/common/test_*.c))
build/tests/common/%: tests/unit/common/%.c build/asan/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) $(DEPFLAGS) -Isrc/common -Itests/unit $(COMMON_CFLAGS) -o $@ $< build/asan/libcommon.a $(COMMON_LDLIBS) -lcmocka -lm $(LDFLAGS_ASAN)
UNIT_TESTS += $(COMMON_TESTS)
DEPFILES   += $(COMMON_OBJS:.o=.d) $(COMMON_ASAN_OBJS:.o=.d) $(addsuffix .d,$(COMMON_TESTS))
-include $(DEPFILES)

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
