# Curator build. `make run` and `make check` are the two set-up commands;
# both install missing Debian packages first (see scripts/deps.sh).

VERSION    := 0.1.0
BUILD      ?= build
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib/curator
INCLUDEDIR ?= $(PREFIX)/include/curator
SYSCONFDIR ?= $(PREFIX)/etc/curator
CONFIG     ?= config/curator.ini
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
MANDIR     ?= $(PREFIX)/share/man
# Installed paths written into the unit and the manual pages.
INSTALL_SED := sed -e 's|@BINDIR@|$(BINDIR)|g' \
                   -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
                   -e 's|/usr/local/etc/curator|$(SYSCONFDIR)|g' \
                   -e 's|/usr/local/lib/curator|$(LIBDIR)|g' \
                   -e 's|/usr/local/include/curator|$(INCLUDEDIR)|g' \
                   -e 's|/usr/local/lib/systemd/system|$(SYSTEMDDIR)|g'

# Libraries found through pkg-config, and the Debian packages behind them.
PKGS      := libcurl libxml-2.0 sqlite3 libmicrohttpd libsodium inih jansson \
             icu-i18n libcrypto
TEST_PKGS := cmocka
DEBS      := build-essential pkg-config libcurl4-openssl-dev libxml2-dev \
             libsqlite3-dev libmicrohttpd-dev libcmocka-dev libsodium-dev \
             libinih-dev libjansson-dev libstemmer-dev libicu-dev libssl-dev \
             sqlite3 curl strace \
             clang libclang-rt-14-dev chromium nodejs python3 \
             python3-aiosmtpd tzdata
# npm comes with some Node.js builds; Debian's is only needed without one.
NPM_DEB   := $(if $(shell command -v npm 2>/dev/null),,npm)
# Peers that the benchmarks measure beside Curator.
BENCH_DEBS := python3 python3-feedparser python3-bleach libxml2-utils sfeed \
             time nginx wrk

override CPPFLAGS += -Itests/support -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            -DCURATOR_VERSION='"$(VERSION)"' \
            -DCURATOR_SYSCONFDIR='"$(SYSCONFDIR)"' \
            -DCURATOR_FILTERDIR='"$(LIBDIR)/filters"' -Icurator -Iweb
CFLAGS   ?= -O2 -g
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
            -Werror=format-security -fPIE
override CFLAGS   += -std=c11 -Wall -Wextra -Werror $(HARDEN) $(SAN) \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
override LDFLAGS  += -pie -Wl,-z,relro,-z,now $(SAN)
override LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lpthread -lm
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

