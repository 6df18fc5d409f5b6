/*
 * repo_verify on a hand-made repository, laid out as rpkipubd lays it
 * out, then broken one way per test; each broken repository must fail
 * with the line naming that fault.
 *
 * The repository (session SESSION, three serials):
 *   serial 1: a=A1 b=B1 c=C1 e=E1     delta 1 publishes all four
 *   serial 2: a=A2 b=B1 c=C1 d=D1 e=E1
 *             delta 2: publish a (hash A1) A2; publish d D1
 *   serial 3: a=A2 b=B2 d=D1 e=E1
 *             delta 3: withdraw c (hash C1); publish b (hash B1) B2
 * notification.xml: serial 3, deltas 3 and 2 (delta 1 alone is larger
 * than the snapshot: listing it breaks the size rule).  The snapshot of
 * serial 1 stays on disk, so the deltas are replayed on it.  The rsync
 * tree holds serial 3's objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "buf.h"
#include "encoding.h"
#include "rrdp_notification.h"
#include "verify.h"

#define SESSION	"5b7c2a9e-41d3-4f6a-9c2e-0e1f2a3b4c5d"
#define BASE	"https://127.0.0.1:8443/rrdp/"
#define RSYNC	"rsync://rpki.example.net/repo/ca/"

struct obj {
	const char	*name;		/* under RSYNC and repo/ca/ */
	uint8_t		 data[4096];
	size_t		 len;
};

enum { A1, A2, B1, B2, C1, D1, E1, NOBJ };

struct elem {
	int		 withdraw;
	int		 obj;		/* the new content, or what is withdrawn */
	int		 old;		/* replaced object, -1 for none */
};

struct fixture {
	char		 root[256];
	char		 rrdp[300];
	char		 rsync[300];
	struct obj	 o[NOBJ];
};

static void
make_obj(struct obj *o, const char *name, char fill, size_t len)
{
	size_t	i;

	o->name = name;
	o->len = len;
	for (i = 0; i < len; i++)
		o->data[i] = (uint8_t)(fill + i % 7);
}

static void
sha256(const void *d, size_t len, uint8_t out[32])
{
	unsigned int	n;

	assert_int_equal(EVP_Digest(d, len, out, &n, EVP_sha256(), NULL), 1);
}

static void
write_file(const char *path, const void *d, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL)
		fail_msg("%s: cannot create", path);
	assert_int_equal(fwrite(d, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	uint8_t	*d;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("%s: cannot open", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	d = malloc((size_t)n + 1);
	assert_non_null(d);
	assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return d;
}

static void
write_gz(const char *path, const void *d, size_t len)
{
	gzFile	gz;

	assert_non_null(gz = gzopen(path, "wb"));
	assert_int_equal(gzwrite(gz, d, (unsigned)len), (int)len);
	assert_int_equal(gzclose(gz), Z_OK);
}

static void
mkdirs(const char *path)
{
	char	tmp[512], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	mkdir(tmp, 0755);
}

/* The directory of serial s: <rrdp>/<session>/<s>/<32 hex>. */
static void
serial_dir(const struct fixture *f, char *out, size_t outlen, int s)
{
	snprintf(out, outlen, "%s/%s/%d/%032x", f->rrdp, SESSION, s,
	    0xc0ffee00u + (unsigned)s);
}

static void
serial_uri(char *out, size_t outlen, int s, const char *file)
{
	snprintf(out, outlen, BASE SESSION "/%d/%032x/%s", s,
	    0xc0ffee00u + (unsigned)s, file);
}

/* Write path and its .gz twin. */
static void
write_rrdp_file(const char *path, const struct buf *b)
{
	char	gz[600];

	write_file(path, b->data, b->len);
	snprintf(gz, sizeof(gz), "%s.gz", path);
	write_gz(gz, b->data, b->len);
}

static void
write_snapshot(struct fixture *f, int serial, const int *objs, size_t n)
{
	struct buf	b;
	char		dir[400], path[500];
	size_t		i;

	buf_init(&b);
	buf_printf(&b, "<snapshot xmlns=\"" RRDP_NS "\" version=\"1\" "
	    "session_id=\"" SESSION "\" serial=\"%d\">\n", serial);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "<publish uri=\"" RSYNC "%s\">",
		    f->o[objs[i]].name);
		b64_encode(&b, f->o[objs[i]].data, f->o[objs[i]].len);
		buf_adds(&b, "</publish>\n");
	}
	buf_adds(&b, "</snapshot>\n");
	serial_dir(f, dir, sizeof(dir), serial);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/snapshot.xml", dir);
	write_rrdp_file(path, &b);
	buf_free(&b);
}

