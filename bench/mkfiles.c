/*
 * mkfiles: the floor under writing an rsync tree, for
 * bench/run-rrdpsync.sh.
 *
 *   mkfiles DIR OBJECTS [SIZE]
 *
 * Creates OBJECTS files of SIZE bytes (2048) in a simple loop, laid out
 * as bench/rrdpserial names them (a directory per CA of 100 objects):
 * mkdir when the directory changes, then open, write, set the mtime,
 * close for each file; then one syncfs(), as rsync_tree_commit() does.
 * Prints "files=N seconds=S syncfs_seconds=T".  Nothing else a tree
 * needs (parsing, hashing, the hard links) is done: this is what the
 * file system alone costs.
 */
#define _GNU_SOURCE	/* syncfs */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PER_CA	100

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct timespec	 ts[2] = { { 946684800, 0 }, { 946684800, 0 } };
	char		 path[4096];
	unsigned char	*data;
	long		 n, size = 2048, i, ca = -1;
	double		 t0, t1, t2;
	int		 dfd = -1, fd, root;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: mkfiles DIR OBJECTS [SIZE]\n");
		return 1;
	}
	n = atol(argv[2]);
	if (argc == 4)
		size = atol(argv[3]);
	if (n < 1 || size < 1 || mkdir(argv[1], 0755) == -1) {
		perror(argv[1]);
		return 1;
	}
	if ((root = open(argv[1], O_RDONLY | O_DIRECTORY)) == -1) {
		perror(argv[1]);
		return 1;
	}
	data = malloc((size_t)size);
	for (i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 131 + 7);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (i / PER_CA != ca) {
			ca = i / PER_CA;
			snprintf(path, sizeof(path), "ca%06ld", ca);
			if (dfd != -1)
				close(dfd);
			if (mkdirat(root, path, 0755) == -1 ||
			    (dfd = openat(root, path, O_RDONLY |
			    O_DIRECTORY)) == -1) {
				perror(path);
				return 1;
			}
		}
		snprintf(path, sizeof(path), "%08lx%08lx.roa", ca, i);
		data[0] = (unsigned char)i;
		if ((fd = openat(dfd, path, O_WRONLY | O_CREAT | O_EXCL,
		    0644)) == -1 || write(fd, data, (size_t)size) != size ||
		    futimens(fd, ts) == -1 || close(fd) == -1) {
			perror(path);
			return 1;
		}
	}
	t1 = now_s();
	if (syncfs(root) == -1) {
		perror("syncfs");
		return 1;
	}
	t2 = now_s();
	printf("files=%ld seconds=%.3f syncfs_seconds=%.3f\n", n, t2 - t0,
	    t2 - t1);
	free(data);
	return 0;
}
