# moat-kv - a hardened, privilege-separated MoaT-KV server in C.
#
# Layout: one folder per process (moatd = the master, core, netd, syncd,
# authd, runnerd), cli/ for moatctl, ipc/ for the IPC library, lib/ for
# code every process shares.  In each process folder main.c holds main();
# every other .c file goes into a per-folder archive that the unit tests
# link too, so tests run the real daemon code.
#
# Targets: all, check, sanitize, valgrind, valgrind-children, bench,
# bench-sync, run,
# install, clean.  B selects the build directory (make sanitize uses
# build-san, make valgrind-children build-vg).

B        ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
SBINDIR   = $(PREFIX)/sbin
LIBEXEC   = $(PREFIX)/libexec/moat
MANDIR    = $(PREFIX)/share/man
ETCDIR    = $(PREFIX)/etc/moat

CC       ?= gcc
OPT      ?= -O2 -g
CFLAGS   += $(OPT) -std=gnu11 -Wall -Wextra -Werror -Wshadow \
	    -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter \
	    -D_GNU_SOURCE -I. -DLIBEXECDIR='"$(LIBEXEC)"'
LDFLAGS  += -Wl,--as-needed
ifdef SAN
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=all -DMOAT_SANITIZE
LDFLAGS  += -fsanitize=address,undefined
endif
ifdef VG
CFLAGS   += -DMOAT_VALGRIND
endif

PKG_BASE    = msgpack libevent_core libbsd libseccomp
PKG_moatd   = $(PKG_BASE) yaml-0.1
PKG_core    = $(PKG_BASE) libsodium
PKG_netd    = $(PKG_BASE)
PKG_syncd   = $(PKG_BASE) libmosquitto
PKG_authd   = $(PKG_BASE) libsodium
PKG_runnerd = $(PKG_BASE)
PKG_cli     = $(PKG_BASE) yaml-0.1 libsodium libmosquitto
PKG_TEST    = $(PKG_BASE) yaml-0.1 libmosquitto libsodium check

pkgcflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pkglibs   = $(shell pkg-config --libs $(1) 2>/dev/null)
CFLAGS   += $(call pkgcflags,$(PKG_TEST))

PROCS     = moatd core netd syncd authd runnerd cli
# Archives of other folders a program links (only what it references
# is pulled in): syncd uses core's tick ranges and name table.  The unit
# tests link every archive as one group, so the order does not matter.
EXTRA_syncd = $(call modlib,core)
BINNAME_moatd   = moatd
BINNAME_cli     = moatctl
BINNAME_core    = moat-core
BINNAME_netd    = moat-netd
BINNAME_syncd   = moat-syncd
BINNAME_authd   = moat-authd
BINNAME_runnerd = moat-runnerd
BINS      = $(foreach p,$(PROCS),$(B)/bin/$(BINNAME_$(p)))

