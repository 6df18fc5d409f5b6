/*
 * rpkipub-push's difference between a local tree and the server's list
 * (push_diff.c): new files are published, changed ones replaced with the
 * listed hash, gone ones withdrawn with the listed hash, equal ones left
 * alone; the plan is in URI (byte) order whatever order the list came
 * in; a URI listed twice is refused; the mass-withdraw rule of sync.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "buf.h"
#include "push_diff.h"

#define BASE	"rsync://rpki.example.net/repo/ca/"

static void
file_set(struct push_file *f, const char *path, uint8_t h)
{
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->uri = malloc(strlen(BASE) + strlen(path) + 1);
	strcpy(f->uri, BASE);
	strcat(f->uri, path);
	memset(f->hash, h, sizeof(f->hash));
	f->size = 1;
}

static void
listed_set(struct push_listed *l, const char *path, uint8_t h)
{
	l->uri = malloc(strlen(BASE) + strlen(path) + 1);
	strcpy(l->uri, BASE);
	strcat(l->uri, path);
	memset(l->hash, h, sizeof(l->hash));
}

static void
files_free(struct push_file *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].uri);
	}
}

static void
listed_free(struct push_listed *l, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(l[i].uri);
}

static void
expect_change(const struct push_change *c, enum push_action a,
    const char *path, int old)
{
	char	uri[256];

	snprintf(uri, sizeof(uri), BASE "%s", path);
	assert_int_equal(c->action, a);
	assert_string_equal(c->uri, uri);
	if (a == PUSH_WITHDRAW)
		assert_null(c->file);
	else {
		assert_non_null(c->file);
		assert_string_equal(c->file->uri, uri);
	}
	if (old >= 0) {
		uint8_t	want[32];

		memset(want, old, sizeof(want));
		assert_memory_equal(c->old_hash, want, 32);
	}
}

/* All four cases at once, and the order of the plan. */
static void
test_all_cases(void **state)
{
	struct push_file	files[4];
	struct push_listed	listed[4];
	struct push_plan	plan;
	char			err[256];

	(void)state;
	/* Local (sorted, as a scan gives them). */
	file_set(&files[0], "a.roa", 1);	/* unchanged */
	file_set(&files[1], "b.roa", 2);	/* changed: listed 9 */
	file_set(&files[2], "c/new.roa", 3);	/* new */
	file_set(&files[3], "e.mft", 4);	/* new */
	/* Listed in another order. */
	listed_set(&listed[0], "d.crl", 7);	/* gone */
	listed_set(&listed[1], "b.roa", 9);
	listed_set(&listed[2], "a.roa", 1);
	listed_set(&listed[3], "0.cer", 8);	/* gone, sorts first */

	assert_int_equal(push_diff(files, 4, listed, 4, &plan, err,
	    sizeof(err)), 0);
	assert_int_equal(plan.nchanges, 5);
	assert_int_equal(plan.npublish, 2);
	assert_int_equal(plan.nreplace, 1);
	assert_int_equal(plan.nwithdraw, 2);
	assert_int_equal(plan.nunchanged, 1);
	expect_change(&plan.changes[0], PUSH_WITHDRAW, "0.cer", 8);
	expect_change(&plan.changes[1], PUSH_REPLACE, "b.roa", 9);
	assert_ptr_equal(plan.changes[1].file, &files[1]);
	expect_change(&plan.changes[2], PUSH_PUBLISH, "c/new.roa", -1);
	expect_change(&plan.changes[3], PUSH_WITHDRAW, "d.crl", 7);
	expect_change(&plan.changes[4], PUSH_PUBLISH, "e.mft", -1);
	assert_string_equal(push_action_name(plan.changes[0].action),
	    "withdraw");
	assert_string_equal(push_action_name(plan.changes[1].action),
	    "replace");
	assert_string_equal(push_action_name(plan.changes[2].action),
	    "publish");
	push_plan_free(&plan);
	assert_null(plan.changes);
	files_free(files, 4);
	listed_free(listed, 4);
}

/* Nothing differs: an empty plan (sync then sends no query). */
static void
test_unchanged(void **state)
{
	struct push_file	files[2];
	struct push_listed	listed[2];
	struct push_plan	plan;
	char			err[256];

	(void)state;
	file_set(&files[0], "x/1.roa", 5);
	file_set(&files[1], "x/2.roa", 6);
	listed_set(&listed[0], "x/2.roa", 6);
	listed_set(&listed[1], "x/1.roa", 5);
	assert_int_equal(push_diff(files, 2, listed, 2, &plan, err,
	    sizeof(err)), 0);
	assert_int_equal(plan.nchanges, 0);
	assert_int_equal(plan.nunchanged, 2);
	push_plan_free(&plan);

	/* Both empty. */
	assert_int_equal(push_diff(NULL, 0, NULL, 0, &plan, err,
	    sizeof(err)), 0);
	assert_int_equal(plan.nchanges, 0);
	assert_int_equal(plan.nunchanged, 0);
	push_plan_free(&plan);
	files_free(files, 2);
	listed_free(listed, 2);
}