static void
write_delta(struct fixture *f, int serial, const struct elem *e, size_t n)
{
	struct buf	b;
	uint8_t		h[32];
	char		hex[65], dir[400], path[500];
	size_t		i;

	buf_init(&b);
	buf_printf(&b, "<delta xmlns=\"" RRDP_NS "\" version=\"1\" "
	    "session_id=\"" SESSION "\" serial=\"%d\">\n", serial);
	for (i = 0; i < n; i++) {
		const struct obj	*o = &f->o[e[i].obj];

		if (e[i].withdraw) {
			sha256(o->data, o->len, h);
			hex_encode(hex, h, 32);
			buf_printf(&b, "<withdraw uri=\"" RSYNC "%s\" "
			    "hash=\"%s\"/>\n", o->name, hex);
			continue;
		}
		buf_printf(&b, "<publish uri=\"" RSYNC "%s\"", o->name);
		if (e[i].old >= 0) {
			sha256(f->o[e[i].old].data, f->o[e[i].old].len, h);
			hex_encode(hex, h, 32);
			buf_printf(&b, " hash=\"%s\"", hex);
		}
		buf_adds(&b, ">");
		b64_encode(&b, o->data, o->len);
		buf_adds(&b, "</publish>\n");
	}
	buf_adds(&b, "</delta>\n");
	serial_dir(f, dir, sizeof(dir), serial);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/delta.xml", dir);
	write_rrdp_file(path, &b);
	buf_free(&b);
}

static void
file_hash(const struct fixture *f, int serial, const char *name,
    uint8_t h[32])
{
	uint8_t	*d;
	size_t	 len;
	char	 dir[400], path[500];

	serial_dir(f, dir, sizeof(dir), serial);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	d = slurp(path, &len);
	sha256(d, len, h);
	free(d);
}

/*
 * notification.xml for serial `serial`, listing the deltas of serials
 * deltas[0..n) (newest first); delta_host replaces the origin of the
 * delta URIs when not NULL.
 */
static void
write_notification(struct fixture *f, int serial, const int *deltas,
    size_t n, const char *delta_origin)
{
	struct rrdp_notification	 nt;
	struct rrdp_delta_ref		 refs[8];
	struct buf			 b;
	char				 snap_uri[300], uris[8][300];
	char				 path[400];
	size_t				 i;

	memset(&nt, 0, sizeof(nt));
	strcpy(nt.session, SESSION);
	nt.serial = serial;
	serial_uri(snap_uri, sizeof(snap_uri), serial, "snapshot.xml");
	nt.snapshot_uri = snap_uri;
	file_hash(f, serial, "snapshot.xml", nt.snapshot_hash);
	for (i = 0; i < n; i++) {
		serial_uri(uris[i], sizeof(uris[i]), deltas[i], "delta.xml");
		if (delta_origin != NULL) {
			char	tmp[300];

			snprintf(tmp, sizeof(tmp), "%s%s", delta_origin,
			    uris[i] + strlen("https://127.0.0.1:8443"));
			strcpy(uris[i], tmp);
		}
		refs[i].serial = deltas[i];
		refs[i].uri = uris[i];
		file_hash(f, deltas[i], "delta.xml", refs[i].hash);
	}
	nt.deltas = refs;
	nt.ndeltas = n;
	buf_init(&b);
	rrdp_notification_write(&b, &nt);
	snprintf(path, sizeof(path), "%s/notification.xml", f->rrdp);
	write_file(path, b.data, b.len);
	buf_free(&b);
}

