/*
 * authd.h - authentication methods and user administration.
 */
#ifndef MOAT_AUTHD_H
#define MOAT_AUTHD_H

#include <stddef.h>

#include "lib/sandbox.h"

extern const struct sandbox_rule authd_rules[];
extern const size_t authd_nrules;

#endif
