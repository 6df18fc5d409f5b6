#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct pubd *
pubd_start(const char *data_dir)
{
	struct pubd	*d;

	d = xcalloc(1, sizeof(*d));
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	pthread_rwlock_init(&d->bpki_lock, NULL);
	pthread_mutex_init(&d->pool_lock, NULL);
	if ((d->cfg = config_load(data_dir)) == NULL)
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
	if ((d->admin = admin_start(d)) == NULL)
		goto fail;
	if ((d->http = http_pub_start(d)) == NULL)
		goto fail;
	log_info("rpkipubd %s: RFC 8181 service %s/<handle> on %s, admin API "
	    "and metrics on http://%s/ (data in %s)", RPKIPUB_VERSION,
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
	if (d->http != NULL)
		MHD_stop_daemon(d->http);
	if (d->admin != NULL)
		MHD_stop_daemon(d->admin);
	engine_stop(d->engine);
	for (i = 0; i < d->npool; i++)
		store_close(d->pool[i]);
	bpki_free(d->bpki);
	free(d->server_ta);
	free(d->store_path);
	free(d->bpki_dir);
	config_free(d->cfg);
	pthread_rwlock_destroy(&d->bpki_lock);
	pthread_mutex_destroy(&d->pool_lock);
	free(d);
}