static void
write_tree(struct fixture *f, const int *objs, size_t n)
{
	char	dir[400], path[500], link[400];
	size_t	i;

	snprintf(dir, sizeof(dir), "%s/trees/t3/repo/ca", f->rsync);
	mkdirs(dir);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f->o[objs[i]].name);
		write_file(path, f->o[objs[i]].data, f->o[objs[i]].len);
	}
	snprintf(link, sizeof(link), "%s/current", f->rsync);
	unlink(link);
	assert_int_equal(symlink("trees/t3", link), 0);
}

static const int snap1[] = { A1, B1, C1, E1 };
static const int snap2[] = { A2, B1, C1, D1, E1 };
static const int snap3[] = { A2, B2, D1, E1 };
static const struct elem delta1[] = {
	{ 0, A1, -1 }, { 0, B1, -1 }, { 0, C1, -1 }, { 0, E1, -1 }
};
static const struct elem delta2[] = { { 0, A2, A1 }, { 0, D1, -1 } };
static const struct elem delta3[] = { { 1, C1, -1 }, { 0, B2, B1 } };
static const int deltas32[] = { 3, 2 };

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static int
setup(void **state)
{
	struct fixture	*f;
	const char	*tmp = getenv("TMPDIR");

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "%s/test_verify.XXXXXX",
	    tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->rrdp, sizeof(f->rrdp), "%s/rrdp", f->root);
	snprintf(f->rsync, sizeof(f->rsync), "%s/rsync", f->root);
	make_obj(&f->o[A1], "a.roa", 'a', 300);
	make_obj(&f->o[A2], "a.roa", 'A', 310);
	make_obj(&f->o[B1], "b.cer", 'b', 200);
	make_obj(&f->o[B2], "b.cer", 'B', 210);
	make_obj(&f->o[C1], "c.crl", 'c', 600);
	make_obj(&f->o[D1], "d.mft", 'd', 100);
	make_obj(&f->o[E1], "e.roa", 'e', 3000);
	write_snapshot(f, 1, snap1, N(snap1));
	write_snapshot(f, 2, snap2, N(snap2));
	write_snapshot(f, 3, snap3, N(snap3));
	write_delta(f, 1, delta1, N(delta1));
	write_delta(f, 2, delta2, N(delta2));
	write_delta(f, 3, delta3, N(delta3));
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	write_tree(f, snap3, N(snap3));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Run repo_verify; return its count and the report (caller frees). */
static int
run(struct fixture *f, int with_rsync, char **report)
{
	FILE	*mem;
	size_t	 len;
	int	 n;

	assert_non_null(mem = open_memstream(report, &len));
	n = repo_verify(f->rrdp, with_rsync ? f->rsync : NULL, mem);
	assert_int_equal(fclose(mem), 0);
	return n;
}

/*
 * Verify must find exactly nproblems problems (-1: at least one) and
 * one line containing each of the NULL-terminated strings.
 */
static void
expect(struct fixture *f, int with_rsync, int nproblems, ...)
{
	va_list		 ap;
	const char	*want;
	char		*report, *line, *save, *copy;
	int		 n, found;

	n = run(f, with_rsync, &report);
	if (getenv("VERIFY_SHOW") != NULL)
		fprintf(stderr, "%s", report);
	if ((nproblems >= 0 && n != nproblems) || (nproblems < 0 && n == 0))
		fail_msg("%d problems, expected %d; report:\n%s", n, nproblems,
		    report);
	va_start(ap, nproblems);
	while ((want = va_arg(ap, const char *)) != NULL) {
		found = 0;
		copy = strdup(report);
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (strstr(line, want) != NULL)
				found = 1;
		free(copy);
		if (!found)
			fail_msg("no line with \"%s\" in:\n%s", want, report);
	}
	va_end(ap);
	free(report);
}

