/*
 * The store's schema 1 (objects kept as DER) is converted to schema 2
 * (RRDP element and deflate piece) when opened: objects, hashes, owners
 * and first-stored times survive, the DER comes back from the element,
 * and the change log is untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "buf.h"
#include "rrdp_elem.h"
#include "store.h"

/* Schema 1 as issue 2's store_sqlite.c created it. */
static const char v1_schema[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE publishers (id INTEGER PRIMARY KEY,"
    "  handle TEXT NOT NULL UNIQUE, sia_base TEXT NOT NULL UNIQUE,"
    "  bpki_ta BLOB NOT NULL, created INTEGER NOT NULL,"
    "  last_signing_time INTEGER NOT NULL DEFAULT 0, last_digests BLOB);"
    "CREATE TABLE objects (uri TEXT PRIMARY KEY,"
    "  publisher INTEGER NOT NULL REFERENCES publishers(id),"
    "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
    "  der BLOB NOT NULL, first_stored INTEGER NOT NULL);"
    "CREATE INDEX objects_by_publisher ON objects (publisher, uri);"
    "CREATE TABLE changes (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time INTEGER NOT NULL, publisher TEXT NOT NULL);"
    "CREATE TABLE change_items (change_id INTEGER NOT NULL"
    "  REFERENCES changes(id), uri TEXT NOT NULL, old_hash BLOB,"
    "  new_hash BLOB);"
    "CREATE INDEX change_items_by_change ON change_items (change_id);"
    "INSERT INTO meta VALUES ('schema_version', '1');"
    "INSERT INTO publishers (handle, sia_base, bpki_ta, created) VALUES"
    "  ('alice', 'rsync://h/repo/alice/', x'30', 1);"
    "INSERT INTO changes (time, publisher) VALUES (5, 'alice');";

struct seen {
	int	n;
	int	ok;
};

static int
check_elem(const struct store_elem *e, void *arg)
{
	struct seen	*s = arg;
	struct buf	 der;
	uint8_t		 h[32];

	buf_init(&der);
	s->n++;
	if (rrdp_elem_der(e->elem, e->elem_len, &der) == 0) {
		SHA256(der.data, der.len, h);
		if (memcmp(h, e->hash, 32) == 0 && e->size == (int64_t)der.len &&
		    e->first_stored == 77 && e->piece_len > 0)
			s->ok++;
	}
	buf_free(&der);
	return 0;
}

static void
test_v1_converted(void **state)
{
	char		 path[] = "/tmp/test_store_migrate.XXXXXX";
	char		 db[64], uri[64];
	sqlite3		*s;
	sqlite3_stmt	*ins;
	struct store	*st;
	struct seen	 seen = { 0, 0 };
	uint8_t		 der[100], h[32];
	int64_t		 owner, last;
	int		 i;

	assert_non_null(mkdtemp(path));
	snprintf(db, sizeof(db), "%s/store.sqlite", path);
	assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, v1_schema, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "INSERT INTO objects VALUES "
	    "(?, 1, ?, ?, 77)", -1, &ins, NULL), SQLITE_OK);
	for (i = 0; i < 50; i++) {
		memset(der, i, sizeof(der));
		der[0] = 0x30;
		SHA256(der, sizeof(der), h);
		snprintf(uri, sizeof(uri), "rsync://h/repo/alice/o%02d.roa", i);
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, uri, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(ins, 2, h, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(ins, 3, der, sizeof(der), SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
	}
	sqlite3_finalize(ins);
	sqlite3_close(s);

	assert_non_null(st = store_open(db));
	assert_int_equal(store_object_scan(st, check_elem, &seen), 0);
	assert_int_equal(seen.n, 50);
	assert_int_equal(seen.ok, 50);
	memset(der, 7, sizeof(der));
	der[0] = 0x30;
	SHA256(der, sizeof(der), h);
	{
		uint8_t	got[32];

		assert_int_equal(store_object_get(st,
		    "rsync://h/repo/alice/o07.roa", &owner, got), 1);
		assert_int_equal(owner, 1);
		assert_memory_equal(got, h, 32);
	}
	assert_int_equal(store_last_change(st, &last), 0);
	assert_int_equal(last, 1);
	store_close(st);
	/* Opening again finds schema 2 and converts nothing. */
	assert_non_null(st = store_open(db));
	seen.n = seen.ok = 0;
	assert_int_equal(store_object_scan(st, check_elem, &seen), 0);
	assert_int_equal(seen.ok, 50);
	store_close(st);

	snprintf(db, sizeof(db), "rm -rf '%s'", path);
	assert_int_equal(system(db), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_converted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
