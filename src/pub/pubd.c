#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fileio.h"
#include "metrics.h"
#include "log.h"
#include "pubd.h"

double
pubd_elapsed(const struct timespec *since)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

double
pubd_uptime(const struct pubd *d)
{
	return pubd_elapsed(&d->started);
}

int
pubd_read_token(const char *data_dir, char *token)
{
	struct buf	 path;
	char		*s;
	size_t		 len;
	int		 rc = -1;

	buf_init(&path);
	buf_printf(&path, "%s/%s", data_dir, CONFIG_TOKEN_FILE);
	if ((s = file_read(buf_str(&path), 1024, &len)) == NULL)
		goto out;
	s[strcspn(s, "\r\n")] = '\0';
	if (strlen(s) != 2 * CONFIG_TOKEN_BYTES) {
		log_err("%s: not a token of %d hex digits", buf_str(&path),
		    2 * CONFIG_TOKEN_BYTES);
		free(s);
		goto out;
	}
	memcpy(token, s, 2 * CONFIG_TOKEN_BYTES + 1);
	free(s);
	rc = 0;
 out:
	buf_free(&path);
	return rc;
}

struct store *
pubd_store_get(struct pubd *d)
{
	struct store	*st = NULL;

	pthread_mutex_lock(&d->pool_lock);
	if (d->npool > 0)
		st = d->pool[--d->npool];
	pthread_mutex_unlock(&d->pool_lock);
	if (st == NULL)
		st = store_open(d->store_path);
	return st;
}

void
pubd_store_put(struct pubd *d, struct store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&d->pool_lock);
	if (d->npool < PUBD_STORE_POOL) {
		d->pool[d->npool++] = st;
		st = NULL;
	}
	pthread_mutex_unlock(&d->pool_lock);
	store_close(st);
}

struct pubd_ta {
	char		*handle;
	uint8_t		*der;
	size_t		 len;
	X509		*x;
	struct pubd_ta	*next;
};

static void
pubd_ta_free_all(struct pubd *d)
{
	struct pubd_ta	*t, *next;
	size_t		 i;

	for (i = 0; i < PUBD_TA_BUCKETS; i++) {
		for (t = d->ta_cache[i]; t != NULL; t = next) {
			next = t->next;
			X509_free(t->x);
			free(t->handle);
			free(t->der);
			free(t);
		}
		d->ta_cache[i] = NULL;
	}
	d->ta_count = 0;
}

static size_t
pubd_ta_bucket(const char *handle)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	for (; *handle != '\0'; handle++)
		h = (h ^ (uint8_t)*handle) * 16777619u;
	return h % PUBD_TA_BUCKETS;
}

X509 *
pubd_publisher_ta(struct pubd *d, const struct store_publisher *p)
{
	struct pubd_ta	*t;
	X509		*x = NULL;
	size_t		 b = pubd_ta_bucket(p->handle);

	pthread_mutex_lock(&d->ta_lock);
	for (t = d->ta_cache[b]; t != NULL; t = t->next) {
		if (strcmp(t->handle, p->handle) == 0)
			break;
	}
	/* Re-registered publishers get a new TA: compare the DER. */
	if (t != NULL && t->len == p->bpki_ta_len &&
	    memcmp(t->der, p->bpki_ta, t->len) == 0) {
		X509_up_ref(t->x);
		x = t->x;
		goto out;
	}
	if ((x = bpki_cert_from_der(p->bpki_ta, p->bpki_ta_len)) == NULL)
		goto out;
	if (t == NULL) {
		if (d->ta_count >= PUBD_TA_CACHE_MAX)
			pubd_ta_free_all(d);
		t = xcalloc(1, sizeof(*t));
		t->handle = xstrdup(p->handle);
		t->next = d->ta_cache[b];
		d->ta_cache[b] = t;
		d->ta_count++;
	} else {
		X509_free(t->x);
		free(t->der);
	}
	t->der = xmalloc(p->bpki_ta_len);
	memcpy(t->der, p->bpki_ta, p->bpki_ta_len);
	t->len = p->bpki_ta_len;
	t->x = x;
	X509_up_ref(x);
 out:
	pthread_mutex_unlock(&d->ta_lock);
	return x;
}

void
pubd_cpu_enter(struct pubd *d)
{
	while (sem_wait(&d->cpu_slots) == -1)
		;	/* EINTR */
}

void
pubd_cpu_leave(struct pubd *d)
{
	sem_post(&d->cpu_slots);
}

uint8_t *
pubd_sign(struct pubd *d, const uint8_t *xml, size_t len, size_t *derlen)
{
	uint8_t	*der = NULL;

	pthread_rwlock_rdlock(&d->bpki_lock);
	if (cms_sign(xml, len, d->bpki->ee, d->bpki->ee_key, d->bpki->crl,
	    &der, derlen) == -1)
		der = NULL;
	pthread_rwlock_unlock(&d->bpki_lock);
	if (der == NULL)
		log_err("signing a reply failed");
	return der;
}

