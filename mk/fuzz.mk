# mk/fuzz.mk: `make fuzz` builds every tests/fuzz/fuzz_*.c as a libFuzzer
# target with clang (ASan + UBSan, every UB finding fatal) into build/fuzz/,
# then runs each for FUZZ_SECONDS (default 30) on its corpus in
# var/fuzz/<name>/ (new inputs are kept there; the seeds in
# tests/fuzz/corpus/<name>/ are read, never written), and last runs the
# black-box CoAP fuzzer tests/fuzz/fuzz_coap_rd.py against build/nusimd
# (a sanitized one with `make SANITIZE=address,undefined all fuzz`).
# A crash stops the run and leaves its input as var/fuzz/<name>-crash-*.
# FUZZ_JOBS=N runs N fuzzing processes per target (libFuzzer -jobs).
#
#   make fuzz FUZZ_SECONDS=600          longer runs
#   make fuzz-build                     only build the targets
#   make build/fuzz/fuzz_csv            one target
#   make fuzz-run-fuzz_csv              run one target
#
# The libraries are compiled again with clang and coverage
# instrumentation under build/fuzz/obj/, apart from the shipped objects.
# Only the sources the targets need go in: the parsers must not wait for
# every folder of the tree to compile.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_JOBS    ?= 1
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -I. $(WARN) -g -O1 $(FUZZ_SAN) \
                $(shell $(PKG_CONFIG) --cflags $(PKGS))
FUZZ_LIBSRC  := $(wildcard lwm2m/*.c crypto/*.c) api/csv.c api/csv_stream.c
FUZZ_LIB     := $(B)/fuzz/libfuzzsrc.a
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
FUZZ_NAMES   := $(notdir $(FUZZ_BINS))

.PHONY: fuzz-build fuzz-coap $(addprefix fuzz-run-,$(FUZZ_NAMES))

$(B)/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(patsubst %.c,$(B)/fuzz/obj/%.o,$(FUZZ_LIBSRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LIBS)

fuzz-build: $(FUZZ_BINS)

# One run: the corpus dir first (libFuzzer writes new inputs into the first
# directory only), then the checked-in seeds and dictionary if there are any.
# It runs inside var/fuzz/, where libFuzzer's per-job logs (fuzz-N.log, with
# FUZZ_JOBS > 1) then land.
FUZZ_ABS = $(abspath $(1))
$(addprefix fuzz-run-,$(FUZZ_NAMES)): fuzz-run-%: $(B)/fuzz/%
	@mkdir -p var/fuzz/$*
	cd var/fuzz && \
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	$(call FUZZ_ABS,$<) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    $(if $(filter-out 1,$(FUZZ_JOBS)),-jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS)) \
	    -artifact_prefix=$*- \
	    $(if $(wildcard tests/fuzz/$*.dict),-dict=$(call FUZZ_ABS,tests/fuzz/$*.dict)) \
	    $* $(if $(wildcard tests/fuzz/corpus/$*),$(call FUZZ_ABS,tests/fuzz/corpus/$*))

fuzz-coap: $(B)/nusimd
	python3 tests/fuzz/fuzz_coap_rd.py --nusimd $(B)/nusimd --seconds $(FUZZ_SECONDS)

fuzz: fuzz-build $(addprefix fuzz-run-,$(FUZZ_NAMES)) fuzz-coap
