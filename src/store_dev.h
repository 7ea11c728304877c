/*
 * store_dev.h - synthetic data for benchmarks (`h5pay dev-fill`,
 * store_dev.c); never used by the daemon.
 */
#ifndef H5PAY_STORE_DEV_H
#define H5PAY_STORE_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

/*
 * Benchmarks only (h5pay dev-fill): n fake orders "DEV<12 digits>" spread
 * over the `days` days before now (states PAID 60 %, CLOSED 20 %, PENDING
 * 10 %, FAILED 10 %), one item and one event each, in transactions of
 * 10,000 orders. Deterministic (fixed seed).
 */
int store_dev_fill(struct store *, int64_t n, int64_t days,
    int64_t now, const char *currency, struct err *);

#endif
