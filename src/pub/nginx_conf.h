/*
 * rpkipubctl nginx-conf: an nginx server block that serves an instance's
 * RRDP directory the way rpkipubd's own listener does (http_rrdp.c), for
 * operators who put nginx (or a CDN behind it) in front of RRDP.
 */
#ifndef RPKIPUB_NGINX_CONF_H
#define RPKIPUB_NGINX_CONF_H

#include <stdio.h>

#include "config.h"

/*
 * Print the server block for cfg's rrdp_base and rrdp_dir to f.  0, or
 * -1 with the reason logged (rrdp_base or a path nginx cannot take).
 */
int	nginx_conf_print(FILE *f, const struct config *cfg);

#endif
