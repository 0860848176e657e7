/*
 * syncd.h - MQTT sync between servers.
 */
#ifndef MOAT_SYNCD_H
#define MOAT_SYNCD_H

#include <stddef.h>

#include "lib/sandbox.h"

extern const struct sandbox_rule syncd_rules[];
extern const size_t syncd_nrules;

#endif
