/*
 * rrdpserial: what one RRDP serial costs as the repository grows.
 *
 *   rrdpserial DIR OBJECTS [CHANGES [SERIALS]]
 *
 * Fills a fresh store in DIR with OBJECTS objects of 2 KB under
 * realistic names (one directory per CA, 100 objects each, a manifest
 * and a CRL among them), writes the first serial (a full snapshot and
 * rsync tree), then SERIALS times (default 3) replaces CHANGES objects
 * (default 100) and has the repository writer write one serial.  The
 * writer lives in a process of its own, so its peak RSS is that of the
 * writer alone, and that process is kept for all SERIALS serials, as
 * rpkipubd keeps its writer thread and store connection: the first serial
 * after a start pays for cold caches and fresh memory (on the test VM a
 * page costs about 10 us at first touch), which a running daemon pays
 * once, not every minute.
 * With --again, DIR is one such directory kept from an earlier run: the
 * fill and the first serial are skipped (for profiling a serial alone).
 * Prints one line per serial and a summary line:
 *
 *   objects=N serial_s=MEDIAN prepare_s=MEDIAN rss_kb=MAX bytes=BYTES
 *
 * serial_s is rrdp_writer_run(): from the start of the interval's work to
 * the notification and the rsync switch.  prepare_s is the idle-time
 * work rpkipubd does right after (the hard links the next tree starts
 * from); the serial's whole cost is the sum.  BYTES counts what one serial writes (snapshot and its
 * .gz, delta and its .gz, notification, the new rsync files), for the
 * dd comparison in bench/run-rrdpserial.sh.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "rrdp_elem.h"
#include "rrdp_writer.h"
#include "store.h"

#define OBJ_SIZE	2048
#define PER_CA		100
#define TXN_OBJECTS	10000
#define MAX_SERIALS	20

static const char *
obj_uri(char *buf, size_t len, long i)
{
	long		ca = i / PER_CA, k = i % PER_CA;
	const char	*ext = k == 0 ? "mft" : k == 1 ? "crl" : "roa";

	snprintf(buf, len, "rsync://rpki.example.net/repo/ca%06ld/"
	    "%08lx%08lx%08lx.%s", ca, ca * 2654435761UL, k * 40503UL,
	    (unsigned long)i, ext);
	return buf;
}

static struct config *
bench_config(const char *dir)
{
	struct config	*c = config_new(dir);

	c->service_uri = xstrdup("http://127.0.0.1:1/rpki");
	c->rsync_base = xstrdup("rsync://rpki.example.net/repo/");
	c->rrdp_base = xstrdup("https://rrdp.example.net/rrdp/");
	return c;
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
put(struct store *st, int64_t pub, int64_t change, long i, int replace,
    time_t t)
{
	struct rrdp_obj	 o;
	uint8_t		 der[OBJ_SIZE], old[32];
	int64_t		 owner;
	char		 uri[256];
	int		 rc;

	if (RAND_bytes(der, sizeof(der)) != 1)
		return -1;
	obj_uri(uri, sizeof(uri), i);
	if (replace && store_object_get(st, uri, &owner, old) != 1)
		return -1;
	if (rrdp_obj_make(&o, uri, der, sizeof(der)) == -1)
		return -1;
	rc = store_object_put(st, pub, uri, &o, t);
	if (rc == 0 && change > 0)
		rc = store_change_item(st, change, uri, replace ? old : NULL,
		    o.hash);
	rrdp_obj_free(&o);
	return rc;
}

static int64_t
bench_publisher(struct store *st)
{
	struct store_publisher	*p;
	int64_t			 id;

	if (store_publisher_get(st, "bench", &p) != 1)
		return -1;
	id = p->id;
	store_publisher_free(p);
	return id;
}

/*
 * The child mode: one writer for the whole run, as in rpkipubd, where
 * the writer thread and its store connection live as long as the
 * daemon.  Each line on stdin asks for one serial and the idle-time work
 * after it; each answer is a line "SERIAL_S PREPARE_S".  With once, one
 * serial and no protocol (the first, full serial).
 */
