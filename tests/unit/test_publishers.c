/*
 * Publisher administration (publishers.c) on a real store, and the
 * configuration file (config.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "bpki.h"
#include "config.h"
#include "cms.h"
#include "publishers.h"
#include "rfc8183.h"
#include "store.h"

struct fixture {
	char		 dir[64];
	struct config	*cfg;
	struct store	*st;
	uint8_t		*ta;		/* a real DER certificate */
	size_t		 ta_len;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	struct bpki	*b;
	char		*path;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_publishers.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cfg = config_new(f->dir);
	f->cfg->service_uri = strdup("http://127.0.0.1:8080/rpki");
	f->cfg->rsync_base = strdup("rsync://rpki.example.net/repo/");
	f->cfg->rrdp_base = strdup("https://rrdp.example.net/rrdp/");
	path = config_path(f->cfg, "id");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(bpki_create(path, "test"), 0);
	assert_non_null(b = bpki_load(path));
	assert_non_null(f->ta = bpki_cert_der(b->ta, &f->ta_len));
	bpki_free(b);
	free(path);
	path = config_path(f->cfg, CONFIG_STORE);
	assert_non_null(f->st = store_open(path));
	free(path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	store_close(f->st);
	config_free(f->cfg);
	free(f->ta);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int
add(struct fixture *f, const char *req_handle, const char *handle,
    struct buf *out, char *err)
{
	struct rfc8183_publisher_request	r;
	struct buf				req;
	int					rc;

	memset(&r, 0, sizeof(r));
	r.handle = (char *)req_handle;
	r.bpki_ta = f->ta;
	r.bpki_ta_len = f->ta_len;
	buf_init(&req);
	rfc8183_write_publisher_request(&req, &r);
	rc = publishers_add(f->st, f->cfg, f->ta, f->ta_len, req.data,
	    req.len, handle, 1000, out, err, 256);
	buf_free(&req);
	return rc;
}

static void
test_add_response(void **state)
{
	struct fixture				*f = *state;
	struct rfc8183_repository_response	*resp = NULL;
	struct store_publisher			*p;
	struct buf				 out;
	char					 err[256];

	buf_init(&out);
	assert_int_equal(add(f, "ca-one", NULL, &out, err), 0);
	assert_int_equal(rfc8183_parse_repository_response(out.data, out.len,
	    &resp, err, sizeof(err)), 0);
	assert_string_equal(resp->handle, "ca-one");
	assert_string_equal(resp->service_uri,
	    "http://127.0.0.1:8080/rpki/ca-one");
	assert_string_equal(resp->sia_base,
	    "rsync://rpki.example.net/repo/ca-one/");
	assert_string_equal(resp->rrdp_notification_uri,
	    "https://rrdp.example.net/rrdp/notification.xml");
	assert_int_equal(resp->bpki_ta_len, f->ta_len);
	assert_memory_equal(resp->bpki_ta, f->ta, f->ta_len);
	rfc8183_repository_response_free(resp);

	/* Replay protection starts at the registration (less the skew): a
	 * message captured under an earlier registration is refused. */
	assert_int_equal(store_publisher_get(f->st, "ca-one", &p), 1);
	assert_int_equal(p->last_signing_time, 1000 - CMS_MAX_CLOCK_SKEW);
	store_publisher_free(p);

	/* --handle overrides the request's handle. */
	buf_free(&out);
	assert_int_equal(add(f, "ignored", "ca-two", &out, err), 0);
	assert_non_null(strstr(buf_str(&out), "publisher_handle=\"ca-two\""));
	buf_free(&out);
}

static void
test_add_refused(void **state)
{
	struct fixture	*f = *state;
	struct buf	 out;
	char		 err[256];

	buf_init(&out);
	assert_int_equal(add(f, "a", NULL, &out, err), 0);
	/* Taken. */
	assert_int_equal(add(f, "a", NULL, &out, err), PUB_CONFLICT);
	assert_non_null(strstr(err, "already registered"));
	/* Nested jails: "a/b" would sit inside "a"'s sia_base, and back. */
	assert_int_equal(add(f, "x", "a/b", &out, err), PUB_CONFLICT);
	assert_non_null(strstr(err, "overlap"));
	assert_int_equal(add(f, "c/d", NULL, &out, err), 0);
	assert_int_equal(add(f, "c", NULL, &out, err), PUB_CONFLICT);
	/* Bad handles. */
	assert_int_equal(add(f, "x", "../etc", &out, err), PUB_INVALID);
	assert_int_equal(add(f, "x", "a//b", &out, err), PUB_INVALID);
	assert_int_equal(add(f, "x", "/abs", &out, err), PUB_INVALID);
	assert_int_equal(add(f, "x", "", &out, err), PUB_INVALID);
	/* Not a certificate. */
	{
		const char *bad = "<publisher_request xmlns=\"http://www.hactrn"
		    ".net/uris/rpki/rpki-setup/\" version=\"1\" "
		    "publisher_handle=\"z\"><publisher_bpki_ta>AAAA"
		    "</publisher_bpki_ta></publisher_request>";

		assert_int_equal(publishers_add(f->st, f->cfg, f->ta,
		    f->ta_len, (const uint8_t *)bad, strlen(bad), NULL, 1000,
		    &out, err, sizeof(err)), PUB_INVALID);
	}
	buf_free(&out);
}

static void
test_remove_withdraws(void **state)
{
	struct fixture		*f = *state;
	struct store_publisher	*p = NULL;
	struct buf		 out;
	struct rrdp_obj		 o;
	uint8_t			 h[32];
	int64_t			 owner;
	char			 err[256];

	buf_init(&out);
	assert_int_equal(add(f, "gone", NULL, &out, err), 0);
	assert_int_equal(store_publisher_get(f->st, "gone", &p), 1);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(rrdp_obj_make(&o,
	    "rsync://rpki.example.net/repo/gone/a.roa",
	    (const uint8_t *)"x", 1), 0);
	assert_int_equal(store_object_put(f->st, p->id,
	    "rsync://rpki.example.net/repo/gone/a.roa", &o, 1), 0);
	rrdp_obj_free(&o);
	assert_int_equal(rrdp_obj_make(&o,
	    "rsync://rpki.example.net/repo/gone/b.roa",
	    (const uint8_t *)"y", 1), 0);
	assert_int_equal(store_object_put(f->st, p->id,
	    "rsync://rpki.example.net/repo/gone/b.roa", &o, 1), 0);
	rrdp_obj_free(&o);
	assert_int_equal(store_commit(f->st), 0);
	store_publisher_free(p);

	buf_free(&out);
	assert_int_equal(publishers_remove(f->st, "gone", 2000, &out, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(buf_str(&out), "withdrew 2 objects"));
	assert_int_equal(store_object_get(f->st,
	    "rsync://rpki.example.net/repo/gone/a.roa", &owner, h), 0);
	assert_int_equal(store_publisher_get(f->st, "gone", &p), 0);
	assert_int_equal(publishers_remove(f->st, "gone", 2000, &out, err,
	    sizeof(err)), PUB_NOT_FOUND);
	assert_non_null(strstr(err, "no publisher"));
	assert_int_equal(publishers_show(f->st, f->cfg, "gone", &out, err,
	    sizeof(err)), PUB_NOT_FOUND);
	assert_int_equal(publishers_response(f->st, f->cfg, f->ta, f->ta_len,
	    "gone", &out, err, sizeof(err)), PUB_NOT_FOUND);
	buf_free(&out);
}

static void
test_config_roundtrip(void **state)
{
	struct fixture	*f = *state;
	struct config	*c;
	char		*path;
	FILE		*fp;

	f->cfg->max_object = 12345;
	f->cfg->listen = (free(f->cfg->listen), strdup("[::1]:9000"));
	assert_int_equal(config_save(f->cfg), 0);
	assert_non_null(c = config_load(f->dir));
	assert_string_equal(c->service_uri, f->cfg->service_uri);
	assert_string_equal(c->listen, "[::1]:9000");
	assert_int_equal(c->max_object, 12345);
	assert_string_equal(config_service_path(c), "/rpki");
	config_free(c);

	/* Unknown keys and bad values are refused, not ignored. */
	path = config_path(f->cfg, CONFIG_FILE);
	assert_non_null(fp = fopen(path, "a"));
	fputs("max_bodyy = 5\n", fp);
	fclose(fp);
	assert_null(config_load(f->dir));
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_response, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_add_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remove_withdraws, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_config_roundtrip, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
