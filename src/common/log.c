#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char	*log_prog = "rpkipub";
static int		 log_syslog;
static enum log_level	 log_level = LOG_LVL_INFO;

static const char *const log_names[] = { "ERROR", "WARNING", "INFO", "DEBUG" };
static const int log_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(const char *progname, int use_syslog, enum log_level level)
{
	log_prog = progname;
	log_syslog = use_syslog;
	log_level = level;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void	log_vmsg(enum log_level, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char		 line[2048];
	char		 ts[32];
	struct timespec	 now;
	struct tm	 tm;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_syslog) {
		syslog(log_prio[lvl], "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per line: stdio locks the stream, so lines never mix. */
	fprintf(stderr, "%s.%03ldZ %s %s: %s\n", ts, now.tv_nsec / 1000000,
	    log_prog, log_names[lvl], line);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list	ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_time_fmt(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "(time %lld)", (long long)t);
}
