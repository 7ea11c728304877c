/*
 * store_metrics.h - the database gauges of GET /metrics.
 */
#ifndef H5PAY_STORE_METRICS_H
#define H5PAY_STORE_METRICS_H

#include <stdint.h>

#include "err.h"

struct store;
struct metrics_db;

/*
 * Fill *out from the database behind s at wall time now (open orders and
 * refunds by state, the reconciler's due queue, the oldest ages, open
 * anomalies) and the sizes of db_path and its WAL. Reads only, each an
 * indexed query except over refunds (few rows). 0, or -1 with E_STORE.
 */
int store_metrics_read(struct store *s, const char *db_path, int64_t now,
    struct metrics_db *out, struct err *);

#endif