static int
serial_child(const char *dir, int once)
{
	struct config		*c = bench_config(dir);
	struct rrdp_writer	*w;
	char			*store = config_path(c, CONFIG_STORE);
	char			 line[16];
	double			 t0, t1;
	int			 r = 1;

	if ((w = rrdp_writer_new(c, store)) == NULL)
		return 1;
	while (once || fgets(line, sizeof(line), stdin) != NULL) {
		t0 = now_s();
		r = rrdp_writer_run(w, time(NULL));
		t1 = now_s();
		/* What rpkipubd then does in the idle time before the next. */
		if (rrdp_writer_prepare(w, time(NULL)) == -1)
			r = -1;
		printf("%.3f %.3f\n", t1 - t0, now_s() - t1);
		fflush(stdout);
		if (r != 1 || once)
			break;
	}
	rrdp_writer_free(w);
	config_free(c);
	free(store);
	return r == 1 ? 0 : 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Bytes of the files one serial added: sizes under the serial's dir. */
static long long
dir_bytes(const char *path)
{
	struct dirent	*de;
	struct stat	 sb;
	struct buf	 p;
	long long	 n = 0;
	DIR		*d;

	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		buf_init(&p);
		buf_printf(&p, "%s/%s", path, de->d_name);
		if (stat(buf_str(&p), &sb) == 0)
			n += S_ISDIR(sb.st_mode) ? dir_bytes(buf_str(&p)) :
			    (long long)sb.st_size;
		buf_free(&p);
	}
	closedir(d);
	return n;
}

