/*
 * Shared by the unit tests: read a file under tests/data (the TEST_DATA
 * directory CTest passes), with the library's bounded reader.  Include
 * after <cmocka.h>.
 */
#ifndef RPKIPUB_TEST_DATA_H
#define RPKIPUB_TEST_DATA_H

#include <stdio.h>
#include <stdlib.h>

#include "fileio.h"

static uint8_t *
read_data(const char *rel, size_t *len)
{
	const char	*dir = getenv("TEST_DATA");
	char		 path[1024];
	char		*data;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", rel);
	if ((data = file_read(path, 16 * 1024 * 1024, len)) == NULL)
		fail_msg("cannot read %s", path);
	return (uint8_t *)data;
}

#endif
