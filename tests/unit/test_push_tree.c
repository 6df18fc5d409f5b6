/*
 * rpkipub-push's local tree (push_tree.c): the path -> URI mapping and
 * its refusals (the server's URI jail), and a scan of a real directory:
 * URIs, hashes, sizes and order, and every kind of file refused before
 * anything is sent, each with its reason.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/stat.h>

#include <ftw.h>
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

#include "bounds.h"
#include "buf.h"
#include "push_tree.h"

#define BASE	"rsync://rpki.example.net/repo/ca/"

static char	root[64];

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_push_tree.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Write root/rel with content (directories made as needed). */
static void
put(const char *rel, const char *content)
{
	char	path[2048], *p;
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	assert_non_null(f = fopen(path, "w"));
	fputs(content, f);
	fclose(f);
}

static void
link_at(const char *target, const char *rel)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* Scan root; the count of refusals must be nrefused (0: success). */
static struct push_tree *
scan(size_t max_object, size_t max_files, size_t want_refused,
    struct buf *refusals)
{
	struct push_tree	*t = (void *)1;
	size_t			 n = 99;
	int			 rc;

	buf_init(refusals);
	rc = push_tree_scan(root, BASE, max_object, max_files, &t, refusals,
	    &n);
	if (n != want_refused)
		fail_msg("%zu refusals, want %zu:\n%s", n, want_refused,
		    refusals->len ? buf_str(refusals) : "");
	if (want_refused == 0) {
		assert_int_equal(rc, 0);
		assert_non_null(t);
	} else {
		assert_int_equal(rc, -1);
		assert_null(t);
	}
	return t;
}

/* refusals must hold a line for root/rel with reason. */
static void
refused(struct buf *refusals, const char *rel, const char *reason)
{
	char	line[2048];
	char	*p;

	snprintf(line, sizeof(line), "%s%s%s: ", root, rel[0] ? "/" : "",
	    rel);
	if ((p = strstr(buf_str(refusals), line)) == NULL)
		fail_msg("no refusal of %s in:\n%s", line, buf_str(refusals));
	p += strlen(line);
	if (strstr(p, reason) == NULL || strstr(p, reason) >
	    strchr(p, '\n'))
		fail_msg("refusal of %s lacks \"%s\":\n%s", rel, reason,
		    buf_str(refusals));
}

static void
test_path_uri(void **state)
{
	char	 err[512], *uri, longp[MAX_URI_LENGTH + 10];

	(void)state;
	uri = push_path_uri(BASE, "a/b.roa", err, sizeof(err));
	assert_string_equal(uri, BASE "a/b.roa");
	free(uri);
	uri = push_path_uri(BASE, "x-y_z~1+2=3,4@5:6.cer", err, sizeof(err));
	assert_string_equal(uri, BASE "x-y_z~1+2=3,4@5:6.cer");
	free(uri);

	/* What the server's jail refuses, refused here with its reason. */
	assert_null(push_path_uri(BASE, "a b.roa", err, sizeof(err)));
	assert_non_null(strstr(err, "0x20 not allowed"));
	assert_non_null(strstr(err, "URI jail of RFC 8181 section 2.4"));
	assert_null(push_path_uri(BASE, "a/../b.roa", err, sizeof(err)));
	assert_non_null(strstr(err, "\"..\""));
	assert_null(push_path_uri(BASE, "a//b.roa", err, sizeof(err)));
	assert_non_null(strstr(err, "empty path segment"));
	assert_null(push_path_uri(BASE, "a%2Fb.roa", err, sizeof(err)));
	assert_null(push_path_uri(BASE, "a\tb", err, sizeof(err)));
	assert_null(push_path_uri(BASE, "caf\xc3\xa9.roa", err, sizeof(err)));
	assert_null(push_path_uri(BASE, "", err, sizeof(err)));
	assert_non_null(strstr(err, "sia_base itself"));
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_null(push_path_uri(BASE, longp, err, sizeof(err)));
	assert_non_null(strstr(err, "longer than"));
	/* One that fits exactly. */
	longp[MAX_URI_LENGTH - strlen(BASE)] = '\0';
	assert_non_null(uri = push_path_uri(BASE, longp, err, sizeof(err)));
	assert_int_equal(strlen(uri), MAX_URI_LENGTH);
	free(uri);
}