LIBMOAT_SRC = $(wildcard lib/*.c ipc/*.c)
LIBMOAT     = $(B)/libmoat.a
modsrc      = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))
modlib      = $(B)/lib$(1).a
MODLIBS     = $(foreach p,$(PROCS),$(call modlib,$(p)))

UNIT_SRC    = $(wildcard tests/unit/check_*.c)
UNIT_BINS   = $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
HELPER_SRC  = $(wildcard tests/helpers/*.c)
HELPER_BINS = $(patsubst tests/helpers/%.c,$(B)/tests/helpers/%,$(HELPER_SRC))

.PHONY: all deps check sanitize valgrind valgrind-children test bench bench-sync run install clean lint
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory build

deps:
	@sh scripts/deps.sh

build: $(BINS) $(UNIT_BINS) $(HELPER_BINS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBMOAT): $(patsubst %.c,$(B)/%.o,$(LIBMOAT_SRC))
	@mkdir -p $(dir $@)
	rm -f $@; ar rcs $@ $^

define PROC_RULES
$(call modlib,$(1)): $(patsubst %.c,$(B)/%.o,$(call modsrc,$(1))) | $(B)/.dir
	rm -f $$@; ar rcs $$@ $$^ $(B)/.empty.o
$(B)/bin/$(BINNAME_$(1)): $(B)/$(1)/main.o $(call modlib,$(1)) $(EXTRA_$(1)) $(LIBMOAT)
	@mkdir -p $$(dir $$@)
	$(CC) $(LDFLAGS) -o $$@ $$^ $$(call pkglibs,$(PKG_$(1))) -lm
endef
$(foreach p,$(PROCS),$(eval $(call PROC_RULES,$(p))))

# An archive may have no members yet; give ar one empty object.
$(B)/.dir:
	@mkdir -p $(B)
	echo 'typedef int moat_empty_unit;' > $(B)/.empty.c
	$(CC) -c -o $(B)/.empty.o $(B)/.empty.c
	touch $@

# Every suite links tests/unit/testutil.c: its main() and shared fixtures.
UNIT_UTIL   = $(B)/tests/unit/testutil.o
$(B)/tests/%: $(B)/tests/unit/%.o $(UNIT_UTIL) $(MODLIBS) $(LIBMOAT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(UNIT_UTIL) \
	    -Wl,--start-group $(MODLIBS) $(LIBMOAT) \
	    -Wl,--end-group $(call pkglibs,$(PKG_TEST)) -lm

# Stand-in programs the integration tests run in place of a child.
$(B)/tests/helpers/%: $(B)/tests/helpers/%.o $(LIBMOAT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(PKG_BASE))

check: deps
	@$(MAKE) --no-print-directory build
	@MOAT_BIN=$(CURDIR)/$(B)/bin MOAT_TESTS=$(CURDIR)/$(B)/tests \
	    sh tests/run.sh

test: check

sanitize: deps
	@$(MAKE) --no-print-directory B=build-san SAN=1 OPT="-O1 -g" check

# The unit suites under valgrind, in-process (CK_FORK=no) so it sees
# every test.  check_sandbox is left out: valgrind cannot run a process
# that installs a seccomp filter.
VG_SKIP = check_sandbox
valgrind: deps
	@$(MAKE) --no-print-directory build
	@fail=""; for t in $(filter-out $(VG_SKIP:%=$(B)/tests/%),$(UNIT_BINS)); do \
	    if CK_FORK=no valgrind -q --leak-check=full --error-exitcode=1 \
		$$t >$$t.vg 2>&1; then echo "valgrind $$t: clean"; \
	    else fail="$$fail $$t"; tail -40 $$t.vg; fi; done; \
	    [ -z "$$fail" ] || { echo "valgrind FAILED:$$fail"; exit 1; }

# The fuzz test against children that run under valgrind, from a
# build without seccomp filters (VG=1): valgrind cannot run under one.
valgrind-children: deps
	@$(MAKE) --no-print-directory B=build-vg VG=1 build
	@MOAT_BIN=$(CURDIR)/build-vg/bin sh tests/valgrind_children.sh

bench: deps
	@$(MAKE) --no-print-directory build
	@MOAT_BIN=$(CURDIR)/$(B)/bin sh tests/bench.sh

# Replication: a private mosquitto and three servers (tests/bench_repl.py).
bench-sync: deps
	@$(MAKE) --no-print-directory build
	@MOAT_BIN=$(CURDIR)/$(B)/bin /usr/bin/python3 tests/bench_repl.py

run: deps
	@$(MAKE) --no-print-directory build
	@mkdir -p run
	exec $(B)/bin/moatd -D $(CURDIR)/run -c etc/moatd.conf.example \
	    -C kv.server.mqtt.uri= $${NAME:-$$(hostname)}

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXEC) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(ETCDIR)
	install -m 755 $(B)/bin/moatd $(DESTDIR)$(SBINDIR)/moatd
	install -m 755 $(B)/bin/moatctl $(DESTDIR)$(BINDIR)/moatctl
	for p in core netd syncd authd runnerd; do \
	    install -m 755 $(B)/bin/moat-$$p $(DESTDIR)$(LIBEXEC)/moat-$$p; done
	install -m 644 man/moatd.8 man/moatctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/moatd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 etc/moatd.conf.example $(DESTDIR)$(ETCDIR)/moatd.conf.example

lint:
	mandoc -Tlint -Wwarning man/*.[0-9]

clean:
	rm -rf build build-san build-vg

-include $(shell find $(B) -name '*.d' 2>/dev/null)
