/*
 * The writing side of the repository (src/repo): gzip members joined
 * from deflate pieces (gzpiece.c), the stored object form and the
 * snapshot/delta elements (rrdp_elem.c), deterministic mtimes
 * (objtime.c) and rsync trees (rsync_tree.c).  Each result is checked
 * with an independent reader: zlib's gzip decoder, the base64 decoder,
 * the file system.
 */
/* memmem(3) */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "buf.h"
#include "encoding.h"
#include "fileio.h"
#include "gzpiece.h"
#include "objtime.h"
#include "rrdp_elem.h"
#include "rsync_tree.h"

/* Inflate a whole gzip member with zlib; -1 if it is not valid. */
static int
gunzip(const uint8_t *in, size_t len, struct buf *out)
{
	z_stream	z;
	uint8_t		chunk[4096];
	int		rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		buf_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (rc == Z_OK);
	inflateEnd(&z);
	/* Z_STREAM_END also means the CRC-32 and length trailer matched. */
	return rc == Z_STREAM_END && z.avail_in == 0 ? 0 : -1;
}

static void
test_gz_join(void **state)
{
	static const char	*parts[] = { "<snapshot>\n", "", "one piece\n",
	    "another, longer piece with some repetition repetition\n",
	    "</snapshot>\n" };
	struct gzjoin		 j;
	struct buf		 gz, plain, want;
	uint8_t			 hdr[GZPIECE_HEADER_LEN];
	uint8_t			 trl[GZPIECE_TRAILER_LEN];
	uint32_t		 crc;
	size_t			 i;

	buf_init(&gz);
	buf_init(&plain);
	buf_init(&want);
	gzjoin_start(&j, hdr);
	buf_add(&gz, hdr, sizeof(hdr));
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		assert_int_equal(gzpiece_make(parts[i], strlen(parts[i]), &gz,
		    &crc), 0);
		gzjoin_add(&j, crc, strlen(parts[i]));
		buf_adds(&want, parts[i]);
	}
	gzjoin_finish(&j, trl);
	buf_add(&gz, trl, sizeof(trl));
	assert_int_equal(gunzip(gz.data, gz.len, &plain), 0);
	assert_int_equal(plain.len, want.len);
	assert_memory_equal(plain.data, want.data, want.len);

	/* A wrong CRC in the trailer must be caught by the decoder. */
	gz.data[gz.len - 8] ^= 1;
	buf_free(&plain);
	assert_int_equal(gunzip(gz.data, gz.len, &plain), -1);
	buf_free(&gz);
	buf_free(&plain);
	buf_free(&want);
}

static void
test_obj_elem(void **state)
{
	static const char	 uri[] = "rsync://h/m/a&b<\"c\">.roa";
	struct rrdp_obj		 o;
	struct buf		 der, plain, d;
	uint8_t			 raw[3000], h[32];
	const uint8_t		*b64;
	size_t			 n, i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(rrdp_obj_make(&o, uri, raw, sizeof(raw)), 0);
	SHA256(raw, sizeof(raw), h);
	assert_memory_equal(o.hash, h, 32);
	assert_int_equal(o.der_len, sizeof(raw));
	/* The URI is escaped in the attribute. */
	assert_non_null(memmem(o.elem.data, o.elem.len,
	    "uri=\"rsync://h/m/a&amp;b&lt;&quot;c&quot;&gt;.roa\">", 50));
	assert_int_equal(o.elem.data[o.elem.len - 1], '\n');
	/* The DER comes back from the element. */
	buf_init(&der);
	assert_int_equal(rrdp_elem_der(o.elem.data, o.elem.len, &der), 0);
	assert_int_equal(der.len, sizeof(raw));
	assert_memory_equal(der.data, raw, sizeof(raw));
	assert_int_equal(rrdp_elem_b64(o.elem.data, o.elem.len, &b64, &n), 0);
	assert_int_equal(n, (sizeof(raw) + 2) / 3 * 4);
	/* The piece is raw deflate of exactly the element. */
	{
		struct gzjoin	j;
		uint8_t		hdr[GZPIECE_HEADER_LEN];
		uint8_t		trl[GZPIECE_TRAILER_LEN];
		struct buf	gz;

		buf_init(&gz);
		gzjoin_start(&j, hdr);
		buf_add(&gz, hdr, sizeof(hdr));
		buf_add(&gz, o.piece.data, o.piece.len);
		gzjoin_add(&j, o.crc, o.elem.len);
		gzjoin_finish(&j, trl);
		buf_add(&gz, trl, sizeof(trl));
		buf_init(&plain);
		assert_int_equal(gunzip(gz.data, gz.len, &plain), 0);
		assert_int_equal(plain.len, o.elem.len);
		assert_memory_equal(plain.data, o.elem.data, o.elem.len);
		buf_free(&gz);
		buf_free(&plain);
	}
	/* Delta elements reuse the base64 text. */
	buf_init(&d);
	assert_int_equal(rrdp_delta_publish(&d, "rsync://h/m/x.roa",
	    o.elem.data, o.elem.len, h), 0);
	assert_non_null(strstr(buf_str(&d), " hash=\""));
	assert_non_null(memmem(d.data, d.len, b64, n));
	buf_free(&d);
	rrdp_delta_withdraw(&d, "rsync://h/m/x.roa", h);
	assert_non_null(strstr(buf_str(&d), "<withdraw uri=\"rsync://h/m/x.roa\" "
	    "hash=\""));
	/* A malformed element is refused, not read past its end. */
	assert_int_equal(rrdp_elem_der((const uint8_t *)"<publish uri=\"x\"",
	    16, &der), -1);
	assert_int_equal(rrdp_elem_der((const uint8_t *)"no close", 8, &der),
	    -1);
	buf_free(&d);
	buf_free(&der);
	rrdp_obj_free(&o);
}