static void
test_scan(void **state)
{
	struct push_tree	*t;
	struct buf		 r;
	uint8_t			 h[32];
	char			 err[256], *content;

	(void)state;
	put("ta.cer", "certificate");
	put("ta/ta.mft", "manifest");
	put("ta/ta.crl", "crl");
	put("ta/sub/x.roa", "roa");
	put("z.asa", "aspa");
	link_at("ta/ta.crl", "crl-link.crl");	/* inside: followed */
	{
		char	d[512];

		snprintf(d, sizeof(d), "%s/empty-dir", root);
		mkdir(d, 0755);
	}
	t = scan(MAX_OBJECT_SIZE, MAX_PUSH_FILES, 0, &r);
	assert_int_equal(t->nfiles, 6);
	/* URI order (strcmp): '-' < '.' < '/' */
	assert_string_equal(t->files[0].uri, BASE "crl-link.crl");
	assert_string_equal(t->files[1].uri, BASE "ta.cer");
	assert_string_equal(t->files[2].uri, BASE "ta/sub/x.roa");
	assert_string_equal(t->files[3].uri, BASE "ta/ta.crl");
	assert_string_equal(t->files[4].uri, BASE "ta/ta.mft");
	assert_string_equal(t->files[5].uri, BASE "z.asa");
	assert_string_equal(t->files[2].path, "ta/sub/x.roa");
	/* The link has its target's content under its own name. */
	SHA256((const uint8_t *)"crl", 3, h);
	assert_memory_equal(t->files[0].hash, h, 32);
	assert_memory_equal(t->files[3].hash, h, 32);
	assert_int_equal(t->files[0].size, 3);
	SHA256((const uint8_t *)"manifest", 8, h);
	assert_memory_equal(t->files[4].hash, h, 32);
	assert_int_equal(t->files[4].size, 8);

	/* Read again for the publish PDU: the same bytes. */
	content = (char *)push_tree_read(root, &t->files[4], err, sizeof(err));
	assert_non_null(content);
	assert_memory_equal(content, "manifest", 8);
	free(content);
	/* Changed since the scan: refused, so a query never mixes states. */
	put("ta/ta.mft", "MANIFEST");
	assert_null(push_tree_read(root, &t->files[4], err, sizeof(err)));
	assert_non_null(strstr(err, "changed while rpkipub-push ran"));
	put("ta/ta.mft", "manifest, longer");
	assert_null(push_tree_read(root, &t->files[4], err, sizeof(err)));
	assert_non_null(strstr(err, "changed while rpkipub-push ran"));
	push_tree_free(t);
	buf_free(&r);

	/* An empty directory: no files, no refusal. */
	teardown(NULL);
	setup(NULL);
	t = scan(MAX_OBJECT_SIZE, MAX_PUSH_FILES, 0, &r);
	assert_int_equal(t->nfiles, 0);
	push_tree_free(t);
	buf_free(&r);
}

static void
test_scan_refusals(void **state)
{
	struct push_tree	*t;
	struct buf		 r;
	char			 path[2048], name[300];

	(void)state;
	put("ok.roa", "fine");
	put("empty.roa", "");
	put("big.roa", "0123456789A");		/* 11 bytes, limit 10 */
	put("a b.roa", "space");
	put("d/\x01.roa", "control");
	link_at("/etc/passwd", "out.roa");
	link_at("../", "up");
	link_at("d", "dirlink");
	link_at("nowhere", "dangling.roa");
	snprintf(path, sizeof(path), "%s/fifo", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	memset(name, 'n', 250);
	name[250] = '\0';
	snprintf(path, sizeof(path), "%s/%s/%s/%s", name, name, name, name);
	put(path, "deep");
	t = scan(10, MAX_PUSH_FILES, 10, &r);
	refused(&r, "empty.roa", "empty file");
	refused(&r, "big.roa", "11 bytes, over the object limit of 10");
	refused(&r, "a b.roa", "0x20 not allowed");
	refused(&r, "d/\\x01.roa", "control character 0x01");
	refused(&r, "out.roa", "outside the directory published");
	refused(&r, "up", "outside the directory published");
	refused(&r, "dirlink", "symbolic link to a directory");
	refused(&r, "dangling.roa", "leads nowhere");
	refused(&r, "fifo", "not a regular file or directory");
	/* A file whose URI is too long (its directories fit). */
	snprintf(path, sizeof(path), "%s/%s/%s/%s", name, name, name, name);
	refused(&r, path, "URI longer than 1024 characters");
	assert_null(strstr(buf_str(&r), "ok.roa"));
	(void)t;
	buf_free(&r);

	/* A directory whose files' URIs could not fit: not entered. */
	teardown(NULL);
	setup(NULL);
	snprintf(path, sizeof(path), "%s/%s/%s/%s/x", name, name, name, name);
	put(path, "deep");
	t = scan(10, MAX_PUSH_FILES, 1, &r);
	assert_non_null(strstr(buf_str(&r), "directory too deep"));
	buf_free(&r);

	/* More files than a query may carry PDUs for. */
	teardown(NULL);
	setup(NULL);
	put("1", "1");
	put("2", "2");
	put("3", "3");
	t = scan(10, 2, 1, &r);
	refused(&r, "", "3 files or more, over the limit of 2");
	buf_free(&r);
	t = scan(10, 3, 0, &r);
	assert_int_equal(t->nfiles, 3);
	push_tree_free(t);
	buf_free(&r);

	/* No such root. */
	teardown(NULL);
	t = scan(10, 3, 1, &r);
	refused(&r, "", "No such file or directory");
	buf_free(&r);
	setup(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_uri),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_refusals, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