/* An empty directory withdraws everything; an empty server gets all. */
static void
test_one_side_empty(void **state)
{
	struct push_file	files[3];
	struct push_listed	listed[3];
	struct push_plan	plan;
	char			err[256];
	size_t			i;

	(void)state;
	file_set(&files[0], "a", 1);
	file_set(&files[1], "b", 2);
	file_set(&files[2], "c", 3);
	listed_set(&listed[0], "c", 3);
	listed_set(&listed[1], "a", 1);
	listed_set(&listed[2], "b", 2);

	assert_int_equal(push_diff(files, 3, NULL, 0, &plan, err,
	    sizeof(err)), 0);
	assert_int_equal(plan.nchanges, 3);
	assert_int_equal(plan.npublish, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(plan.changes[i].action, PUSH_PUBLISH);
	push_plan_free(&plan);

	assert_int_equal(push_diff(NULL, 0, listed, 3, &plan, err,
	    sizeof(err)), 0);
	assert_int_equal(plan.nwithdraw, 3);
	expect_change(&plan.changes[0], PUSH_WITHDRAW, "a", 1);
	expect_change(&plan.changes[1], PUSH_WITHDRAW, "b", 2);
	expect_change(&plan.changes[2], PUSH_WITHDRAW, "c", 3);
	push_plan_free(&plan);
	files_free(files, 3);
	listed_free(listed, 3);
}

/*
 * Byte order, not path order: "a-b" < "a.b" < "a/b" < "aa" (0x2d, 0x2e,
 * 0x2f, 0x61), the order a scan sorts its files in.  Replacing one of
 * them must not pair it with a neighbour.
 */
static void
test_byte_order(void **state)
{
	struct push_file	files[4];
	struct push_listed	listed[4];
	struct push_plan	plan;
	char			err[256];

	(void)state;
	file_set(&files[0], "a-b", 1);
	file_set(&files[1], "a.b", 2);
	file_set(&files[2], "a/b", 3);
	file_set(&files[3], "aa", 4);
	listed_set(&listed[0], "aa", 4);
	listed_set(&listed[1], "a/b", 30);
	listed_set(&listed[2], "a-b", 1);
	listed_set(&listed[3], "a.b", 2);
	assert_int_equal(push_diff(files, 4, listed, 4, &plan, err,
	    sizeof(err)), 0);
	assert_int_equal(plan.nchanges, 1);
	assert_int_equal(plan.nunchanged, 3);
	expect_change(&plan.changes[0], PUSH_REPLACE, "a/b", 30);
	push_plan_free(&plan);
	/* The list was sorted in place. */
	assert_true(strcmp(listed[0].uri, listed[1].uri) < 0);
	assert_true(strcmp(listed[1].uri, listed[2].uri) < 0);
	assert_true(strcmp(listed[2].uri, listed[3].uri) < 0);
	files_free(files, 4);
	listed_free(listed, 4);
}

/* A server that lists one URI twice is not believed. */
static void
test_listed_twice(void **state)
{
	struct push_listed	listed[3];
	struct push_plan	plan;
	char			err[256];

	(void)state;
	listed_set(&listed[0], "x.roa", 1);
	listed_set(&listed[1], "y.roa", 2);
	listed_set(&listed[2], "x.roa", 3);
	assert_int_equal(push_diff(NULL, 0, listed, 3, &plan, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "RFC 8181 section 2.3"));
	assert_non_null(strstr(err, BASE "x.roa twice"));
	assert_null(plan.changes);
	assert_int_equal(push_listed_sort(listed, 3, err, sizeof(err)), -1);
	listed_free(listed, 3);
}

/* A plan of these counts (push_plan_mass_withdraw reads only them). */
static int
mass(size_t npublish, size_t nreplace, size_t nwithdraw, size_t nunchanged,
    unsigned int max_pct, char *err, size_t errlen)
{
	struct push_plan	plan;

	memset(&plan, 0, sizeof(plan));
	plan.npublish = npublish;
	plan.nreplace = nreplace;
	plan.nwithdraw = nwithdraw;
	plan.nunchanged = nunchanged;
	plan.nchanges = npublish + nreplace + nwithdraw;
	err[0] = '\0';
	return push_plan_mass_withdraw(&plan, max_pct, err, errlen);
}

/*
 * The mass-withdraw rule: an empty source directory never empties the
 * point, however small; a large share is refused only from
 * PUSH_MASS_MIN_LISTED listed objects on; replaces do not count.
 */
static void
test_mass_withdraw(void **state)
{
	struct push_listed	listed[3];
	struct push_plan	plan;
	char			err[256];

	(void)state;
	/* The case of the review: an empty directory against a point. */
	listed_set(&listed[0], "ta.mft", 1);
	listed_set(&listed[1], "ta.crl", 2);
	listed_set(&listed[2], "a.roa", 3);
	assert_int_equal(push_diff(NULL, 0, listed, 3, &plan, err,
	    sizeof(err)), 0);
	assert_int_equal(push_plan_mass_withdraw(&plan, 50, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "withdraws all 3 objects the server "
	    "lists and publishes nothing"));
	push_plan_free(&plan);
	listed_free(listed, 3);

	assert_int_equal(mass(0, 0, 1, 0, 50, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "all 1 object the"));
	/* Even with --max-withdraw 100. */
	assert_int_equal(mass(0, 0, 20, 0, 100, err, sizeof(err)), -1);

	/* Nothing listed, nothing withdrawn: always fine. */
	assert_int_equal(mass(0, 0, 0, 0, 0, err, sizeof(err)), 0);
	assert_int_equal(mass(5, 0, 0, 0, 0, err, sizeof(err)), 0);
	assert_int_equal(mass(0, 3, 0, 30, 0, err, sizeof(err)), 0);

	/* Small points: any share but all. */
	assert_int_equal(mass(0, 0, 2, 1, 50, err, sizeof(err)), 0);
	assert_int_equal(mass(0, 0, 8, 1, 50, err, sizeof(err)), 0);
	/* All withdrawn but others published (renamed): fine when small. */
	assert_int_equal(mass(5, 0, 5, 0, 50, err, sizeof(err)), 0);

	/* From PUSH_MASS_MIN_LISTED on: more than max_pct is refused. */
	assert_int_equal(PUSH_MASS_MIN_LISTED, 10);
	assert_int_equal(mass(0, 0, 5, 5, 50, err, sizeof(err)), 0);
	assert_int_equal(mass(0, 0, 6, 4, 50, err, sizeof(err)), -1);
	assert_string_equal(err, "the plan withdraws 6 of the 10 objects "
	    "the server lists (60%, over --max-withdraw 50%)");
	assert_int_equal(mass(10, 0, 10, 0, 50, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "10 of the 10"));
	/* Replaced objects stay published. */
	assert_int_equal(mass(0, 8, 2, 0, 50, err, sizeof(err)), 0);
	assert_int_equal(mass(0, 4, 6, 0, 50, err, sizeof(err)), -1);
	/* The percentage is configurable, 0 and 100 included. */
	assert_int_equal(mass(0, 0, 1, 99, 0, err, sizeof(err)), -1);
	assert_int_equal(mass(0, 0, 0, 100, 0, err, sizeof(err)), 0);
	assert_int_equal(mass(0, 0, 99, 1, 100, err, sizeof(err)), 0);
	assert_int_equal(mass(0, 0, 30, 70, 29, err, sizeof(err)), -1);
	assert_int_equal(mass(0, 0, 30, 70, 30, err, sizeof(err)), 0);
}

/* sync --verify's comparison: equal sets, and each kind of difference. */
static void
test_equal(void **state)
{
	struct push_file	files[3];
	struct push_listed	listed[3];
	char			err[512];

	(void)state;
	file_set(&files[0], "a.roa", 1);
	file_set(&files[1], "b.roa", 2);
	file_set(&files[2], "c.roa", 3);
	listed_set(&listed[0], "c.roa", 3);
	listed_set(&listed[1], "a.roa", 1);
	listed_set(&listed[2], "b.roa", 2);
	assert_int_equal(push_diff_equal(files, 3, listed, 3, err,
	    sizeof(err)), 0);
	assert_int_equal(push_diff_equal(NULL, 0, NULL, 0, err,
	    sizeof(err)), 0);

	/* The change was not applied: b.roa has its old content. */
	memset(listed[1].hash, 9, 32);
	assert_int_equal(push_diff_equal(files, 3, listed, 3, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "the server lists 3 objects, 2 of them as "
	    "in the directory; 0 missing, 1 with other content, 0 not in the "
	    "directory; the first: " BASE "b.roa (other content)");
	/* A publish missing, a withdraw not done. */
	assert_int_equal(push_diff_equal(files, 3, listed, 2, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "1 missing"));
	assert_int_equal(push_diff_equal(files, 1, listed, 3, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "2 not in the directory"));
	files_free(files, 3);
	listed_free(listed, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_cases),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_one_side_empty),
		cmocka_unit_test(test_byte_order),
		cmocka_unit_test(test_listed_twice),
		cmocka_unit_test(test_mass_withdraw),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