static void
path_of(const struct fixture *f, char *out, size_t outlen, int serial,
    const char *name)
{
	char	dir[400];

	serial_dir(f, dir, sizeof(dir), serial);
	snprintf(out, outlen, "%s/%s", dir, name);
}

static void
test_good(void **state)
{
	struct fixture	*f = *state;

	expect(f, 1, 0, "verify: PASS: 0 problems",
	    "replayed the deltas on the previous snapshot",
	    "snapshot 4 objects", "2 deltas", "rsync tree: 4 files match",
	    NULL);
	expect(f, 0, 0, "verify: PASS", NULL);
}

/* Without the snapshot of serial 1, only touched URIs are compared. */
static void
test_good_base_gone(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s/1'", f->rrdp, SESSION);
	assert_int_equal(system(cmd), 0);
	expect(f, 1, 0, "verify: PASS", "touched URIs only", NULL);
}

/*
 * An unannounced serial 1 left by a killed writer, older than the one
 * announced: the replay starts from the announced (newest) one.
 */
static void
test_orphan_start_snapshot(void **state)
{
	struct fixture		*f = *state;
	struct timespec		 old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char			 dir[400], path[500];
	FILE			*fp;

	snprintf(dir, sizeof(dir), "%s/%s/1/%032x", f->rrdp, SESSION, 0xdeadu);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/snapshot.xml", dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "<snapshot xmlns=\"" RRDP_NS "\" version=\"1\" "
	    "session_id=\"" SESSION "\" serial=\"1\"/>\n");
	fclose(fp);
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	expect(f, 1, 0, "replayed the deltas on the previous snapshot", NULL);
	/* Made the newest, the orphan is taken, and the replay fails. */
	old[0].tv_sec = old[1].tv_sec = 2000000000;
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	expect(f, 1, -1, "delta 2 replaces " RSYNC "a.roa, which does not "
	    "exist", NULL);
}

/* A corrupt start snapshot is reported, then replay goes on without it. */
static void
test_start_snapshot_corrupt(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	path_of(f, path, sizeof(path), 1, "snapshot.xml");
	write_file(path, "<snapshot>", 10);
	expect(f, 1, 1, "start snapshot", "snapshot.xml: RFC 8182 section "
	    "3.5.2.3: ", "touched URIs only", NULL);
}

/* Deltas from serial 1 replay from the empty repository. */
static void
test_good_from_empty(void **state)
{
	struct fixture	*f = *state;
	static const int d[] = { 3, 2, 1 };

	write_notification(f, 3, d, N(d), NULL);
	/* Delta 1 is larger than snapshot 3: the size rule is the only fault. */
	expect(f, 1, 1, "from the empty repository",
	    "RFC 8182 section 3.3.2: the deltas total", NULL);
}

static void
test_changed_byte_delta(void **state)
{
	struct fixture	*f = *state;
	uint8_t		*d;
	char		 path[500], *p;
	size_t		 len;

	path_of(f, path, sizeof(path), 2, "delta.xml");
	d = slurp(path, &len);
	d[len] = '\0';
	/* First base64 character of the first object: still valid base64. */
	assert_non_null(p = strstr((char *)d, "<publish"));
	assert_non_null(p = strstr(p, "\">"));
	p[2] = p[2] == 'Q' ? 'R' : 'Q';
	write_file(path, d, len);
	free(d);
	expect(f, 1, -1, "delta 2 ", "has SHA-256",
	    "the notification lists", NULL);
}

static void
test_missing_file(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	path_of(f, path, sizeof(path), 3, "delta.xml");
	assert_int_equal(unlink(path), 0);
	expect(f, 1, 1, "delta 3 file", "is missing", NULL);
}

static void
test_missing_snapshot(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	path_of(f, path, sizeof(path), 3, "snapshot.xml");
	assert_int_equal(unlink(path), 0);
	expect(f, 1, -1, "snapshot file", "is missing",
	    "rsync: not compared", NULL);
}