int
pubd_maintain(struct pubd *d)
{
	int	r;

	pthread_rwlock_wrlock(&d->bpki_lock);
	r = bpki_renew(d->bpki_dir, d->bpki, time(NULL));
	pthread_rwlock_unlock(&d->bpki_lock);
	if (r == 1) {
		log_info("re-issued the server's BPKI EE certificate or CRL");
		metrics_bpki_renewal();
	} else if (r == -1)
		log_err("re-issuing the server's BPKI EE or CRL failed; "
		    "will retry");
	return r == -1 ? -1 : 0;
}

/*
 * One rpkipubd per data directory: a second one would write RRDP serials
 * and rsync trees beside the first (its writer starts before its
 * listeners could fail on the ports in use) and take the admin socket.
 */
static int
pubd_lock(struct pubd *d)
{
	char	*path = config_path(d->cfg, CONFIG_LOCK_FILE);
	char	*held;
	char	 pid[32];
	size_t	 len;
	ssize_t	 n;
	int	 rc = -1;

	if ((d->lockfd = file_lock(path)) == -1) {
		if (errno == EWOULDBLOCK) {
			/* The holder wrote its pid (a few digits). */
			if ((held = file_read(path, sizeof(pid), &len)) != NULL)
				held[strcspn(held, "\n")] = '\0';
			log_err("%s: the data directory is in use by another "
			    "rpkipubd%s%s", path, held != NULL && held[0] ?
			    ", pid " : "", held != NULL ? held : "");
			free(held);
		} else
			log_err("%s: %s", path, strerror(errno));
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(d->lockfd, 0) == -1 ||
	    pwrite(d->lockfd, pid, (size_t)n, 0) != n)
		log_warn("%s: cannot write the pid: %s", path,
		    strerror(errno));
	rc = 0;
 out:
	free(path);
	return rc;
}

struct pubd *
pubd_start(const char *data_dir)
{
	struct pubd	*d;
	long		 ncpu;

	d = xcalloc(1, sizeof(*d));
	d->lockfd = -1;
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	pthread_rwlock_init(&d->bpki_lock, NULL);
	pthread_mutex_init(&d->pool_lock, NULL);
	pthread_mutex_init(&d->ta_lock, NULL);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (sem_init(&d->cpu_slots, 0, ncpu > 0 ? (unsigned int)ncpu : 1) ==
	    -1)
		fatalx("sem_init: %s", strerror(errno));
	if ((d->cfg = config_load(data_dir)) == NULL)
		goto fail;
	if (pubd_lock(d) == -1)
		goto fail;
	d->store_path = config_path(d->cfg, CONFIG_STORE);
	d->bpki_dir = config_path(d->cfg, CONFIG_BPKI_DIR);
	if (pubd_read_token(data_dir, d->token) == -1)
		goto fail;
	if ((d->bpki = bpki_load(d->bpki_dir)) == NULL)
		goto fail;
	if ((d->server_ta = bpki_cert_der(d->bpki->ta, &d->server_ta_len)) ==
	    NULL)
		goto fail;
	if (pubd_maintain(d) == -1)
		goto fail;
	if ((d->engine = engine_start(d->store_path)) == NULL)
		goto fail;
	/* The repository writer: its first run writes what is pending. */
	if ((d->writer = rrdp_writer_new(d->cfg, d->store_path)) == NULL ||
	    (d->writer_thread = rrdp_thread_start(d->writer,
	    (unsigned int)d->cfg->rrdp_interval)) == NULL)
		goto fail;
	if ((d->admin = admin_start(d)) == NULL)
		goto fail;
	if ((d->http = http_pub_start(d)) == NULL)
		goto fail;
	/* RRDP gets a listener of its own (publication-server BCP). */
	if (d->cfg->rrdp_listen[0] != '\0' &&
	    (d->rrdp = http_rrdp_start(d->cfg)) == NULL)
		goto fail;
	log_info("rpkipubd %s: RFC 8181 service %s/<handle> on %s, admin API "
	    "and metrics on %s (data in %s)", RPKIPUB_VERSION,
	    d->cfg->service_uri, d->cfg->listen, d->cfg->admin_listen,
	    data_dir);
	return d;
 fail:
	pubd_stop(d);
	return NULL;
}

void
pubd_stop(struct pubd *d)
{
	size_t	i;

	if (d == NULL)
		return;
	/* Stop taking requests, let running ones finish, then the writer. */
	http_rrdp_stop(d->rrdp);
	if (d->http != NULL)
		MHD_stop_daemon(d->http);
	if (d->admin != NULL) {
		MHD_stop_daemon(d->admin);
		if (config_unix_path(d->cfg->admin_listen) != NULL)
			unlink(config_unix_path(d->cfg->admin_listen));
	}
	/* A serial being written is finished before the store closes. */
	rrdp_thread_stop(d->writer_thread);
	rrdp_writer_free(d->writer);
	engine_stop(d->engine);
	for (i = 0; i < d->npool; i++)
		store_close(d->pool[i]);
	bpki_free(d->bpki);
	free(d->server_ta);
	free(d->store_path);
	free(d->bpki_dir);
	config_free(d->cfg);
	pubd_ta_free_all(d);
	if (d->lockfd != -1)
		close(d->lockfd);
	pthread_rwlock_destroy(&d->bpki_lock);
	pthread_mutex_destroy(&d->pool_lock);
	pthread_mutex_destroy(&d->ta_lock);
	sem_destroy(&d->cpu_slots);
	free(d);
}