LIB_SRC    := $(wildcard curator/*.c)
WEB_SRC    := $(wildcard web/*.c)
DAEMON_SRC := $(wildcard daemon/*.c)
CLI_SRC    := $(wildcard cli/*.c)
FILTER_SRC := $(wildcard filters/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
INTEG_SRC  := $(wildcard tests/integration/test_*.c)
CONF_SRC   := $(wildcard tests/conformance/test_*.c)
SUPPORT_SRC:= $(wildcard tests/support/*.c)
BENCH_SRC  := $(wildcard tests/bench/bench_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB       := $(BUILD)/libcurator.a
WEBLIB    := $(BUILD)/libcuratorweb.a
CURATORD  := $(BUILD)/curatord
CURATOR   := $(BUILD)/curator
FILTERS   := $(patsubst filters/%.c,$(BUILD)/filters/%.so,$(FILTER_SRC))
# LD_PRELOAD fault shims for the integration tests; no $(SAN): they load
# before the sanitizer runtime.
SHIMS := $(patsubst tests/shim/%.c,$(BUILD)/tests/shim/%.so,\
         $(wildcard tests/shim/*.c))
# Plugins that misbehave on purpose, for the host's tests.
TEST_PLUGINS := $(patsubst tests/plugins/%.c,$(BUILD)/tests/plugins/%.so,\
                $(wildcard tests/plugins/*.c))
UNIT      := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRC))
INTEG     := $(patsubst %.c,$(BUILD)/%,$(INTEG_SRC))
CONF      := $(patsubst %.c,$(BUILD)/%,$(CONF_SRC))
BENCH     := $(patsubst %.c,$(BUILD)/%,$(BENCH_SRC))
SUPPORT   := $(call obj,$(SUPPORT_SRC))
# Browser tests: node scripts run like the test binaries.
BROWSER   := tests/browser/sanitize.mjs tests/browser/web.mjs tests/browser/roles.mjs

# libFuzzer targets (one per parser of outside input) and FUZZ_CHECK.
include tests/fuzz/fuzz.mk

.PHONY: all deps run check test asan valgrind soak bench fuzz install \
        uninstall clean
.DEFAULT_GOAL := all
# Keep test objects: they are intermediate files to make.
.SECONDARY:

all: $(CURATORD) $(CURATOR) $(FILTERS)

deps:
	@scripts/deps.sh $(DEBS) $(NPM_DEB)
	@scripts/npm-deps.sh tests/browser

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(call obj,$(LIB_SRC))
	$(AR) rcs $@ $^

$(WEBLIB): $(call obj,$(WEB_SRC)) $(BUILD)/obj/gen/static_css.o
	$(AR) rcs $@ $^

# The stylesheet is compiled in, so an installed daemon needs no files.
$(BUILD)/gen/static_css.c: web/static/style.css
	@mkdir -p $(@D)
	{ echo 'const unsigned char web_style_css[] = {'; \
	  od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; \
	  echo 'const unsigned long web_style_css_len = sizeof web_style_css;'; \
	} > $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(CURATORD): $(call obj,$(DAEMON_SRC)) $(WEBLIB) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(CURATOR): $(call obj,$(CLI_SRC)) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Filters see only curator/filter.h and link nothing from libcurator;
# FILTER_LIBS_name adds the libraries one filter needs.
FILTER_LIBS_keyword := -lstemmer
FILTER_LIBS_mute    := -lstemmer
FILTER_LIBS_bayes   := -lstemmer
FILTER_LIBS_dedupe  :=
$(BUILD)/filters/%.so: filters/%.c curator/filter.h $(wildcard filters/*.h)
	@mkdir -p $(@D)
	$(CC) -std=c11 -Wall -Wextra -Werror $(HARDEN) $(SAN) -O2 -g -fPIC \
	  -shared -Icurator $< -o $@ $(FILTER_LIBS_$*) -lm

$(BUILD)/tests/shim/%.so: tests/shim/%.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -Wall -Wextra -Werror -O1 -g -fPIC -shared $< -o $@ -ldl

$(BUILD)/tests/plugins/%.so: tests/plugins/%.c curator/filter.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -Wall -Wextra -Werror $(SAN) -O1 -g -fPIC -shared \
	  -Icurator $< -o $@ -lm

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(SUPPORT) $(WEBLIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(TEST_LIBS) $(LDLIBS) -lm -o $@

# Build and run every suite; the last line sums them all.
test: all $(TEST_PLUGINS) $(SHIMS) $(UNIT) $(INTEG) $(CONF) $(if $(FUZZ_CHECK),$(FUZZERS))
	@CURATOR_BUILD=$(BUILD) scripts/run-tests.sh $(UNIT) $(INTEG) $(CONF) \
	  $(BROWSER) $(FUZZ_CHECK)

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var/spool
	@echo "Curator: web on http://127.0.0.1:8080/ ; digests in var/spool/ ; Ctrl-C stops"
	exec $(CURATORD) -c $(CONFIG)

check: deps
	@$(MAKE) --no-print-directory test

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS='-O1 -g' \
	  SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	  test

# 10,000 feeds and 5,000 users for 10 minutes: memory and descriptors
# every 30 s must not grow after warm-up (not part of `make check`).
soak: deps
	@scripts/deps.sh nginx
	@$(MAKE) --no-print-directory all $(BUILD)/tests/soak/soak_gen $(SHIMS)
	@tests/soak/soak.sh $(BUILD)

# The unit tests under valgrind: any error or leak fails the suite.
valgrind: deps
	@scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory all $(TEST_PLUGINS) $(UNIT)
	@CURATOR_BUILD=$(BUILD) TEST_WRAPPER="valgrind -q --error-exitcode=99 \
	  --suppressions=tests/valgrind.supp \
	  --leak-check=full --errors-for-leak-kinds=definite,indirect \
	  --show-leak-kinds=definite,indirect" scripts/run-tests.sh $(UNIT)

bench: deps
	@scripts/deps.sh $(BENCH_DEBS)
	@$(MAKE) --no-print-directory all $(BENCH)
	@tests/bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/filters \
	  $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(SYSCONFDIR)
	install -m 0755 $(CURATORD) $(CURATOR) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(FILTERS) $(DESTDIR)$(LIBDIR)/filters/
	install -m 0644 curator/filter.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 config/curator.ini \
	  $(DESTDIR)$(SYSCONFDIR)/curator.ini.sample
	install -d $(DESTDIR)$(SYSCONFDIR)/samples
	install -m 0644 config/samples/*.xml $(DESTDIR)$(SYSCONFDIR)/samples/
	install -d $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(INSTALL_SED) config/curatord.service \
	  > $(DESTDIR)$(SYSTEMDDIR)/curatord.service
	$(INSTALL_SED) man/curator.1 > $(DESTDIR)$(MANDIR)/man1/curator.1
	$(INSTALL_SED) man/curator.ini.5 > $(DESTDIR)$(MANDIR)/man5/curator.ini.5
	$(INSTALL_SED) man/curatord.8 > $(DESTDIR)$(MANDIR)/man8/curatord.8
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/curatord.service \
	  $(DESTDIR)$(MANDIR)/man1/curator.1 \
	  $(DESTDIR)$(MANDIR)/man5/curator.ini.5 \
	  $(DESTDIR)$(MANDIR)/man8/curatord.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/curatord $(DESTDIR)$(BINDIR)/curator \
	  $(DESTDIR)$(INCLUDEDIR)/filter.h \
	  $(DESTDIR)$(SYSCONFDIR)/curator.ini.sample
	rm -rf $(DESTDIR)$(LIBDIR)/filters $(DESTDIR)$(SYSCONFDIR)/samples
	rm -f $(DESTDIR)$(SYSTEMDDIR)/curatord.service \
	  $(DESTDIR)$(MANDIR)/man1/curator.1 \
	  $(DESTDIR)$(MANDIR)/man5/curator.ini.5 \
	  $(DESTDIR)$(MANDIR)/man8/curatord.8

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