static void
test_serial_gap(void **state)
{
	struct fixture	*f = *state;
	static const int d[] = { 3, 1 };

	write_notification(f, 3, d, N(d), NULL);
	expect(f, 0, -1, "RFC 8182 section 3.3.2: delta serials jump from 1 "
	    "to 3", "no replay", NULL);
}

static void
test_newest_not_current(void **state)
{
	struct fixture	*f = *state;
	static const int d[] = { 2 };

	/* Serial 3 with only delta 2 listed: delta 3 is missing. */
	write_notification(f, 3, d, N(d), NULL);
	expect(f, 0, 1, "newest delta has serial 2, the notification 3",
	    NULL);
}

static void
test_size_rule(void **state)
{
	struct fixture	*f = *state;
	static const int d[] = { 3, 2, 1 };

	write_notification(f, 3, d, N(d), NULL);
	expect(f, 0, 1, "RFC 8182 section 3.3.2: the deltas total",
	    "more than the snapshot's", NULL);
}

static void
test_gz_wrong(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	path_of(f, path, sizeof(path), 3, "snapshot.xml.gz");
	write_gz(path, "<snapshot/>", 11);
	expect(f, 0, 1, "snapshot.xml.gz: decompresses to other bytes", NULL);
}

static void
test_gz_garbage(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	path_of(f, path, sizeof(path), 2, "delta.xml.gz");
	write_file(path, "not gzip at all", 15);
	expect(f, 0, 1, "delta.xml.gz: not valid gzip", NULL);
}

static void
test_gz_truncated(void **state)
{
	struct fixture	*f = *state;
	uint8_t		*d;
	size_t		 len;
	char		 path[500];

	path_of(f, path, sizeof(path), 3, "delta.xml.gz");
	d = slurp(path, &len);
	write_file(path, d, len - 9);
	free(d);
	expect(f, 0, 1, "delta.xml.gz: truncated gzip", NULL);
}

/* A second gzip member with more bytes after a complete copy. */
static void
test_gz_longer(void **state)
{
	struct fixture	*f = *state;
	uint8_t		*d;
	size_t		 len;
	char		 path[500], gz[520];
	gzFile		 z;

	path_of(f, path, sizeof(path), 3, "delta.xml");
	snprintf(gz, sizeof(gz), "%s.gz", path);
	d = slurp(path, &len);
	assert_non_null(z = gzopen(gz, "wb"));
	assert_int_equal(gzwrite(z, d, (unsigned)len), (int)len);
	assert_int_equal(gzclose(z), Z_OK);
	assert_non_null(z = gzopen(gz, "ab"));
	assert_int_equal(gzwrite(z, "x", 1), 1);
	assert_int_equal(gzclose(z), Z_OK);
	free(d);
	expect(f, 0, 1, "delta.xml.gz: decompresses to more than", NULL);
}

static void
test_origin(void **state)
{
	struct fixture	*f = *state;

	write_notification(f, 3, deltas32, N(deltas32),
	    "https://127.0.0.1:8444");
	expect(f, 0, -1, "RFC 9674 section 3.1: delta 3 URI",
	    "not on the snapshot's origin https://127.0.0.1:8443", NULL);
}

/* Delta 3 carries another session than the notification's. */
static void
test_delta_session(void **state)
{
	struct fixture	*f = *state;
	uint8_t		*d;
	char		 path[500], *p;
	size_t		 len;

	path_of(f, path, sizeof(path), 3, "delta.xml");
	d = slurp(path, &len);
	d[len] = '\0';
	assert_non_null(p = strstr((char *)d, SESSION));
	p[0] = p[0] == '5' ? '6' : '5';
	write_file(path, d, len);
	free(d);
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	expect(f, 0, -1, "RFC 8182 section 3.5.3.3: delta session_id", NULL);
}

