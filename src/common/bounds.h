/*
 * Named limits for everything that arrives from outside the process.
 * Each is a default; the ones marked "configurable" can be changed in
 * rpkipubd.conf.  Keep them here so a reader sees every bound at once.
 */
#ifndef RPKIPUB_BOUNDS_H
#define RPKIPUB_BOUNDS_H

/* RFC 8181 request body (CMS DER); configurable as max_body. */
#define MAX_REQUEST_BODY	(64u * 1024 * 1024)
/* One published object (DER); configurable as max_object. */
#define MAX_OBJECT_SIZE		(8u * 1024 * 1024)
/* An rsync URI in a publish/withdraw PDU. */
#define MAX_URI_LENGTH		1024
/* RFC 8183 handle: the schema allows 255 characters. */
#define MAX_HANDLE_LENGTH	255
/* The tag attribute of RFC 8181 PDUs is echoed back; keep it short. */
#define MAX_TAG_LENGTH		1024
/* PDUs in one RFC 8181 query. */
#define MAX_PDUS_PER_QUERY	100000
/* PDUs in one RFC 8181 reply: a list reply names every object. */
#define MAX_PDUS_PER_REPLY	5000000
/* error_text of a report_error we parse (client side). */
#define MAX_ERROR_TEXT		4096
/* A BPKI certificate in RFC 8183 XML (DER). */
#define MAX_BPKI_CERT_SIZE	(64u * 1024)
/* A path below a directory of ours named in a state file or a
 * notification ("<session>/<serial>/<dir>/snapshot.xml" is 90). */
#define PATH_REL_MAX		255
/* An RFC 8183 document. */
#define MAX_RFC8183_SIZE	(256u * 1024)
/* Nesting depth accepted in any XML document we parse. */
#define MAX_XML_DEPTH		8
/* Concurrent HTTP connections on the publication listener. */
#define MAX_CONNECTIONS		256
/* Connections from one IP address on the RFC 8181 listener. */
#define MAX_CONNECTIONS_PER_IP	64
/* Request body bytes buffered by all connections together. */
#define MAX_BUFFERED_BODIES	(512u * 1024 * 1024)
/* Idle seconds before an HTTP connection is closed. */
#define HTTP_TIMEOUT		60
/* Queries one group commit takes from the queue. */
#define MAX_BATCH_QUERIES	512
/* Messages accepted from one publisher with the same signing-time. */
#define MAX_SAME_SECOND_MSGS	256
/* A line of rpkipubd.conf. */
#define MAX_CONFIG_LINE		4096
/* Admin API request body. */
#define MAX_ADMIN_BODY		MAX_RFC8183_SIZE

/* --- rpkipub-push, the RFC 8181 client --- */
/* An RFC 8181 reply body (CMS DER) we read: a list reply names every
 * object of the publisher, about 200 bytes each. */
#define MAX_REPLY_BODY		(256u * 1024 * 1024)
/* rpkipub-push's state file (STATE/state). */
#define MAX_PUSH_STATE_SIZE	(64u * 1024)
/* Seconds to connect to the service_uri; seconds for one whole query
 * and its reply (configurable with --timeout). */
#define PUSH_CONNECT_TIMEOUT	30
#define PUSH_TIMEOUT		600
/* Files in the directory rpkipub-push publishes: every one may become a
 * PDU of the one query (MAX_PDUS_PER_QUERY). */
#define MAX_PUSH_FILES		MAX_PDUS_PER_QUERY
/* sync refuses, without --allow-mass-withdraw, a plan that withdraws
 * every listed object and publishes nothing, or (from PUSH_MASS_MIN_LISTED
 * listed objects on) more than --max-withdraw percent of them: an empty
 * or unmounted CA output directory must not empty the publication
 * point.  Below PUSH_MASS_MIN_LISTED one ordinary change (a CA with
 * three ROAs losing two) is already over any sensible share. */
#define PUSH_MAX_WITHDRAW_PCT	50
#define PUSH_MASS_MIN_LISTED	10

/* An RRDP notification file (RFC 8182 section 3.5.1), read whole. */
#define MAX_RRDP_NOTIFICATION_SIZE	(16u * 1024 * 1024)
/* Deltas listed in one RRDP notification file. */
#define MAX_RRDP_DELTAS		20000
/* One RRDP snapshot or delta file, streamed (RFC 8182 sections 3.5.2-3). */
#define MAX_RRDP_FILE_SIZE	(16ull * 1024 * 1024 * 1024)
/* One object (DER) inside an RRDP snapshot or delta. */
#define MAX_RRDP_OBJECT_SIZE	MAX_OBJECT_SIZE

