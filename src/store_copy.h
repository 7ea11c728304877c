/*
 * store_copy.h - copy an SQLite database into an empty PostgreSQL one
 * (h5pay migrate-to-pg; docs/scale-out.md).
 */
#ifndef H5PAY_STORE_COPY_H
#define H5PAY_STORE_COPY_H

#include <stdint.h>

#include "err.h"

struct store;

/*
 * Copy every table of src (SQLite) into dst (PostgreSQL, migrated to the
 * same schema version, with no rows yet) in one dst transaction: rows and
 * ids as they are, identity sequences moved past the copied ids, then the
 * row count of every table compared on both sides. On any error nothing
 * is left in dst. *rows gets the number of rows copied.
 */
int store_copy_to_pg(struct store *src, struct store *dst, int64_t *rows,
    struct err *);

#endif
