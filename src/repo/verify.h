/*
 * Checks a published repository as a relying party would see it: an
 * RRDP directory (notification.xml and the files it names) and,
 * optionally, the rsync tree written beside it.
 *
 * RRDP (RFC 8182, RFC 9674):
 *  - notification.xml parses (rrdp_notification_parse);
 *  - every URI it lists has the same origin (scheme://host[:port]) and
 *    the same base before "<session>/"; the file is rrdp_dir + the rest;
 *  - each listed file exists with the listed SHA-256, carries the
 *    notification's session_id and its own serial, and parses;
 *  - a ".gz" twin, where present, decompresses to exactly those bytes
 *    (notification.xml.gz too);
 *  - delta serials are contiguous and end at the notification's serial;
 *  - the listed deltas together are no larger than the snapshot;
 *  - replay: the deltas applied in order to the snapshot of the serial
 *    before the oldest delta (if still on disk under
 *    "<session>/<serial>/<dir>/snapshot.xml") give exactly the current
 *    snapshot, each publish with hash and each withdraw naming the
 *    object it replaces and each publish without hash creating one;
 *    without that snapshot, every URI the deltas touch ends as the
 *    current snapshot has it.
 * rsync (when rsync_dir is not NULL):
 *  - rsync_dir/current is a symlink to trees/<name>;
 *  - the tree holds exactly the snapshot's objects, rsync://HOST/PATH as
 *    the regular file PATH, byte-identical (compared by SHA-256); no
 *    other file, no symlink.  A tree that holds instead exactly the
 *    objects of the next serial's snapshot, already on disk but not yet
 *    announced, passes with a note: the writer switches `current` just
 *    before it replaces notification.xml, so a live or interrupted
 *    writer can leave rsync one serial ahead (two complete states).
 *
 * Memory: maps of URI -> SHA-256, never a whole snapshot.
 */
#ifndef RPKIPUB_VERIFY_H
#define RPKIPUB_VERIFY_H

#include <stdio.h>

/*
 * Check rrdp_dir (and rsync_dir unless NULL), writing one line per
 * problem and a final summary line to report.  Returns the number of
 * problems: 0 means the repository passes.
 */
int	repo_verify(const char *rrdp_dir, const char *rsync_dir, FILE *report);

#endif
