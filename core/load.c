/*
 * load.c - read a whole persistence file into the tree (pfile.h).
 *
 * The reader (lib/record.h) hands over checked frames; here each is
 * taken apart: headers must say "moat_kv: state" with a version we
 * know, state records go to the caller, entry records are applied.
 * Anything we cannot make sense of stops the load with the file name
 * and the offset of the record: loading must never guess.
 */
#include <stdio.h>
#include <string.h>

#include "core/pfile.h"
#include "lib/log.h"
#include "lib/record.h"

struct loader {
	struct pf_load	*pl;
	const char	*name;
	msgpack_zone	 zone;
	struct mpbuf	 pathbuf;
	struct pf_entry	 pe;
	char		*err;
	size_t		 errlen;
};

static int
bad(struct loader *L, const struct rec *r, const char *why)
{
	snprintf(L->err, L->errlen, "%s: bad record at offset %llu: %s",
	    L->name, (unsigned long long)r->off, why);
	return -1;
}

static int
unpack(struct loader *L, const struct rec *r, msgpack_object *o)
{
	size_t	 off = 0;

	msgpack_zone_clear(&L->zone);
	return msgpack_unpack((const char *)r->payload, r->len, &off,
	    &L->zone, o) == MSGPACK_UNPACK_SUCCESS ? 0 : -1;
}

static int
do_header(struct loader *L, const struct rec *r)
{
	msgpack_object	 o;
	const char	*s;
	size_t		 n;
	int64_t		 v;

	if (unpack(L, r, &o) == -1 ||
	    mp_get_str(mp_map_get(&o, "moat_kv"), &s, &n) == -1 ||
	    n != 5 || memcmp(s, "state", 5) != 0)
		return bad(L, r, "not a moat-kv state file header");
	if (mp_get_int64(mp_map_get(&o, "version"), &v) == -1 || v < 1 ||
	    v > PF_VERSION)
		return bad(L, r, "unsupported file version");
	L->pl->headers++;
	return 0;
}

static int
do_entry(struct loader *L, const struct rec *r)
{
	struct pf_load	*pl = L->pl;
	int		 rc;

	pl->entries++;
	if (L->pe.tock > pl->max_tock)
		pl->max_tock = L->pe.tock;
	if (pl->entry_fn)
		rc = pl->entry_fn(&L->pe, pl->arg);
	else
		rc = pf_apply(pl->tree, &L->pe);
	if (rc == -1)
		return bad(L, r, "out of memory");
	if (rc > 0)
		pl->applied++;
	return 0;
}

static int
do_state(struct loader *L, const struct rec *r)
{
	struct pf_load	*pl = L->pl;
	msgpack_object	 o;
	const char	*why = "unknown record";
	uint64_t	 tock;

	if (unpack(L, r, &o) == -1 || o.type != MSGPACK_OBJECT_MAP ||
	    (mp_map_get(&o, "nodes") == NULL &&
	    mp_map_get(&o, "known") == NULL &&
	    mp_map_get(&o, "deleted") == NULL &&
	    mp_map_get(&o, "tock") == NULL))
		return bad(L, r, why);
	if (pf_parse_state(&o, pl->state_fn, pl->arg, &tock, &why) != 0)
		return bad(L, r, why);
	if (tock > pl->max_tock)
		pl->max_tock = tock;
	pl->states++;
	return 0;
}

static int
do_record(struct loader *L, const struct rec *r)
{
	const char	*why = NULL;
	int		 rc;

	if (r->type == REC_HEADER)
		return do_header(L, r);
	if (L->pl->headers == 0)
		return bad(L, r, "not a moat-kv state file (no header)");
	rc = pf_parse_entry(r->payload, r->len, L->pl->tree, &L->pathbuf,
	    &L->pe, &why);
	if (rc == -1)
		return bad(L, r, why);
	if (rc == 1)
		return do_entry(L, r);
	return do_state(L, r);
}

static int
nop_state(const char *set, const char *name, size_t len, uint64_t tick,
    const struct ranges *rs, void *arg)
{
	return 0;
}

int
pf_load_fd(int fd, const char *name, struct pf_load *pl, char *err,
    size_t errlen)
{
	struct loader	 L;
	struct rec_reader *rr;
	struct rec	 r;
	enum rec_rc	 rc;
	int		 ret = 0;

	pl->headers = pl->states = pl->entries = pl->applied = 0;
	pl->torn = -1;
	pl->good_end = 0;
	if (pl->state_fn == NULL)
		pl->state_fn = nop_state;
	if ((rr = rec_reader_new(fd, name)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	memset(&L, 0, sizeof(L));
	L.pl = pl;
	L.name = name;
	L.err = err;
	L.errlen = errlen;
	msgpack_zone_init(&L.zone, 4096);
	mpbuf_init(&L.pathbuf);
	while ((rc = rec_read(rr, &r)) == REC_OK)
		if ((ret = do_record(&L, &r)) == -1)
			break;
	if (ret == 0 && rc == REC_ERROR) {
		snprintf(err, errlen, "%s", rec_error(rr));
		ret = -1;
	}
	pl->torn = rec_torn(rr);
	pl->good_end = rec_good_end(rr);
	if (ret == 0 && pl->torn >= 0)
		log_warnx("%s: torn record at offset %lld: the rest of the "
		    "file is ignored", name, (long long)pl->torn);
	mpbuf_free(&L.pathbuf);
	msgpack_zone_destroy(&L.zone);
	rec_reader_free(rr);
	return ret;
}
