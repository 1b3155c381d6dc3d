# mk/fuzz.mk — libFuzzer targets under ASan+UBSan (tests/fuzz/README.md).
#
#   make fuzz           run every target FUZZ_SECONDS (default 60) each;
#                       new inputs go to build/fuzz/corpus-NAME/, crashes to
#                       build/fuzz/artifacts/; -j2 runs two at once
#   make fuzz-NAME      one target (smtp auth msg conf dane args dns cert, and any
#                       other tests/fuzz/fuzz_NAME.c)
#   make fuzz-regress   every committed input of every target once, then a
#                       short smoke run each; one "ok fuzz_NAME ..." or
#                       "FAIL fuzz_NAME ..." line per target
#   make fuzz-findings  replay tests/fuzz/findings/ with PM_FUZZ_STRICT=1:
#                       "open" or "fixed" per reproducer
#   make fuzz-build     just the binaries, build/fuzz/fuzz_NAME
#
# Included by the Makefile, or standalone: make -f Makefile -f mk/fuzz.mk fuzz.
# Everything, BearSSL included, is built with clang into build/fuzz/, so the
# sanitizers also see what BearSSL does with the buffers the core hands it.
# BearSSL gets ASan only: coverage feedback and UBSan stay on pinmail's code.

B           ?= build
BEARSSL_DIR ?= $(B)/third_party/bearssl-0.6
BEARSSL_DEFS ?= -DBR_USE_UNIX_TIME=0
NPROC       ?= $(shell nproc 2>/dev/null || echo 2)
INC         ?= -Isrc -Iport/posix -I$(BEARSSL_DIR)/inc
WARN        ?= -Wall -Wextra

FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
# Every tests/fuzz/fuzz_NAME.c is a target; its seeds are tests/fuzz/NAME/.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FZ          := $(B)/fuzz
FUZZ_CC     ?= clang
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c99 -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_BRFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address
# The core's objects: coverage for the fuzzer, no main.
FUZZ_CORE_SRC := $(wildcard src/*.c) port/posix/pm_args.c port/posix/pm_conf.c \
                 port/posix/pm_resolv.c port/posix/pm_printtlsa.c port/posix/pm_net.c
FUZZ_CORE_OBJ := $(FUZZ_CORE_SRC:%.c=$(FZ)/obj/%.o)
FUZZ_BINS   := $(FUZZ_TARGETS:%=$(FZ)/fuzz_%)
# The conf target sandboxes the files pm_conf.c opens (see fuzz_conf.c).
fuzz_conf_LDFLAGS := -Wl,--wrap=open
FUZZ_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Per target: dictionary (if any) and the largest input worth trying.
fuzz_smtp_MAXLEN := 8192
fuzz_auth_MAXLEN := 4096
fuzz_msg_MAXLEN  := 16384
fuzz_conf_MAXLEN := 8192
fuzz_dane_MAXLEN := 12288
fuzz_args_MAXLEN := 2048
fuzz_dns_MAXLEN  := 4096
fuzz_cert_MAXLEN := 8192
fuzz_opts = -max_len=$(or $(fuzz_$(1)_MAXLEN),4096) -timeout=20 \
            $(if $(wildcard tests/fuzz/$(1).dict),-dict=tests/fuzz/$(1).dict)

.PHONY: fuzz fuzz-build fuzz-regress fuzz-findings fuzz-clean $(FUZZ_TARGETS:%=fuzz-%) \
        $(FUZZ_TARGETS:%=fuzz-regress-%)

fuzz-build: $(FUZZ_BINS)

# BearSSL, the same sources as build/host/libbearssl.a, with clang + ASan.
$(FZ)/libbearssl.a: $(BEARSSL_DIR)/.unpacked
	@mkdir -p $(FZ)/bearssl
	@echo "  BEARSSL fuzz"
	@cd $(BEARSSL_DIR)/src && find . -name '*.c' | sed 's|^\./||' | \
	  xargs -P $(NPROC) -I{} sh -c 'o=$(CURDIR)/$(FZ)/bearssl/$$(echo {} | tr / _ | sed s/\\.c$$/.o/); \
	    $(FUZZ_CC) $(FUZZ_BRFLAGS) $(BEARSSL_DEFS) -w -I../inc -I. -c {} -o $$o'
	@rm -f $@ && ar rcs $@ $(FZ)/bearssl/*.o

$(FZ)/obj/%.o: %.c $(wildcard src/*.h port/posix/*.h) $(BEARSSL_DIR)/.unpacked
	@mkdir -p $(@D)
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) $(DEFS) $(INC) -c $< -o $@

$(FZ)/libpmcore.a: $(FUZZ_CORE_OBJ)
	@rm -f $@ && ar rcs $@ $^

$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FZ)/libpmcore.a $(FZ)/libbearssl.a
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN) $(DEFS) $(INC) -Itests/fuzz \
	  -o $@ $< $(FZ)/libpmcore.a $(FZ)/libbearssl.a $(fuzz_$*_LDFLAGS)

# make fuzz: each target for FUZZ_SECONDS; the committed corpus is read,
# never written.
fuzz: $(FUZZ_TARGETS:%=fuzz-%)

$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(FZ)/fuzz_%
	@mkdir -p $(FZ)/corpus-$* $(FZ)/artifacts
	@echo "  FUZZ    fuzz_$* for $(FUZZ_SECONDS) s (log: $(FZ)/fuzz-$*.log)"
	@$(FUZZ_ENV) $(FZ)/fuzz_$* $(call fuzz_opts,$*) -max_total_time=$(FUZZ_SECONDS) \
	  -print_final_stats=1 -artifact_prefix=$(FZ)/artifacts/$*- \
	  $(FZ)/corpus-$* $$(ls -d tests/fuzz/$* 2>/dev/null) >$(FZ)/fuzz-$*.log 2>&1; \
	  st=$$?; grep -E '^#[0-9]+.*(DONE|pulse|NEW)' $(FZ)/fuzz-$*.log | tail -1; \
	  grep -E '^stat::(number_of_executed_units|peak_rss)' $(FZ)/fuzz-$*.log; \
	  if [ $$st -ne 0 ]; then grep -E 'ERROR|SUMMARY|Test unit written' $(FZ)/fuzz-$*.log; \
	    echo "fuzz_$*: failed (exit $$st), see $(FZ)/fuzz-$*.log"; exit 1; fi

# make fuzz-regress: the committed inputs, once each, then a smoke run whose
# new inputs go to a scratch directory. Every target reports; the goal fails
# at the end if any did.
fuzz-regress: $(FUZZ_TARGETS:%=fuzz-regress-%)
	@! grep -l '^FAIL ' $(FUZZ_TARGETS:%=$(FZ)/regress-%.status) >/dev/null

$(FUZZ_TARGETS:%=fuzz-regress-%): fuzz-regress-%: $(FZ)/fuzz_%
	@mkdir -p $(FZ)/artifacts; rm -rf $(FZ)/smoke-$*; mkdir -p $(FZ)/smoke-$*; \
	  log=$(FZ)/regress-$*.log; : >$$log; seeds=$$(ls -d tests/fuzz/$* 2>/dev/null); \
	  n=0; [ -z "$$seeds" ] || n=$$(ls $$seeds | wc -l); \
	  if [ $$n -gt 0 ] && ! $(FUZZ_ENV) $(FZ)/fuzz_$* \
	       -artifact_prefix=$(FZ)/artifacts/regress-$*- tests/fuzz/$*/* >$$log 2>&1; then \
	    echo "FAIL fuzz_$* corpus ($$n inputs; log: $$log)"; \
	    grep -E 'Running:|invariant|ERROR|SUMMARY' $$log | tail -4 | sed 's/^/#   /'; \
	  elif ! $(FUZZ_ENV) $(FZ)/fuzz_$* $(call fuzz_opts,$*) \
	       -max_total_time=$(FUZZ_SMOKE_SECONDS) -artifact_prefix=$(FZ)/artifacts/smoke-$*- \
	       $(FZ)/smoke-$* $$seeds >>$$log 2>&1; then \
	    echo "FAIL fuzz_$* smoke run of $(FUZZ_SMOKE_SECONDS) s (log: $$log)"; \
	    grep -E 'invariant|ERROR|SUMMARY|Test unit written' $$log | tail -4 | sed 's/^/#   /'; \
	  else \
	    echo "ok fuzz_$* $$n corpus inputs, then $$(sed -n 's/^#\([0-9]*\).*DONE.*cov: \([0-9]*\).*/\1 runs in $(FUZZ_SMOKE_SECONDS) s, cov \2/p' $$log | tail -1)"; \
	  fi | tee $(FZ)/regress-$*.status

# make fuzz-findings: replay each reproducer of tests/fuzz/findings/ with the
# checks of open findings on; "open" while it still fails, "fixed" after.
fuzz-findings: $(FUZZ_BINS)
	@for f in tests/fuzz/findings/crash-*; do \
	  t=$$(basename $$f | sed 's/^crash-\([a-z0-9]*\)-.*/\1/'); \
	  if PM_FUZZ_STRICT=1 $(FUZZ_ENV) $(FZ)/fuzz_$$t $$f >$(FZ)/finding.log 2>&1; \
	  then echo "fixed  $$f"; \
	  else printf 'open   %s: %s\n' $$f "$$(grep -m1 -E 'invariant|SUMMARY' $(FZ)/finding.log)"; fi; \
	done

fuzz-clean:
	rm -rf $(FZ)