/* Connections on the RRDP listener, all threads together. */
#define MAX_RRDP_CONNECTIONS	1024
/* Connections from one IP address on the RRDP listener. */
#define MAX_RRDP_CONNECTIONS_PER_IP	64
/* Request headers and buffers of one RRDP connection (libmicrohttpd). */
#define MAX_RRDP_CONNECTION_MEMORY	(32u * 1024)
/* Idle seconds before an RRDP connection is closed. */
#define RRDP_HTTP_TIMEOUT	30
/* Connections waiting to be accepted by the RRDP listener. */
#define RRDP_LISTEN_BACKLOG	1024
/* Threads of the RRDP listener: one per CPU, at most this many. */
#define MAX_RRDP_THREADS	64
/* A PEM certificate chain or key file of the RRDP listener. */
#define MAX_TLS_PEM_SIZE	(1024u * 1024)
/* --- HTTP client (rrdpsync, rtrd's URL input) --- */
/* Body of an error response read (and dropped) before giving up on it. */
#define MAX_HTTP_ERROR_BODY	(64u * 1024)
/* Redirects followed in one GET, all within the first URL's origin. */
#define MAX_HTTP_REDIRECTS	5

/* --- rrdpsync --- */
/* A snapshot file, as decoded (--max-snapshot-size). */
#define SYNC_DEFAULT_MAX_SNAPSHOT	(1024ull * 1024 * 1024)
/* A delta file, as decoded (--max-delta-size). */
#define SYNC_DEFAULT_MAX_DELTA		(256ull * 1024 * 1024)
/*
 * All files one round downloads, decoded (--max-round-size): a snapshot
 * and the deltas listed with it, whose sizes RFC 8182 section 3.3.2 asks
 * to add up to no more than the snapshot.  Without it each file is
 * bounded but a notification listing thousands of large deltas is not.
 */
#define SYNC_DEFAULT_MAX_ROUND		(2 * SYNC_DEFAULT_MAX_SNAPSHOT)
#define SYNC_MAX_ROUND			(64ull * 1024 * 1024 * 1024)
/* The notification file, as decoded (--max-notification-size; the
 * parser's MAX_RRDP_NOTIFICATION_SIZE is the most it can be). */
#define SYNC_DEFAULT_MAX_NOTIFICATION	MAX_RRDP_NOTIFICATION_SIZE
/* The per-upstream state file (deltas listed, files awaiting removal). */
#define SYNC_MAX_STATE_SIZE	(64u * 1024 * 1024)
/* Files remembered as awaiting removal. */
#define SYNC_MAX_GONE		200000
/* An ETag or Last-Modified value kept from upstream. */
#define SYNC_MAX_VALIDATOR	256
/* Seconds: connecting, one whole file, a transfer with no byte. */
#define SYNC_DEFAULT_CONNECT_TIMEOUT	30
#define SYNC_DEFAULT_TIMEOUT		1800
#define SYNC_DEFAULT_STALL_TIMEOUT	60
/* Object bytes queued from the parser to the rsync tree thread. */
#define SYNC_TREE_QUEUE_BYTES	(16u * 1024 * 1024)
/* Requests the metrics listener serves at once. */
#define SYNC_METRICS_CONNECTIONS	16

/* --- RTR (rtrd, rtrwatch) --- */
/* One RTR PDU.  The largest legitimate ones are Router Keys (SPKI of a
 * few hundred bytes), ASPAs with many providers and Error Reports. */
#define RTR_MAX_PDU_LEN		(64u * 1024)
/* Text in an Error Report we send or log. */
#define RTR_MAX_ERROR_TEXT	1024
/* Concurrent router sessions on all rtrd listeners together. */
#define RTR_MAX_SESSIONS	8192
/* Responses queued for one session: a router that keeps asking without
 * reading is dropped when it has this many outstanding. */
#define RTR_MAX_QUEUED		32
/* Seconds a session may have queued output without the kernel taking a
 * single byte before it is dropped (a router that stopped reading). */
#define RTR_WRITE_STALL_SECS	60
/* rpki-client JSON input file or download. */
#define RTR_MAX_INPUT_SIZE	(2048u * 1024 * 1024)
/* One JSON string (a router key's base64 SPKI is the longest we keep). */
#define RTR_MAX_JSON_STRING	8192
/* Nesting depth of the JSON input (rpki-client writes 4). */
#define RTR_MAX_JSON_DEPTH	16
/* Payload records of each kind in one input. */
#define RTR_MAX_VRPS		(20u * 1000 * 1000)
#define RTR_MAX_ROUTER_KEYS	(1000u * 1000)
#define RTR_MAX_ASPAS		(1000u * 1000)
/* Providers of one ASPA (draft-ietf-sidrops-aspa-profile has no bound;
 * the PDU length limit gives (RTR_MAX_PDU_LEN - 12) / 4). */
#define RTR_MAX_ASPA_PROVIDERS	((RTR_MAX_PDU_LEN - 12) / 4)
/* A router key's SubjectPublicKeyInfo (DER). */
#define RTR_MAX_SPKI_LEN	1024
/* Serial diffs kept by default (configurable with --history). */
#define RTR_DEFAULT_HISTORY	16
/* Records all kept diffs together may hold: this many plus twice the
 * current set.  After a large change (a trust anchor gone and back) the
 * oldest diffs are dropped; their routers get Cache Reset, which then
 * costs them no more than the diff would have. */
#define RTR_HISTORY_MIN_RECORDS	65536
/* SLURM (RFC 8416) file. */
#define RTR_MAX_SLURM_SIZE	(64u * 1024 * 1024)

#endif