static void
test_objtime_fallback(void **state)
{
	static const uint8_t	junk[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

	/* Nothing parsable: the time the server first stored it. */
	assert_int_equal(objtime_get("a.crl", junk, sizeof(junk), 1234), 1234);
	assert_int_equal(objtime_get("a.cer", junk, sizeof(junk), 1234), 1234);
	assert_int_equal(objtime_get("a.roa", junk, sizeof(junk), 1234), 1234);
	assert_int_equal(objtime_get("a.roa", junk, 0, 99), 99);
}

static void
test_relpath(void **state)
{
	assert_string_equal(rsync_tree_relpath("rsync://h/m/a/b.roa"),
	    "m/a/b.roa");
	assert_null(rsync_tree_relpath("rsync://h/m/../b.roa"));
	assert_null(rsync_tree_relpath("rsync://h/m/./b.roa"));
	assert_null(rsync_tree_relpath("rsync://h/m//b.roa"));
	assert_null(rsync_tree_relpath("rsync://h/m/"));
	assert_null(rsync_tree_relpath("rsync://h"));
	assert_null(rsync_tree_relpath("https://h/m/a.roa"));
}

static char *
tmpdir(void)
{
	char	tmpl[] = "/tmp/test_repo_write.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static int
file_is(const char *dir, const char *rel, const char *content)
{
	char	 path[512], *data;
	size_t	 len;
	int	 same;

	snprintf(path, sizeof(path), "%s/current/%s", dir, rel);
	if ((data = file_read(path, 4096, &len)) == NULL)
		return 0;
	same = len == strlen(content) && memcmp(data, content, len) == 0;
	free(data);
	return same;
}

static void
test_tree(void **state)
{
	struct rsync_tree	*t;
	struct stat		 a, b;
	char			*dir = tmpdir(), *cur, path[512];
	time_t			 now = time(NULL);

	/* First tree: from nothing. */
	assert_non_null(t = rsync_tree_new(dir, "t1", NULL));
	assert_int_equal(rsync_tree_incremental(t), 0);
	assert_int_equal(rsync_tree_put(t, "rsync://h/m/a/x.roa",
	    (const uint8_t *)"x1", 2, 1000), 0);
	assert_int_equal(rsync_tree_put(t, "rsync://h/m/a/b/y.roa",
	    (const uint8_t *)"y1", 2, 1000), 0);
	assert_int_equal(rsync_tree_put(t, "rsync://h/m/z.roa",
	    (const uint8_t *)"z1", 2, 1000), 0);
	assert_int_equal(rsync_tree_put(t, "rsync://h/m/../evil",
	    (const uint8_t *)"e", 1, 1000), -1);
	assert_int_equal(rsync_tree_commit(t, now), 0);
	assert_non_null(cur = rsync_tree_current(dir));
	assert_string_equal(cur, "t1");
	free(cur);
	assert_true(file_is(dir, "m/a/x.roa", "x1"));
	snprintf(path, sizeof(path), "%s/current/m/a/x.roa", dir);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(a.st_mtime, 1000);	/* unparsable: first stored */
	snprintf(path, sizeof(path), "%s/current/m/a", dir);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(a.st_mtime, RSYNC_TREE_DIR_MTIME);

	/* Second tree: links to the first, one replace, one withdraw. */
	assert_non_null(t = rsync_tree_new(dir, "t2", "t1"));
	assert_int_equal(rsync_tree_incremental(t), 1);
	assert_int_equal(rsync_tree_put(t, "rsync://h/m/z.roa",
	    (const uint8_t *)"z2", 2, 2000), 0);
	assert_int_equal(rsync_tree_withdraw(t, "rsync://h/m/a/b/y.roa"), 0);
	assert_int_equal(rsync_tree_commit(t, now), 0);
	assert_true(file_is(dir, "m/z.roa", "z2"));
	assert_true(file_is(dir, "m/a/x.roa", "x1"));
	snprintf(path, sizeof(path), "%s/current/m/a/b", dir);
	assert_int_equal(stat(path, &a), -1);	/* emptied dir removed */
	/* The old tree is untouched: the replace made a new inode. */
	snprintf(path, sizeof(path), "%s/trees/t1/m/z.roa", dir);
	{
		char	*data;
		size_t	 len;

		assert_non_null(data = file_read(path, 16, &len));
		assert_memory_equal(data, "z1", 2);
		free(data);
	}
	snprintf(path, sizeof(path), "%s/trees/t1/m/a/b/y.roa", dir);
	assert_int_equal(stat(path, &a), 0);
	/* The unchanged file is one inode in both trees. */
	snprintf(path, sizeof(path), "%s/trees/t1/m/a/x.roa", dir);
	assert_int_equal(stat(path, &a), 0);
	snprintf(path, sizeof(path), "%s/trees/t2/m/a/x.roa", dir);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);

	/* The idle-time copy of t2 is what the next tree starts from. */
	assert_int_equal(rsync_tree_prepare(dir), 0);
	snprintf(path, sizeof(path), "%s/trees/.next-t2/m/a/x.roa", dir);
	assert_int_equal(stat(path, &a), 0);
	assert_non_null(t = rsync_tree_new(dir, "t4", "t2"));
	assert_int_equal(rsync_tree_incremental(t), 1);
	snprintf(path, sizeof(path), "%s/trees/.next-t2", dir);
	assert_int_equal(stat(path, &a), -1);	/* adopted */
	snprintf(path, sizeof(path), "%s/trees/.tmp-t4/m/a/x.roa", dir);
	assert_int_equal(stat(path, &a), 0);
	rsync_tree_free(t);
	/* A copy whose base is no longer current is removed by expire. */
	assert_int_equal(rsync_tree_prepare(dir), 0);
	snprintf(path, sizeof(path), "%s/trees/.next-t1", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(rsync_tree_expire(dir, now, 60), 0);
	assert_int_equal(stat(path, &a), -1);
	snprintf(path, sizeof(path), "%s/trees/.next-t2", dir);
	assert_int_equal(stat(path, &a), 0);	/* current's copy stays */

	/* A base that is not current: the caller must put everything. */
	assert_non_null(t = rsync_tree_new(dir, "t3", "t1"));
	assert_int_equal(rsync_tree_incremental(t), 0);
	rsync_tree_free(t);	/* abandoned: removed */
	snprintf(path, sizeof(path), "%s/trees/.tmp-t3", dir);
	assert_int_equal(stat(path, &a), -1);

	/* t1 retired now: kept for keep seconds, then removed. */
	assert_int_equal(rsync_tree_expire(dir, now + 10, 60), 0);
	snprintf(path, sizeof(path), "%s/trees/t1", dir);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(rsync_tree_expire(dir, now + 61, 60), 1);
	assert_int_equal(stat(path, &a), -1);
	snprintf(path, sizeof(path), "%s/trees/t2", dir);
	assert_int_equal(stat(path, &a), 0);	/* current stays */

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gz_join),
		cmocka_unit_test(test_obj_elem),
		cmocka_unit_test(test_objtime_fallback),
		cmocka_unit_test(test_relpath),
		cmocka_unit_test(test_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
