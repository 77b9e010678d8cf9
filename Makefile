# nusimd: build, test, demo.  `make` builds everything, `make test` runs the
# whole suite, `make demo` starts a small working system under var/.
# Every dependency comes from Debian 12 through deploy/install-deps.sh, which
# runs first whenever a needed package is missing.

CC        ?= cc
PKG_CONFIG ?= pkg-config
PREFIX    ?= /usr/local
DESTDIR   ?=
SANITIZE  ?=
B         := build

PKGS      := libcoap-3-openssl libmicrohttpd jansson sqlite3 libcrypto libcbor libcurl

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) \
             $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer) \
             $(shell $(PKG_CONFIG) --cflags $(PKGS))
ALL_LDFLAGS = $(LDFLAGS) $(if $(SANITIZE),-fsanitize=$(SANITIZE))
LIBS       = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm

# One static library per folder; each program's main.c stays outside it so
# the tests link exactly the objects that ship.
LWM2M_SRC  := $(wildcard lwm2m/*.c)
CRYPTO_SRC := $(wildcard crypto/*.c)
DB_SRC     := $(wildcard db/*.c)
SERVER_SRC := $(filter-out server/main.c,$(wildcard server/*.c))
API_SRC    := $(wildcard api/*.c)
CLIENT_SRC := $(filter-out client/main.c,$(wildcard client/*.c))
CTL_SRC    := $(filter-out ctl/main.c,$(wildcard ctl/*.c))

obj = $(patsubst %.c,$(B)/%.o,$(1))

LIB_LWM2M  := $(B)/liblwm2m.a
LIB_CRYPTO := $(B)/libnusimcrypto.a
LIB_DB     := $(B)/libnusimdb.a
LIB_SERVER := $(B)/libnusimserver.a
LIB_API    := $(B)/libnusimapi.a
LIB_CLIENT := $(B)/libnusimclient.a
LIB_CTL    := $(B)/libnusimctl.a

# Link order: users before what they use. The server starts the API and the
# API calls the server's engines, so the server library comes twice.
SERVER_LIBS := $(LIB_SERVER) $(LIB_API) $(LIB_SERVER) $(LIB_DB) $(LIB_CRYPTO) $(LIB_LWM2M)
CLIENT_LIBS := $(LIB_CLIENT) $(LIB_CRYPTO) $(LIB_LWM2M)
ALL_LIBS    := $(LIB_CTL) $(LIB_SERVER) $(LIB_API) $(LIB_SERVER) $(LIB_CLIENT) $(LIB_DB) $(LIB_CRYPTO) $(LIB_LWM2M)

PROGS := $(B)/nusimd $(B)/nusim-client $(if $(wildcard ctl/main.c),$(B)/nusimctl)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT_HDRS  := $(wildcard tests/unit/*.h)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC  := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all deps test unit e2e demo bench clean install fuzz

all: $(PROGS) $(UNIT_BINS)

# Installs missing Debian packages; fast when nothing is missing.
deps:
	@sh deploy/install-deps.sh

$(B)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_LWM2M):  $(call obj,$(LWM2M_SRC))
$(LIB_CRYPTO): $(call obj,$(CRYPTO_SRC))
SCHEMA_SQL := $(sort $(wildcard schema/*.sql))
$(B)/gen/schema_sql.c: $(SCHEMA_SQL) tools/embed-schema.sh
	@mkdir -p $(dir $@)
	sh tools/embed-schema.sh $@ $(SCHEMA_SQL)
$(B)/gen/schema_sql.o: $(B)/gen/schema_sql.c | deps
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_DB):     $(call obj,$(DB_SRC)) $(B)/gen/schema_sql.o
$(LIB_SERVER): $(call obj,$(SERVER_SRC))
$(LIB_API):    $(call obj,$(API_SRC))
$(LIB_CLIENT): $(call obj,$(CLIENT_SRC))
$(LIB_CTL):    $(call obj,$(CTL_SRC))
$(B)/lib%.a: | $(B)/.empty.o
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^ $(if $^,,$(B)/.empty.o)

$(B)/.empty.o: | deps
	@mkdir -p $(B)
	echo 'typedef int nusimd_empty_unit;' | $(CC) -x c -c -o $@ -

# -u pulls server/dtls_ciphers.o out of the archive: nothing calls it, it
# interposes the OpenSSL calls libcoap makes (see that file).
DTLS_INTERPOSE := -Wl,-u,SSL_CTX_set_cipher_list -Wl,-u,SSL_set_cipher_list
$(B)/nusimd: $(B)/server/main.o $(SERVER_LIBS)
	$(CC) $(ALL_LDFLAGS) $(DTLS_INTERPOSE) -o $@ $< $(SERVER_LIBS) $(LIBS)

$(B)/nusim-client: $(B)/client/main.o $(CLIENT_LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(CLIENT_LIBS) $(LIBS)

$(B)/nusimctl: $(B)/ctl/main.o $(LIB_CTL)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_CTL) $(LIBS)

# A unit test links only the libraries its prefix names, so one folder's
# tests build while another folder is half-written.
UNIT_CC = @mkdir -p $(dir $@); $(CC) $(ALL_CFLAGS) -o $@ $< $(1) $(LIBS)
$(B)/tests/test_lwm2m_%: tests/unit/test_lwm2m_%.c $(LIB_LWM2M) $(UNIT_HDRS) | deps
	$(call UNIT_CC,$(LIB_LWM2M))
$(B)/tests/test_crypto_%: tests/unit/test_crypto_%.c $(LIB_CRYPTO) $(LIB_LWM2M) $(UNIT_HDRS) | deps
	$(call UNIT_CC,$(LIB_CRYPTO) $(LIB_LWM2M))
$(B)/tests/test_db_%: tests/unit/test_db_%.c $(LIB_DB) $(LIB_CRYPTO) $(LIB_LWM2M) $(UNIT_HDRS) | deps
	$(call UNIT_CC,$(LIB_DB) $(LIB_CRYPTO) $(LIB_LWM2M))
$(B)/tests/test_client_%: tests/unit/test_client_%.c $(CLIENT_LIBS) $(UNIT_HDRS) | deps
	$(call UNIT_CC,$(CLIENT_LIBS))
$(B)/tests/%: tests/unit/%.c $(ALL_LIBS) $(UNIT_HDRS) | deps
	$(call UNIT_CC,$(ALL_LIBS))

# The load generator stands alone: it must cost little next to the server.
$(B)/bench/bench_coap_load: tests/bench/bench_coap_load.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

$(B)/bench/%: tests/bench/%.c $(ALL_LIBS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LIBS) $(LIBS)

# The whole suite: C unit tests, then end-to-end tests of the real programs
# on loopback. Ends with one line "N passed, N failed".
test: all
	python3 tests/run.py

unit: all
	python3 tests/run.py --unit

e2e: all
	python3 tests/run.py --e2e

bench: all $(BENCH_BINS)
	python3 tests/bench/run.py

demo: all
	sh deploy/demo.sh

# The rules are in mk/install.mk.
install: all install-files

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Further targets (image build and test, ...) live in mk/*.mk, one file each.
-include $(wildcard mk/*.mk)