/* Delta 2 on disk claims serial 3. */
static void
test_delta_serial(void **state)
{
	struct fixture	*f = *state;

	write_delta(f, 3, delta3, N(delta3));
	{
		/* Put delta 3's file where delta 2 is listed. */
		char	from[500], to[500], cmd[2200];

		path_of(f, from, sizeof(from), 3, "delta.xml");
		path_of(f, to, sizeof(to), 2, "delta.xml");
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && cp '%s.gz' '%s.gz'",
		    from, to, from, to);
		assert_int_equal(system(cmd), 0);
	}
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	expect(f, 0, -1, "delta serial 3 is not the expected 2", NULL);
}

/* Delta 2 publishes a.roa without hash though serial 1 has it. */
static void
test_replay_create_existing(void **state)
{
	struct fixture		*f = *state;
	static const struct elem d2[] = { { 0, A2, -1 }, { 0, D1, -1 } };

	write_delta(f, 2, d2, N(d2));
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	expect(f, 0, 1, "delta 2 publishes " RSYNC "a.roa without hash, but "
	    "it exists", NULL);
}

/* Delta 3 withdraws c.crl with the hash of another object. */
static void
test_replay_wrong_hash(void **state)
{
	struct fixture		*f = *state;
	static const struct elem d3[] = { { 0, B2, B1 } , { 1, C1, -1 } };
	uint8_t			*d;
	char			 path[500], *p, hex[65];
	uint8_t			 h[32];
	size_t			 len;

	write_delta(f, 3, d3, N(d3));
	/* Replace the withdraw's hash by B1's. */
	path_of(f, path, sizeof(path), 3, "delta.xml");
	d = slurp(path, &len);
	d[len] = '\0';
	sha256(f->o[C1].data, f->o[C1].len, h);
	hex_encode(hex, h, 32);
	assert_non_null(p = strstr((char *)d, hex));
	sha256(f->o[D1].data, f->o[D1].len, h);
	hex_encode(hex, h, 32);
	memcpy(p, hex, 64);
	write_file(path, d, len);
	strcat(path, ".gz");
	write_gz(path, d, len);
	free(d);
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	expect(f, 0, 1, "delta 3 withdraws " RSYNC "c.crl with hash", NULL);
}

/* The snapshot lacks an object the deltas keep, and has a stray one. */
static void
test_replay_snapshot_differs(void **state)
{
	struct fixture	*f = *state;
	static const int s3[] = { A2, B2, E1, C1 };

	write_snapshot(f, 3, s3, N(s3));
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	expect(f, 0, 2, "the deltas applied to serial 1 keep " RSYNC "d.mft, "
	    "the snapshot lacks it", "withdraw " RSYNC "c.crl, the snapshot "
	    "has it", NULL);
	/* Without the start snapshot the touched URIs still catch both. */
	{
		char	cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s/1'", f->rrdp,
		    SESSION);
		assert_int_equal(system(cmd), 0);
	}
	expect(f, 0, 2, "keep " RSYNC "d.mft", "withdraw " RSYNC "c.crl",
	    NULL);
}

/* The snapshot holds other content for an object a delta replaced. */
static void
test_replay_content_differs(void **state)
{
	struct fixture	*f = *state;
	static const int s3[] = { A1, B2, D1, E1 };

	write_snapshot(f, 3, s3, N(s3));
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	expect(f, 0, 1, "the deltas applied to serial 1 give " RSYNC "a.roa "
	    "other content than the snapshot", NULL);
}

/* An object of serial 1 that no delta touches is gone from snapshot 3. */
static void
test_replay_untouched_lost(void **state)
{
	struct fixture	*f = *state;
	static const int s3[] = { A2, B2, D1 };

	write_snapshot(f, 3, s3, N(s3));
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	/* The smaller snapshot also breaks the size rule. */
	expect(f, 0, 2, "keep " RSYNC "e.roa, the snapshot lacks it",
	    "RFC 8182 section 3.3.2: the deltas total", NULL);
}

