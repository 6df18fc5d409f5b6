/*
 * rrdpsync's local copy: the URI -> local path mapping (deterministic,
 * the same on every node, a new path for a mutated file, inside the
 * RRDP listener's grammar), the local notification (upstream's with the
 * URIs rewritten), its install, retention (sync_sweep, sync_gone_trim
 * when the state's list is full), and the rsync
 * tree thread: a snapshot into an empty tree (the fast path), then
 * deltas checked against the tree (RFC 8182 section 3.4.2).
 */
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
#include <openssl/evp.h>
#include <zlib.h>

#include "buf.h"
#include "encoding.h"
#include "fileio.h"
#include "rrdp_notification.h"
#include "rsync_tree.h"
#include "sync_mirror.h"
#include "sync_state.h"
#include "sync_tree.h"

#define SESSION	"9df4b597-af9e-4dca-bdda-719cce2c4e28"
#define BASE	"https://edge.example.net/rrdp/"
#define RS	"rsync://rpki.example.net/repo/ca/"

static char	root[64];

static void
sha256(const void *d, size_t len, uint8_t out[32])
{
	unsigned int	n;

	assert_int_equal(EVP_Digest(d, len, out, &n, EVP_sha256(), NULL), 1);
}

static void
put_file(const char *rel, const char *text)
{
	char	path[512], *slash;
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(dir_create(path), 0);
	*slash = '/';
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* rel.gz: text gzip-coded (a twin). */
static void
put_gz(const char *rel, const char *text)
{
	char	path[512];
	gzFile	gz;

	snprintf(path, sizeof(path), "%s/%s.gz", root, rel);
	assert_non_null(gz = gzopen(path, "wb"));
	assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)),
	    (int)strlen(text));
	assert_int_equal(gzclose(gz), Z_OK);
}

static int
exists(const char *rel)
{
	char		path[512];
	struct stat	sb;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &sb) == 0;
}