int
main(int argc, char *argv[])
{
	struct config	*c;
	struct store	*st;
	struct rusage	 ru;
	double		 secs[MAX_SERIALS], prep[MAX_SERIALS], t0;
	char		*store, cmd[4096], line[64];
	long		 objects, changes = 100, serials = 3, i, s;
	long long	 bytes = 0, rss = 0;
	int64_t		 pub, change;
	int		 status, again = 0;
	int		 tochild[2], fromchild[2];
	pid_t		 pid;
	FILE		*answers;

	log_init("rrdpserial", 0, getenv("VERBOSE") != NULL ? LOG_LVL_INFO :
	    LOG_LVL_WARN);
	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return serial_child(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "--first") == 0)
		return serial_child(argv[2], 1);
	if (argc > 1 && strcmp(argv[1], "--again") == 0) {
		again = 1;
		argc--;
		argv[1] = argv[0];	/* the program, for the children */
		argv++;
	}
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: rrdpserial [--again] DIR OBJECTS "
		    "[CHANGES [SERIALS]]\n");
		return 1;
	}
	objects = atol(argv[2]);
	if (argc > 3)
		changes = atol(argv[3]);
	if (argc > 4)
		serials = atol(argv[4]);
	if (objects < PER_CA || changes < 1 || changes > objects ||
	    serials < 1 || serials > MAX_SERIALS) {
		fprintf(stderr, "rrdpserial: bad numbers\n");
		return 1;
	}
	if (!again && mkdir(argv[1], 0700) == -1) {
		perror(argv[1]);
		return 1;
	}
	c = bench_config(argv[1]);
	store = config_path(c, CONFIG_STORE);
	if ((st = store_open(store)) == NULL ||
	    (!again && rrdp_writer_init(c) == -1))
		return 1;
	store_tune_writer(st);
	if (again)
		goto loaded;
	if (store_begin(st) == -1 ||
	    store_publisher_add(st, "bench", "rsync://rpki.example.net/repo/",
	    (const uint8_t *)"x", 1, time(NULL), 0) == -1 ||
	    store_commit(st) == -1 || (pub = bench_publisher(st)) == -1)
		return 1;
	t0 = now_s();
	for (i = 0; i < objects; i++) {
		if (i % TXN_OBJECTS == 0 && store_begin(st) == -1)
			return 1;
		if (put(st, pub, 0, i, 0, time(NULL)) == -1)
			return 1;
		if ((i % TXN_OBJECTS == TXN_OBJECTS - 1 || i == objects - 1) &&
		    store_commit(st) == -1)
			return 1;
	}
	/* rpkipubd's maintenance thread checkpoints the WAL every second;
	 * here that is done once, after the fill. */
	if (store_maintain(st) == -1)
		return 1;
	printf("filled %ld objects in %.1f s\n", objects, now_s() - t0);
	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "'%s' --first '%s'", argv[0], argv[1]);
	if (system(cmd) != 0)
		return 1;
	printf("first serial (full snapshot and rsync tree) done\n");
 loaded:
	if ((pub = bench_publisher(st)) == -1)
		return 1;

	/* The writer process, kept for all serials (see serial_child). */
	if (pipe(tochild) == -1 || pipe(fromchild) == -1)
		return 1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		dup2(tochild[0], 0);
		dup2(fromchild[1], 1);
		close(tochild[1]);
		close(fromchild[0]);
		execl(argv[0], argv[0], "--child", argv[1], (char *)NULL);
		_exit(127);
	}
	close(tochild[0]);
	close(fromchild[1]);
	if ((answers = fdopen(fromchild[0], "r")) == NULL)
		return 1;
	for (s = 0; s < serials; s++) {
		char	rrdp[4096];

		/* CHANGES replaces spread over the repository, one change. */
		if (store_begin(st) == -1 ||
		    store_change_add(st, "bench", time(NULL), &change) == -1)
			return 1;
		for (i = 0; i < changes; i++)
			if (put(st, pub, change, (i * 7919 + s) % objects, 1,
			    time(NULL)) == -1)
				return 1;
		if (store_commit(st) == -1 || store_maintain(st) == -1)
			return 1;
		if (write(tochild[1], "run\n", 4) != 4 ||
		    fgets(line, sizeof(line), answers) == NULL ||
		    sscanf(line, "%lf %lf", &secs[s], &prep[s]) != 2) {
			fprintf(stderr, "rrdpserial: the writer failed\n");
			return 1;
		}
		/* What this serial wrote: its RRDP dir + the new rsync files
		 * (CHANGES files of OBJ_SIZE) + the notification. */
		snprintf(rrdp, sizeof(rrdp), "%s/rrdp", argv[1]);
		{
			char	 path[8192];
			DIR	*d = opendir(rrdp);
			struct dirent *de;
			long long b = 0;

			while (d != NULL && (de = readdir(d)) != NULL) {
				if (strlen(de->d_name) != 36)
					continue;
				snprintf(path, sizeof(path), "%s/%s/%ld", rrdp,
				    de->d_name, s + 2);
				b += dir_bytes(path);
			}
			if (d != NULL)
				closedir(d);
			snprintf(path, sizeof(path), "%s/notification.xml",
			    rrdp);
			{
				struct stat	sb;

				if (stat(path, &sb) == 0)
					b += sb.st_size;
			}
			bytes = b + changes * OBJ_SIZE;
		}
		printf("serial %ld: %.3f s, then %.3f s preparing the next "
		    "rsync tree; %lld bytes written\n", s + 2, secs[s], prep[s],
		    bytes);
	}
	close(tochild[1]);
	fclose(answers);
	if (wait4(pid, &status, 0, &ru) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
	rss = ru.ru_maxrss;
	printf("writer peak RSS %lld kB\n", rss);
	qsort(secs, (size_t)serials, sizeof(secs[0]), cmp_double);
	qsort(prep, (size_t)serials, sizeof(prep[0]), cmp_double);
	printf("objects=%ld serial_s=%.3f prepare_s=%.3f rss_kb=%lld "
	    "bytes=%lld\n", objects, secs[serials / 2], prep[serials / 2], rss,
	    bytes);
	store_close(st);
	config_free(c);
	free(store);
	return 0;
}