/* The writer collapses changes: one element per URI in a delta. */
static void
test_delta_duplicate_uri(void **state)
{
	struct fixture		*f = *state;
	static const struct elem d2[] = {
		{ 0, A2, A1 }, { 0, D1, -1 }, { 1, D1, -1 }, { 0, D1, -1 }
	};

	write_delta(f, 2, d2, N(d2));
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	expect(f, 0, 2, "delta 2 names " RSYNC "d.mft more than once", NULL);
}

static void
test_snapshot_duplicate_uri(void **state)
{
	struct fixture	*f = *state;
	static const int s3[] = { A2, B2, D1, E1, D1 };

	write_snapshot(f, 3, s3, N(s3));
	write_notification(f, 3, deltas32, N(deltas32), NULL);
	expect(f, 0, 1, "RFC 8182 section 3.5.2.3: snapshot lists " RSYNC
	    "d.mft twice", NULL);
}

static void
test_rsync_extra(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	snprintf(path, sizeof(path), "%s/trees/t3/repo/ca/x.roa", f->rsync);
	write_file(path, "x", 1);
	snprintf(path, sizeof(path), "%s/trees/t3/.hidden", f->rsync);
	write_file(path, "x", 1);
	expect(f, 1, 2, "rsync: extra file repo/ca/x.roa",
	    "rsync: extra file .hidden", NULL);
}

/*
 * The writer switched `current` to serial 4 and has not replaced the
 * notification yet: the tree equals snapshot 4 on disk.
 */
static void
test_rsync_next_serial(void **state)
{
	struct fixture	*f = *state;
	static const int s4[] = { A2, B2, D1 };
	char		 path[500], cmd[1400];

	snprintf(path, sizeof(path), "%s/trees/t3/repo/ca/e.roa", f->rsync);
	assert_int_equal(unlink(path), 0);
	/* Without the snapshot of serial 4 the tree is simply wrong. */
	expect(f, 1, 1, "rsync: missing file repo/ca/e.roa", NULL);
	write_snapshot(f, 4, s4, N(s4));
	expect(f, 1, 0, "PASS", "rsync tree is the next serial, not yet "
	    "announced", NULL);
	/*
	 * Killed again, the writer wrote serial 4 once more, with other
	 * content, in a newer directory: the tree of the first attempt is
	 * still a serial 4 the writer made.
	 */
	{
		static const int s4b[] = { A2, B2 };
		char	dir[400];

		serial_dir(f, dir, sizeof(dir), 4);
		snprintf(cmd, sizeof(cmd), "mv '%s' '%s/%s/4/%032x'", dir,
		    f->rrdp, SESSION, 0x01d0u);
		assert_int_equal(system(cmd), 0);
		write_snapshot(f, 4, s4b, N(s4b));
		expect(f, 1, 0, "PASS", "rsync tree is the next serial, not "
		    "yet announced", NULL);
		snprintf(cmd, sizeof(cmd), "rm -r '%s'", dir);
		assert_int_equal(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "mv '%s/%s/4/%032x' '%s'", f->rrdp,
		    SESSION, 0x01d0u, dir);
		assert_int_equal(system(cmd), 0);
	}
	/* A tree that is neither serial 3 nor serial 4 still fails. */
	snprintf(path, sizeof(path), "%s/trees/t3/repo/ca/d.mft", f->rsync);
	assert_int_equal(unlink(path), 0);
	expect(f, 1, 2, "rsync: missing file repo/ca/e.roa",
	    "rsync: missing file repo/ca/d.mft", NULL);
	/* Serial 5 is not serial 4. */
	snprintf(cmd, sizeof(cmd), "mv '%s/%s/4' '%s/%s/5'", f->rrdp, SESSION,
	    f->rrdp, SESSION);
	assert_int_equal(system(cmd), 0);
	write_file(path, f->o[D1].data, f->o[D1].len);
	expect(f, 1, 1, "rsync: missing file repo/ca/e.roa", NULL);
}

