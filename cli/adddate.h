/*
 * adddate.h - "get -D" and "monitor -D": readable dates next to
 * timestamps.
 *
 * As the original: in every map of a value (maps inside lists too), an
 * entry whose value is a number within 366 days of now gets a sibling
 * "_KEY" holding that time as local "YYYY-MM-DD HH:MM:SS.mmm".  Keys
 * that are strings starting with '_' are left alone; other maps are
 * searched recursively.  A "_KEY" that exists already is overwritten in
 * its place, new ones go at the end of the map.  A non-string KEY is
 * named by its Python str() ("_5").
 */
#ifndef MOAT_CLI_ADDDATE_H
#define MOAT_CLI_ADDDATE_H

#include <time.h>

#include <msgpack.h>

#include "lib/mp.h"

/* Pack v with the dates added; now is the reference time. */
void	adddate_pack(msgpack_packer *, const msgpack_object *v, time_t now);

#endif
