/*
 * core.h - the storage core: the tree, chains, ticks, watches, ACLs, persistence.
 */
#ifndef MOAT_CORE_H
#define MOAT_CORE_H

#include <stddef.h>

#include "lib/sandbox.h"

extern const struct sandbox_rule core_rules[];
extern const size_t core_nrules;

#endif
