/*
 * runnerd.h - stored code: runners, type checks and codecs.
 */
#ifndef MOAT_RUNNERD_H
#define MOAT_RUNNERD_H

#include <stddef.h>

#include "lib/sandbox.h"

extern const struct sandbox_rule runnerd_rules[];
extern const size_t runnerd_nrules;

#endif