static int
setup(void **unused)
{
	(void)unused;
	snprintf(root, sizeof(root), "/tmp/test_sync_mirror.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int
teardown(void **unused)
{
	char	cmd[128];

	(void)unused;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_local_rel(void **unused)
{
	const char	*uri = "https://rrdp.example.net/x/12/snapshot.xml";
	uint8_t		 h[32], h2[32], d[32];
	char		 hex[65], want[256], dir[33];
	char		*rel, *again, *other;

	(void)unused;
	memset(h, 0x5a, 32);
	memset(h2, 0x5b, 32);
	rel = sync_local_rel(SESSION, 12, uri, h, "snapshot.xml");
	/* SHA-256 of "URI HASH", the first 32 hex digits. */
	hex_encode(hex, h, 32);
	snprintf(want, sizeof(want), "%s %s", uri, hex);
	sha256(want, strlen(want), d);
	hex_encode(hex, d, 32);
	memcpy(dir, hex, 32);
	dir[32] = '\0';
	snprintf(want, sizeof(want), SESSION "/12/%s/snapshot.xml", dir);
	assert_string_equal(rel, want);
	assert_int_equal(path_rel_safe(rel), 1);
	/* Deterministic: every edge node computes the same path. */
	again = sync_local_rel(SESSION, 12, uri, h, "snapshot.xml");
	assert_string_equal(again, rel);
	free(again);
	/* A file mutated under the same URI gets another directory. */
	other = sync_local_rel(SESSION, 12, uri, h2, "snapshot.xml");
	assert_string_not_equal(other, rel);
	free(other);
	other = sync_local_rel(SESSION, 12, "https://rrdp.example.net/y", h,
	    "snapshot.xml");
	assert_string_not_equal(other, rel);
	free(other);
	free(rel);
}

static void
test_notification(void **unused)
{
	struct sync_state		 st;
	struct rrdp_notification	 n;
	struct buf			 b;
	char				 err[256], path[300];
	size_t				 len;
	char				*disk;

	(void)unused;
	memset(&st, 0, sizeof(st));
	memcpy(st.session, SESSION, sizeof(st.session));
	st.serial = 7;
	memset(st.snapshot.hash, 1, 32);
	st.snapshot.rel = strdup(SESSION "/7/aa/snapshot.xml");
	st.snapshot.uri = strdup("https://up/7/s.xml");
	st.deltas = calloc(2, sizeof(*st.deltas));
	st.ndeltas = 2;
	st.deltas[0].serial = 7;
	memset(st.deltas[0].hash, 7, 32);
	st.deltas[0].rel = strdup(SESSION "/7/bb/delta.xml");
	st.deltas[0].uri = strdup("https://up/7/d.xml");
	st.deltas[1].serial = 6;
	memset(st.deltas[1].hash, 6, 32);
	st.deltas[1].rel = strdup(SESSION "/6/cc/delta.xml");
	st.deltas[1].uri = strdup("https://up/6/d.xml");
	buf_init(&b);
	sync_notification(&b, &st, BASE);
	assert_int_equal(rrdp_notification_parse(b.data, b.len, &n, err,
	    sizeof(err)), 0);
	assert_string_equal(n.session, SESSION);
	assert_int_equal(n.serial, 7);
	assert_string_equal(n.snapshot_uri, BASE SESSION "/7/aa/snapshot.xml");
	assert_memory_equal(n.snapshot_hash, st.snapshot.hash, 32);
	assert_int_equal(n.ndeltas, 2);
	assert_string_equal(n.deltas[1].uri, BASE SESSION "/6/cc/delta.xml");
	assert_memory_equal(n.deltas[1].hash, st.deltas[1].hash, 32);
	rrdp_notification_free(&n);
	/* Installed once, then left alone while it is the same. */
	assert_int_equal(sync_notification_install(root, b.data, b.len), 1);
	assert_int_equal(sync_notification_install(root, b.data, b.len), 0);
	snprintf(path, sizeof(path), "%s/notification.xml", root);
	disk = file_read(path, 1 << 20, &len);
	assert_int_equal(len, b.len);
	assert_memory_equal(disk, b.data, len);
	free(disk);
	b.data[b.len - 3] = ' ';
	assert_int_equal(sync_notification_install(root, b.data, b.len), 1);
	buf_free(&b);
	sync_state_free(&st);
}

static void
test_present_and_sweep(void **unused)
{
	struct sync_state	 st;
	uint8_t			 h[32], wrong[32];
	size_t			 removed;
	int			 changed;
	const char		*listed = SESSION "/3/aa/delta.xml";
	time_t			 now = 1800000000;

	(void)unused;
	memset(&st, 0, sizeof(st));
	put_file(listed, "<delta/>");
	sha256("<delta/>", 8, h);
	memset(wrong, 0, 32);
	/* Without its twin it is not in place. */
	assert_int_equal(sync_file_present(root, listed, h, 0), 0);
	/* A twin that is not gzip, or not of this file, is not either
	 * (unless trusted: then it was checked when it was listed). */
	put_file(SESSION "/3/aa/delta.xml.gz", "gz");
	assert_int_equal(sync_file_present(root, listed, h, 0), 0);
	assert_int_equal(sync_file_present(root, listed, h, 1), 1);
	put_gz(listed, "<delta />");
	assert_int_equal(sync_file_present(root, listed, h, 0), 0);
	put_gz(listed, "<delta/>");
	assert_int_equal(sync_file_present(root, listed, h, 0), 1);
	assert_int_equal(sync_file_present(root, listed, wrong, 0), 0);
	assert_int_equal(sync_file_present(root, listed, wrong, 1), 1);

	memcpy(st.session, SESSION, sizeof(st.session));
	st.serial = 3;
	st.deltas = calloc(1, sizeof(*st.deltas));
	st.ndeltas = 1;
	st.deltas[0].serial = 3;
	st.deltas[0].rel = strdup(listed);
	st.deltas[0].uri = strdup("https://up/3");
	st.snapshot.rel = strdup(SESSION "/3/bb/snapshot.xml");
	st.snapshot.uri = strdup("https://up/3s");
	put_file(SESSION "/3/bb/snapshot.xml", "s");
	put_file(SESSION "/3/bb/snapshot.xml.gz", "s");
	/* Old and due, old and not yet due, unknown, a temporary. */
	put_file(SESSION "/1/cc/delta.xml", "1");
	put_file(SESSION "/2/dd/delta.xml", "2");
	put_file(SESSION "/2/ee/snapshot.xml", "x");
	put_file(SESSION "/3/bb/.snapshot.xml.tmp", "partial");
	sync_state_gone_add(&st, SESSION "/1/cc/delta.xml", now - 7200);
	sync_state_gone_add(&st, SESSION "/2/dd/delta.xml", now - 7199);
	removed = sync_sweep(root, &st, now, 7200, &changed);
	assert_int_equal(removed, 1);
	assert_int_equal(changed, 1);
	assert_false(exists(SESSION "/1/cc/delta.xml"));
	assert_false(exists(SESSION "/1"));	/* emptied: gone */
	assert_true(exists(SESSION "/2/dd/delta.xml"));
	assert_true(exists(SESSION "/2/ee/snapshot.xml"));
	assert_false(exists(SESSION "/3/bb/.snapshot.xml.tmp"));
	assert_true(exists(listed));
	assert_true(exists(SESSION "/3/bb/snapshot.xml.gz"));
	/* The unknown file now awaits removal, from now. */
	assert_int_equal(st.ngone, 2);
	assert_string_equal(st.gone[1].rel, SESSION "/2/ee/snapshot.xml");
	assert_int_equal(st.gone[1].since, now);
	removed = sync_sweep(root, &st, now + 7200, 7200, &changed);
	assert_int_equal(removed, 2);
	assert_false(exists(SESSION "/2"));
	assert_true(exists(listed));
	assert_int_equal(st.ngone, 0);
	sync_state_free(&st);
}

/* Over the state's room, the oldest files awaiting removal go first. */
static void
test_gone_trim(void **unused)
{
	struct sync_gone	g[4] = {
		{ SESSION "/4/aa/delta.xml", 400 },
		{ SESSION "/1/aa/delta.xml", 100 },
		{ SESSION "/3/aa/delta.xml", 300 },
		{ SESSION "/2/aa/delta.xml", 200 },
	};
	size_t			i;

	(void)unused;
	for (i = 0; i < 4; i++)
		put_file(g[i].rel, "d");
	assert_int_equal(sync_gone_trim(root, g, 4, 4), 0);
	assert_int_equal(g[0].since, 400);	/* within room: untouched */
	assert_int_equal(sync_gone_trim(root, g, 4, 2), 2);
	assert_int_equal(g[0].since, 100);
	assert_int_equal(g[1].since, 200);
	assert_false(exists(SESSION "/1"));
	assert_false(exists(SESSION "/2"));
	assert_true(exists(SESSION "/3/aa/delta.xml"));
	assert_true(exists(SESSION "/4/aa/delta.xml"));
	/* A file already gone is no error. */
	assert_int_equal(sync_gone_trim(root, g, 4, 0), 4);
	assert_false(exists(SESSION "/4"));
}

/* Does the tree `current` names hold rel with content text? */
static int
tree_has(const char *rel, const char *text)
{
	char	 path[512];
	char	*d;
	size_t	 len;
	int	 r;

	snprintf(path, sizeof(path), "%s/rsync/current/%s", root, rel);
	if (access(path, F_OK) == -1)
		return 0;
	d = file_read(path, 1 << 20, &len);
	r = d != NULL && len == strlen(text) && memcmp(d, text, len) == 0;
	free(d);
	return r;
}

static void
elem(struct sync_tree *t, enum rrdp_elem e, const char *name,
    const char *old, const char *text)
{
	char	uri[256];
	uint8_t	h[32];

	snprintf(uri, sizeof(uri), "%s%s", RS, name);
	if (old != NULL)
		sha256(old, strlen(old), h);
	sync_tree_elem(t, e, uri, old != NULL ? h : NULL,
	    (const uint8_t *)text, text != NULL ? strlen(text) : 0);
}

static void
test_tree(void **unused)
{
	struct rsync_tree	*t;
	struct sync_tree	*w;
	struct stat		 sb;
	char			 dir[300], err[512], name[64], path[512];
	uint64_t		 put, gone, skipped;
	int			 i;

	(void)unused;
	snprintf(dir, sizeof(dir), "%s/rsync", root);
	/* A snapshot into an empty tree: 2,000 objects in 20 directories. */
	assert_non_null(t = rsync_tree_new(dir, "t1", NULL));
	w = sync_tree_start(t, 0);
	sync_tree_file(w, "snapshot 1");
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "d%02d/o%04d.roa", i / 100, i);
		elem(w, RRDP_PUBLISH, name, NULL, name);
	}
	elem(w, RRDP_PUBLISH, "a.cer", NULL, "cert 1");
	/* The same URI twice: the last one wins. */
	elem(w, RRDP_PUBLISH, "a.cer", NULL, "cert 2");
	sync_tree_elem(w, RRDP_PUBLISH, "rsync://h/repo/../escape", NULL,
	    (const uint8_t *)"x", 1);
	sync_tree_elem(w, RRDP_PUBLISH, "https://h/x", NULL,
	    (const uint8_t *)"x", 1);
	assert_int_equal(sync_tree_wait(w, err, sizeof(err)), 0);
	sync_tree_counts(w, &put, &gone, &skipped);
	assert_int_equal(put, 2002);
	assert_int_equal(skipped, 2);
	assert_non_null(t = sync_tree_stop(w, NULL));
	assert_int_equal(rsync_tree_commit(t, 1000), 0);
	assert_true(tree_has("repo/ca/d07/o0712.roa", "d07/o0712.roa"));
	assert_true(tree_has("repo/ca/a.cer", "cert 2"));
	/* Unparsable objects get the constant mtime. */
	snprintf(path, sizeof(path), "%s/rsync/current/repo/ca/a.cer", root);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mtime, SYNC_OBJTIME_FALLBACK);

	/* A delta that fits: replace, create, withdraw. */
	assert_non_null(t = rsync_tree_new(dir, "t2", "t1"));
	assert_int_equal(rsync_tree_incremental(t), 1);
	w = sync_tree_start(t, 1);
	sync_tree_file(w, "delta 2");
	elem(w, RRDP_PUBLISH, "a.cer", "cert 2", "cert 3");
	elem(w, RRDP_PUBLISH, "new/b.roa", NULL, "b");
	elem(w, RRDP_WITHDRAW, "d00/o0001.roa", "d00/o0001.roa", NULL);
	assert_int_equal(sync_tree_wait(w, err, sizeof(err)), 0);
	assert_int_equal(sync_tree_violated(w), 0);
	assert_non_null(t = sync_tree_stop(w, NULL));
	assert_int_equal(rsync_tree_commit(t, 1001), 0);
	assert_true(tree_has("repo/ca/a.cer", "cert 3"));
	assert_true(tree_has("repo/ca/new/b.roa", "b"));
	assert_false(tree_has("repo/ca/d00/o0001.roa", "d00/o0001.roa"));
	/* The previous tree keeps its own content (new inodes). */
	snprintf(path, sizeof(path), "%s/rsync/trees/t1/repo/ca/a.cer", root);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 6);

	/* Deltas that do not fit (RFC 8182 section 3.4.2), one each. */
	struct {
		enum rrdp_elem	 e;
		const char	*name, *old, *text, *want;
	} bad[] = {
		{ RRDP_PUBLISH, "a.cer", NULL, "x", "without hash, but an "
		    "object is there" },
		{ RRDP_PUBLISH, "a.cer", "cert 2", "x", "but the object there "
		    "has" },
		{ RRDP_PUBLISH, "nothere.roa", "y", "x", "which does not "
		    "exist" },
		{ RRDP_WITHDRAW, "nothere.roa", "y", NULL, "withdraws" },
		{ RRDP_WITHDRAW, "a.cer", "cert 1", NULL, "but the object "
		    "there has" },
	};
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		assert_non_null(t = rsync_tree_new(dir, "t3", "t2"));
		w = sync_tree_start(t, 1);
		sync_tree_file(w, "delta 3");
		elem(w, bad[i].e, bad[i].name, bad[i].old, bad[i].text);
		/* Later elements are dropped, not applied. */
		elem(w, RRDP_PUBLISH, "after.roa", NULL, "after");
		assert_int_equal(sync_tree_wait(w, err, sizeof(err)), -1);
		assert_int_equal(sync_tree_violated(w), 1);
		if (strstr(err, "RFC 8182 section 3.4.2: delta 3") == NULL ||
		    strstr(err, bad[i].want) == NULL)
			fail_msg("case %d: \"%s\"", i, err);
		assert_null(sync_tree_stop(w, NULL));
		assert_false(tree_has("repo/ca/after.roa", "after"));
	}
	assert_true(tree_has("repo/ca/a.cer", "cert 3"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_rel),
		cmocka_unit_test_setup_teardown(test_notification, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_present_and_sweep, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gone_trim, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tree, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
