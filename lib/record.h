/*
 * record.h - framed, checksummed MsgPack records: the persistence files.
 *
 * A persistence file (state-dir snapshot and change log, `log dest',
 * `log save') is a sequence of frames, and each frame is itself one
 * MsgPack object, an ext 32:
 *
 *	c9 | length (4 bytes, big-endian) | type | payload | sum (8 bytes)
 *
 * length counts payload and sum; type is REC_HEADER or REC_DATA; the
 * payload is one MsgPack object (a record, see core/pfile.h); sum is
 * libsodium's crypto_shorthash (SipHash-2-4) under a fixed, public key
 * over everything in front of it.  It is a checksum, not a MAC: it
 * catches torn writes and flipped bits, not an attacker.
 *
 * Every file starts with a REC_HEADER frame.  `cat a b c' of several
 * files is a valid file too: a header may recur, and a reader takes it
 * as the start of the next file.
 *
 * Damage.  When the frame at some offset is bad (short, wrong sum, not
 * one valid MsgPack object), the reader looks for the next good frame:
 *
 *	none up to the end of the file	a torn tail: the rest of the file
 *					is ignored, rec_torn() says where
 *					it starts (the caller truncates
 *					its own log there and warns);
 *	a REC_HEADER frame		the torn tail of one file of a
 *					concatenation: skipped, with a
 *					warning, reading goes on;
 *	a REC_DATA frame		damage in the middle: reading stops
 *					with an error naming the file and
 *					the offset; nothing is skipped
 *					silently.
 */
#ifndef MOAT_RECORD_H
#define MOAT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/mp.h"

#define REC_HEADER	0x48		/* 'H': start of a file */
#define REC_DATA	0x4d		/* 'M': any other record */

#define REC_HDRLEN	6		/* c9, length, type */
#define REC_SUMLEN	8
#define REC_OVERHEAD	(REC_HDRLEN + REC_SUMLEN)
/* Largest payload; above kv.server.max_msg's maximum, so any value a
 * client can set fits in one record. */
#define REC_MAXPAYLOAD	(80u << 20)

/*
 * Writing: rec_begin() reserves a frame header at the end of the
 * buffer and returns its offset; pack exactly one MsgPack object after
 * it (msgpack_packer on the buffer with mpbuf_write); rec_end() fills
 * in the header and appends the sum.  Returns 0, or -1 (EFBIG) if the
 * payload is too large - the frame is then removed again.
 */
size_t	rec_begin(struct mpbuf *);
int	rec_end(struct mpbuf *, size_t off, uint8_t type);

/* Whole frame at buf: its length if good, 0 if not. */
size_t	rec_check(const uint8_t *, size_t, uint8_t *type);

/*
 * Reading, from a descriptor (a regular file or a pipe: `moatd -l
 * <(cat *.state)').  The reader never seeks, never writes and allocates
 * at most about one frame plus the read buffer.
 */
struct rec_reader;

enum rec_rc {
	REC_OK,		/* a record: type, payload, length, offset */
	REC_END,	/* end of input (maybe after a torn tail) */
	REC_ERROR	/* damaged or unreadable: rec_error() says why */
};

struct rec {
	uint8_t		 type;
	const uint8_t	*payload;	/* valid until the next rec_read() */
	size_t		 len;
	uint64_t	 off;		/* file offset of the frame */
};

struct rec_reader *rec_reader_new(int fd, const char *name);
void		 rec_reader_free(struct rec_reader *);
enum rec_rc	 rec_read(struct rec_reader *, struct rec *);
/* "NAME: damaged record at offset N (why)", after REC_ERROR. */
const char	*rec_error(const struct rec_reader *);
/* Offset where a torn tail began, or -1 if the input ended cleanly. */
int64_t		 rec_torn(const struct rec_reader *);
/* Offset just after the last good frame. */
uint64_t	 rec_good_end(const struct rec_reader *);
/* Concatenation tails skipped so far (each one logged as a warning). */
unsigned	 rec_skipped(const struct rec_reader *);

#endif
