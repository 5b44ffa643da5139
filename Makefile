# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# devmem-kit: tracing toolkit for HMM device-private memory.
#
#   make            BPF programs, skeletons and tools (into build/)
#   make install    the tools, man pages, bpftrace scripts, JSON schemas, the
#                   Grafana dashboard and the docs under $(DESTDIR)$(PREFIX)
#                   (PREFIX=/usr/local); make uninstall
#   make unit       the host tests only (no guest)
#   make test       host tests, then the guest suite on the patched kernel
#   make guest-test the guest suite alone
#   make demo       boot the patched kernel in a guest and run the tools on test_hmm
#   make kernel     build (or take from the cache) the patched guest kernel
#   make bench      benchmarks (guest and host), table in build/bench.txt
#   make deps       install every Debian package of scripts/packages.txt
#                   (each target installs only the sets it needs: build,
#                   test, guest)
#   V=1             show full commands
#   DEVMEM_NO_DEPS=1  install no Debian package (another distribution, or a
#                   machine managed otherwise): the libraries are then only
#                   checked, by their pkg-config names, and the commands by
#                   theirs, each missing one named with what to do

OUT      ?= build
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# The BPF programs turn pfns into struct page addresses as x86-64 lays the
# memory map out (vmemmap_base); another architecture is refused here rather
# than traced wrongly.
ifneq ($(ARCH),x86)
$(error devmem-kit supports x86_64 only: its BPF programs compute struct page addresses from the x86-64 memory map; build and run it on an x86_64 host)
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE
CPPFLAGS += -Iinclude -Itools/lib -I$(OUT)/bpf
# the one version string: VERSION, the line that is not a comment
VERSION  := $(shell sed -n '/^[0-9]/{p;q}' VERSION)
CPPFLAGS += -DDEVMEM_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ibpf -Iinclude -I/usr/include/$(shell uname -m)-linux-gnu
LIBS_BPF := -lbpf -ldw -lelf -lz

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.skel.h,$(BPF_SRCS))

# tools/lib in rooms: cli, model, store, kernel, render (tools/lib/README.md)
LIB_SRCS  := $(wildcard tools/lib/*/*.c)
LIB_HDRS  := $(wildcard tools/lib/*/*.h)
LIB_OBJS  := $(patsubst tools/lib/%.c,$(OUT)/lib/%.o,$(LIB_SRCS))
LIB       := $(OUT)/lib/libdevmem.a

