# libFuzzer targets, included by the main Makefile (after PKGS, CPPFLAGS
# and BUILD are set). `make fuzz` builds every target into
# $(BUILD)/fuzz/; tests/fuzz/run.sh runs each one, and `make check` runs
# it as $(FUZZ_CHECK) (`make asan` does not fuzz again).
#
# A target is tests/fuzz/fuzz_NAME.c, plus any support sources it names,
# linked with an archive of curator/*.c, so the linker takes exactly the
# modules the target reaches and a module that moves between files
# needs no change here. Everything is built with clang whatever CC is,
# with coverage, ASan and UBSan, into $(BUILD)/fuzz/obj/, apart from the
# daemon's objects.

FUZZ_CC    ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all
FUZZ_CHECK := $(if $(SAN),,tests/fuzz/run.sh)
FUZZ_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl \
              -lpthread -lm

fuzz_obj = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(1))

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -Wall -Wextra -Werror $(CPPFLAGS) \
	  $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP \
	  -c $< -o $@

FUZZ_LIB := $(BUILD)/fuzz/libcurator-fuzz.a
$(FUZZ_LIB): $(call fuzz_obj,$(wildcard curator/*.c))
	@rm -f $@
	$(AR) rcs $@ $^

# One target: $(1) its name (tests/fuzz/fuzz_$(1).c), $(2) other
# sources it needs beyond curator/ (test support code), if any.
define fuzz_target
FUZZERS += $(BUILD)/fuzz/fuzz_$(1)
$(BUILD)/fuzz/fuzz_$(1): $(call fuzz_obj,tests/fuzz/fuzz_$(1).c $(2)) \
                         $(FUZZ_LIB)
	@mkdir -p $$(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $$^ $$(FUZZ_LIBS) -o $$@
endef

FUZZERS :=
# ---- The targets: one line each. ----
$(eval $(call fuzz_target,sanitize,tests/support/html_check.c))
$(eval $(call fuzz_target,feed,tests/support/html_check.c))
$(eval $(call fuzz_target,json_feed,tests/support/html_check.c))
$(eval $(call fuzz_target,date))
$(eval $(call fuzz_target,opml))
$(eval $(call fuzz_target,config))
$(eval $(call fuzz_target,mime,tests/support/mime_check.c))
$(eval $(call fuzz_target,form,web/form.c))

.PHONY: fuzz
fuzz: $(FUZZERS)

-include $(wildcard $(BUILD)/fuzz/obj/*/*.d $(BUILD)/fuzz/obj/*/*/*.d)
