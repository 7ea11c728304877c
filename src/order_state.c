/*
 * order_state.c - the names of order states, refund states, sources and
 * anomaly kinds as they are stored in SQL and shown to the merchant, and
 * the two state predicates every layer asks. No I/O.
 */
#include <string.h>

#include "order_state.h"

static const char *const state_names[ORDER__COUNT] = {
	"CREATED", "PENDING", "UNKNOWN", "PAID", "FAILED", "CLOSED",
	"PARTIALLY_REFUNDED", "REFUNDED",
};

static const char *const refund_names[REFUND__COUNT] = {
	"CREATED", "PENDING", "UNKNOWN", "SUCCEEDED", "FAILED",
};

static const char *const source_names[OSRC__COUNT] = {
	"notify", "query", "reconciler", "admin", "pay",
};

static const char *const anomaly_names[OAN__COUNT] = {
	"none", "amount_mismatch", "currency_mismatch", "unknown_order",
	"paid_after_closed", "paid_after_failed", "status_conflict",
	"unknown_refund", "refund_mismatch", "refund_over_amount",
	"provider_refused", "unresolved",
};

const char *
order_state_name(enum order_state s)
{
	return (unsigned)s < ORDER__COUNT ? state_names[s] : "?";
}

const char *
refund_state_name(enum refund_state s)
{
	return (unsigned)s < REFUND__COUNT ? refund_names[s] : "?";
}

const char *
order_source_name(enum order_source s)
{
	return (unsigned)s < OSRC__COUNT ? source_names[s] : "?";
}

const char *
order_anomaly_name(enum order_anomaly a)
{
	return (unsigned)a < OAN__COUNT ? anomaly_names[a] : "?";
}

int
order_state_parse(const char *s, enum order_state *out)
{
	int i;

	for (i = 0; s && i < ORDER__COUNT; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum order_state)i;
			return 0;
		}
	return -1;
}

int
refund_state_parse(const char *s, enum refund_state *out)
{
	int i;

	for (i = 0; s && i < REFUND__COUNT; i++)
		if (strcmp(s, refund_names[i]) == 0) {
			*out = (enum refund_state)i;
			return 0;
		}
	return -1;
}

bool
order_state_is_open(enum order_state s)
{
	return s == ORDER_CREATED || s == ORDER_PENDING || s == ORDER_UNKNOWN;
}


bool
order_state_is_paid(enum order_state s)
{
	return s == ORDER_PAID || s == ORDER_PARTIALLY_REFUNDED ||
	    s == ORDER_REFUNDED;
}
