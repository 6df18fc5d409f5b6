/*
 * Logging: one line per event, to stderr (default) or syslog.
 * Safe to call from any thread.
 */
#ifndef RPKIPUB_LOG_H
#define RPKIPUB_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_init(const char *progname, int use_syslog, enum log_level level);
void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * t as an RFC 3339 UTC time ("2026-12-03T10:00:00Z") for messages; the
 * number of seconds if it cannot be shown so.
 */
void	log_time_fmt(time_t t, char *buf, size_t len);

/* Internal invariant broken or allocation failed: log and exit(1). */
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