static void
test_rsync_missing(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	snprintf(path, sizeof(path), "%s/trees/t3/repo/ca/a.roa", f->rsync);
	assert_int_equal(unlink(path), 0);
	expect(f, 1, 1, "rsync: missing file repo/ca/a.roa", NULL);
}

static void
test_rsync_different(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	snprintf(path, sizeof(path), "%s/trees/t3/repo/ca/b.cer", f->rsync);
	write_file(path, f->o[B1].data, f->o[B1].len);
	expect(f, 1, 1, "rsync: repo/ca/b.cer differs", NULL);
}

static void
test_rsync_link_target(void **state)
{
	struct fixture	*f = *state;
	char		 link[400], target[400];

	snprintf(link, sizeof(link), "%s/current", f->rsync);
	snprintf(target, sizeof(target), "%s/trees/t3", f->rsync);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(target, link), 0);
	expect(f, 1, 1, "not to trees/<name>", "rsync tree: 4 files match",
	    NULL);
}

static void
test_rsync_not_symlink(void **state)
{
	struct fixture	*f = *state;
	char		 path[500], cmd[1200];

	snprintf(path, sizeof(path), "%s/current", f->rsync);
	assert_int_equal(unlink(path), 0);
	snprintf(cmd, sizeof(cmd), "cp -r '%s/trees/t3' '%s'", f->rsync, path);
	assert_int_equal(system(cmd), 0);
	expect(f, 1, 1, "is not a symlink", NULL);
}

static void
test_rsync_symlink_inside(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	snprintf(path, sizeof(path), "%s/trees/t3/repo/ca/d.mft", f->rsync);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("e.roa", path), 0);
	expect(f, 1, 2, "rsync: repo/ca/d.mft is not a regular file",
	    "missing file repo/ca/d.mft", NULL);
}

static void
test_notification_bad(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];

	snprintf(path, sizeof(path), "%s/notification.xml", f->rrdp);
	write_file(path, "<notification/>", 15);
	expect(f, 1, 1, "notification.xml: RFC 8182 section 3.5.1.3",
	    "verify: FAIL: 1 problem; no usable notification", NULL);
	assert_int_equal(unlink(path), 0);
	expect(f, 1, 1, "notification.xml: missing", NULL);
}

static void
test_notification_gz(void **state)
{
	struct fixture	*f = *state;
	char		 path[500];
	uint8_t		*d;
	size_t		 len;

	snprintf(path, sizeof(path), "%s/notification.xml", f->rrdp);
	d = slurp(path, &len);
	strcat(path, ".gz");
	write_gz(path, d, len);
	expect(f, 0, 0, "PASS", NULL);
	write_gz(path, d, len - 1);
	expect(f, 0, 1, "notification.xml.gz: decompresses to other bytes",
	    NULL);
	free(d);
}

int
main(void)
{
#define T(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest	tests[] = {
		T(test_good),
		T(test_good_base_gone),
		T(test_orphan_start_snapshot),
		T(test_start_snapshot_corrupt),
		T(test_good_from_empty),
		T(test_changed_byte_delta),
		T(test_missing_file),
		T(test_missing_snapshot),
		T(test_serial_gap),
		T(test_newest_not_current),
		T(test_size_rule),
		T(test_gz_wrong),
		T(test_gz_garbage),
		T(test_gz_truncated),
		T(test_gz_longer),
		T(test_origin),
		T(test_delta_session),
		T(test_delta_serial),
		T(test_replay_create_existing),
		T(test_replay_wrong_hash),
		T(test_replay_snapshot_differs),
		T(test_replay_content_differs),
		T(test_replay_untouched_lost),
		T(test_delta_duplicate_uri),
		T(test_snapshot_duplicate_uri),
		T(test_rsync_extra),
		T(test_rsync_next_serial),
		T(test_rsync_missing),
		T(test_rsync_different),
		T(test_rsync_link_target),
		T(test_rsync_not_symlink),
		T(test_rsync_symlink_inside),
		T(test_notification_bad),
		T(test_notification_gz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
