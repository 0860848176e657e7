/*
 * deleter.c - the DeleteActor's purge rules (see deleter.h).
 */
#include <string.h>

#include "syncd/deleter.h"

void
deleter_set(struct deleter *d, int64_t n, int member)
{
	d->n = n > 0 ? n : 0;
	d->member = member;
	d->n_tags = d->n_pings = 0;
}

/* An incomplete group breaks the run of complete rounds. */
static int
complete(struct deleter *d, unsigned hist)
{
	if (d->n == 0 || (int64_t)hist < d->n) {
		d->n_tags = d->n_pings = 0;
		return 0;
	}
	return 1;
}

enum del_action
deleter_ping(struct deleter *d, const struct actor_val *v, unsigned nhist,
    uint64_t *tock)
{
	uint64_t	 mx;

	if (!v->has) {
		d->n_tags = d->n_pings = 0;
		return DEL_NONE;
	}
	if (!complete(d, nhist) || ++d->n_pings <= (uint64_t)d->n)
		return DEL_NONE;
	mx = d->max_seen;
	if (v->tick > d->max_seen)
		d->max_seen = v->tick;
	if (v->tock > mx)
		return DEL_RESYNC;	/* whole rounds went past us */
	*tock = v->tock;
	return DEL_PURGE;
}

enum del_action
deleter_tag(struct deleter *d, unsigned hist, uint64_t now,
    struct actor_val *value, uint64_t *tock)
{
	enum del_action	 act = DEL_NONE;

	if (!complete(d, hist))
		return DEL_NONE;
	if (++d->n_tags > 2 && d->ntags > 0) {
		*tock = d->tags[0];
		act = DEL_PURGE;
	}
	if (d->ntags == DEL_TAGS) {
		memmove(&d->tags[0], &d->tags[1],
		    (DEL_TAGS - 1) * sizeof(d->tags[0]));
		d->ntags--;
	}
	d->tags[d->ntags++] = now;
	value->has = 1;
	value->tock = d->tags[0];
	value->tick = d->tags[d->ntags - 1];
	return act;
}