# a tool is tools/NAME.c, or tools/NAME/*.c with tools/NAME/NAME.c
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_DIRS := $(patsubst tools/%/,%,$(dir $(wildcard tools/*/*.c)))
TOOL_DIRS := $(sort $(filter-out lib,$(TOOL_DIRS)))
TOOLS     := $(patsubst tools/%.c,$(OUT)/%,$(TOOL_SRCS)) $(addprefix $(OUT)/,$(TOOL_DIRS))
TOOL_LIBS := $(LIB) $(LIBS_BPF) -lncursesw -ljansson -lm

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNITS     := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

# where make install puts things; DESTDIR for staging (packages, tests)
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
DATADIR  ?= $(PREFIX)/share/devmem-kit
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/devmem-kit
INSTALL  ?= install
MANPAGES := $(wildcard docs/man/*.8)
SCHEMAS  := $(wildcard docs/schema/*.json)
BTSCRIPTS:= $(wildcard tools/bpftrace/*.bt)
DOCS     := README.md docs/devmemtop.md docs/recording-format.md docs/benchmarks.md \
	    docs/prometheus.md
DASHBOARD:= docs/grafana-devmem-dashboard.json

.PHONY: all deps kernel test unit guest-test demo bench clean vmlinux-h install uninstall
.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS)

all: $(OUT)/.deps-build $(BPF_SKELS) $(TOOLS)

# What each package set must leave behind, checked after scripts/deps.sh
# (or instead of it with DEVMEM_NO_DEPS=1): libraries by their pkg-config
# names, commands by theirs.
DEVMEM_NO_DEPS ?= 0
PKG_CONFIG ?= pkg-config
LIBS_build := libbpf libelf libdw zlib ncursesw jansson
LIBS_test  := cmocka
CMDS_build := $(CC) $(CLANG) $(BPFTOOL)
CMDS_test  := tmux python3
CMDS_guest := qemu-system-x86_64 busybox
# the Debian package of each library, for the message
DEB_OF := libbpf:libbpf-dev libelf:libelf-dev libdw:libdw-dev zlib:zlib1g-dev \
	  ncursesw:libncurses-dev jansson:libjansson-dev cmocka:libcmocka-dev
define check_set
	for c in $(CMDS_$(1)); do command -v $$c >/dev/null 2>&1 || { \
		echo "devmem-kit: the command '$$c' is missing: install it (the [$(1)] set of scripts/packages.txt names Debian's packages) and run make again." >&2; exit 1; }; done; \
	if [ -n "$(LIBS_$(1))" ] && ! command -v $(PKG_CONFIG) >/dev/null 2>&1; then \
		echo "devmem-kit: $(PKG_CONFIG) is missing, so the libraries cannot be looked up: install pkg-config (or pkgconf) and run make again." >&2; exit 1; fi; \
	for l in $(LIBS_$(1)); do $(PKG_CONFIG) --exists $$l || { \
		deb=; for p in $(DEB_OF); do [ "$${p%%:*}" = $$l ] && deb=$${p#*:}; done; \
		echo "devmem-kit: the library '$$l' (its pkg-config name) is missing: install the development package that provides $$l.pc (on Debian $$deb), or add the directory of its .pc file to PKG_CONFIG_PATH, and run make again." >&2; exit 1; }; done
endef

# A target that needs packages depends on the stamp of each set it needs
# (scripts/packages.txt): build for the tools, test for the host tests,
# guest for the kernel build and the qemu guests.
$(OUT)/.deps-%: scripts/packages.txt scripts/deps.sh Makefile
	$(Q)mkdir -p $(OUT)
	$(Q)DEVMEM_NO_DEPS=$(DEVMEM_NO_DEPS) scripts/deps.sh $*
	$(Q)$(call check_set,$*)
	$(Q)touch $@

deps:
	$(Q)scripts/deps.sh

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/*.h) | $(OUT)/.deps-build
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bpf/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUT)/lib/%.o: tools/lib/%.c $(LIB_HDRS) $(wildcard include/*.h) $(BPF_SKELS) | $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/lib/cli/cli.o: VERSION

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(OUT)/%: tools/%.c $(LIB) $(LIB_HDRS) $(wildcard include/*.h) $(BPF_SKELS)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(TOOL_LIBS)

.SECONDEXPANSION:
$(addprefix $(OUT)/,$(TOOL_DIRS)): $(OUT)/%: $$(wildcard tools/%/*.c) $$(wildcard tools/%/*.h) \
		$(LIB) $(LIB_HDRS) $(wildcard include/*.h) $(BPF_SKELS)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(filter %.c,$^) -o $@ $(TOOL_LIBS)

$(OUT)/tests/%: tests/unit/%.c $(LIB) $(LIB_HDRS) $(wildcard include/*.h)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -DDEVMEM_TEST_DATA='"$(CURDIR)/tests/unit/data"' \
		-DDEVMEM_BUILD_DIR='"$(CURDIR)/$(OUT)"' -DDEVMEM_SOURCE_DIR='"$(CURDIR)"' \
		$< -o $@ $(TOOL_LIBS) -lcmocka

kernel: $(OUT)/.deps-guest
	$(Q)scripts/kernel.sh patched

# bpf/vmlinux.h is checked in; this regenerates it from the patched kernel's BTF.
vmlinux-h: $(OUT)/.deps-guest
	$(Q)scripts/gen-vmlinux-h.sh "$$(scripts/kernel.sh patched)"

unit: all $(OUT)/.deps-test $(UNITS)
	$(Q)DEVMEM_GUEST=0 tests/run-all.sh $(UNITS)

guest-test: all $(OUT)/.deps-test $(OUT)/.deps-guest
	$(Q)DEVMEM_HOST=0 tests/run-all.sh

test: all $(OUT)/.deps-test $(OUT)/.deps-guest $(UNITS)
	$(Q)tests/run-all.sh $(UNITS)

demo: all $(OUT)/.deps-guest
	$(Q)tests/demo.sh

bench: all $(OUT)/.deps-test $(OUT)/.deps-guest
	$(Q)tests/bench/run.sh

# The tools go to sbin: they trace the kernel, which needs root (or CAP_BPF
# with CAP_PERFMON), like bpftool and the BCC tools; their pages are man8.
install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/bpftrace \
		$(DESTDIR)$(DATADIR)/schema $(DESTDIR)$(DATADIR)/grafana $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR)
	$(Q)$(INSTALL) -m 0755 $(TOOLS) $(DESTDIR)$(SBINDIR)/
	$(Q)$(INSTALL) -m 0755 $(BTSCRIPTS) $(DESTDIR)$(DATADIR)/bpftrace/
	$(Q)$(INSTALL) -m 0644 tools/bpftrace/README.md $(DESTDIR)$(DATADIR)/bpftrace/
	$(Q)$(INSTALL) -m 0644 $(SCHEMAS) $(DESTDIR)$(DATADIR)/schema/
	$(Q)$(INSTALL) -m 0644 $(DASHBOARD) $(DESTDIR)$(DATADIR)/grafana/
	$(Q)for m in $(MANPAGES); do \
		sed 's/@VERSION@/$(VERSION)/g' $$m >$(DESTDIR)$(MANDIR)/man8/$${m##*/} && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man8/$${m##*/} || exit 1; \
	done
	$(Q)$(INSTALL) -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)$(INSTALL) -m 0644 tools/README.md $(DESTDIR)$(DOCDIR)/tools.md

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(TOOLS))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MANPAGES)))
	$(Q)rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

clean:
	$(Q)rm -rf $(OUT)
