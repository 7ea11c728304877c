/*
 * outbox.c - merchant events into the outbox (outbox.h): the payload of
 * each event type, its id, one store_outbox_insert() in the caller's
 * transaction. What it does not do: decide anything (order.c says which
 * change happened), send (outbox_send.c), SQL (store_outbox.c).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "outbox.h"
#include "store.h"
#include "store_outbox.h"
#include "util.h"

/* "evt_" + 24 lowercase hex digits into id[29]. */
static int
outbox_id_new(char id[29], struct err *err)
{
	unsigned char r[7];
	char hex[15];

	if (random_bytes(NULL, r, sizeof(r)) == -1)
		return err_set(err, E_INTERNAL, "outbox: no random bytes");
	/* 11 hex digits of the time in ms, then 13 random ones: ids made
	 * together sort together, so the UNIQUE index on event_id takes each
	 * new one on the same B-tree page instead of a random one per event
	 * (issue 14); 52 random bits keep ids of the same millisecond apart */
	snprintf(id, 29, "evt_%011llx", (unsigned long long)now_ms() &
	    0xfffffffffffULL);
	hex_encode(r, sizeof(r), hex);
	memcpy(id + 15, hex, 13);
	id[28] = '\0';
	return 0;
}

/* Wrap data (taken) into the envelope and insert it. */
static int
outbox_write(struct store *st, int64_t now, const char *type,
    int64_t order_id, int64_t refund_id, struct json_object *data,
    char *id_out, struct err *err)
{
	struct json_object *ev = json_object_new_object();
	struct outbox_new n;
	char id[29];
	int rc = -1;

	if (outbox_id_new(id, err) == -1) {
		json_object_put(data);
		goto out;
	}
	json_object_object_add(ev, "id", json_object_new_string(id));
	json_object_object_add(ev, "type", json_object_new_string(type));
	json_object_object_add(ev, "created_at", json_object_new_int64(now));
	json_object_object_add(ev, "data", data);
	memset(&n, 0, sizeof(n));
	n.event_id = id;
	n.type = type;
	n.order_id = order_id;
	n.refund_id = refund_id;
	n.body = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
	n.created_at = now;
	if (strlen(n.body) > 4096) {
		err_set(err, E_INTERNAL, "outbox: event too large");
		goto out;
	}
	if ((rc = store_outbox_insert(st, &n, err)) == 0 && id_out)
		memcpy(id_out, id, sizeof(id));
out:
	json_object_put(ev);
	return rc;
}

static void
add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v && *v ? json_object_new_string(v) :
	    NULL);
}

int
outbox_payment(struct store *st, int64_t now, const struct order *o,
    enum order_state next, struct err *err)
{
	struct json_object *d;
	const char *type;

	switch (next) {
	case ORDER_PAID:
		type = "payment.paid";
		break;
	case ORDER_FAILED:
		type = "payment.failed";
		break;
	case ORDER_CLOSED:
		type = "payment.closed";
		break;
	default:
		return 0;
	}
	d = json_object_new_object();
	add_str(d, "order_no", o->order_no);
	add_str(d, "state", order_state_name(next));
	json_object_object_add(d, "amount", json_object_new_int64(o->amount));
	add_str(d, "currency", o->currency);
	json_object_object_add(d, "paid_at", next == ORDER_PAID ?
	    json_object_new_int64(now) : NULL);
	return outbox_write(st, now, type, o->id, 0, d, NULL, err);
}

int
outbox_refund(struct store *st, int64_t now, const struct order *o,
    const struct refund *r, enum refund_state rnext, enum order_state onext,
    int64_t refunded, struct err *err)
{
	struct json_object *d;
	const char *type;

	if (rnext == REFUND_SUCCEEDED)
		type = "refund.succeeded";
	else if (rnext == REFUND_FAILED)
		type = "refund.failed";
	else
		return 0;
	d = json_object_new_object();
	add_str(d, "order_no", o->order_no);
	add_str(d, "order_state", order_state_name(onext));
	add_str(d, "refund_no", r->refund_no);
	add_str(d, "refund_state", refund_state_name(rnext));
	json_object_object_add(d, "refund_amount",
	    json_object_new_int64(r->amount));
	add_str(d, "currency", r->currency);
	json_object_object_add(d, "refunded_amount",
	    json_object_new_int64(refunded));
	return outbox_write(st, now, type, o->id, r->id, d, NULL, err);
}

int
outbox_anomaly(struct store *st, int64_t now, const struct order *o,
    int64_t refund_id, enum order_anomaly a, enum order_source src,
    const char *detail, struct err *err)
{
	struct json_object *d = json_object_new_object();

	add_str(d, "kind", order_anomaly_name(a));
	add_str(d, "source", order_source_name(src));
	add_str(d, "order_no", o ? o->order_no : NULL);
	/* capped so the escaped envelope stays within the row's 4096 */
	json_object_object_add(d, "detail", json_object_new_string_len(
	    detail ? detail : "", detail ? (int)strnlen(detail, 512) : 0));
	return outbox_write(st, now, "anomaly.raised", o ? o->id : 0,
	    refund_id, d, NULL, err);
}

int
outbox_test(struct store *st, int64_t now, char event_id[29],
    struct err *err)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "test", json_object_new_boolean(1));
	return outbox_write(st, now, "test", 0, 0, d, event_id, err);
}

bool
outbox_event_id_valid(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != 28 || strncmp(id, "evt_", 4) != 0)
		return false;
	for (i = 4; i < 28; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

int
outbox_resend(struct store *st, int64_t now, const char *event_id,
    struct err *err)
{
	if (!outbox_event_id_valid(event_id))
		return err_set(err, E_INPUT, "not an event id");
	if (store_begin(st, err) == -1)
		return -1;
	if (store_outbox_resend(st, event_id, now, err) == -1 ||
	    store_commit(st, err) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
outbox_test_commit(struct store *st, int64_t now, char event_id[29],
    struct err *err)
{
	if (store_begin(st, err) == -1)
		return -1;
	if (outbox_test(st, now, event_id, err) == -1 ||
	    store_commit(st, err) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
outbox_list(struct store *st, const char *state, int64_t limit,
    struct json_object **out, struct err *err)
{
	static const char *const states[] = {"pending", "sending",
	    "delivered", "failed"};
	size_t i;

	*out = NULL;
	if (state != NULL) {
		for (i = 0; i < 4 && strcmp(state, states[i]) != 0; i++)
			;
		if (i == 4)
			return err_set(err, E_INPUT, "state: pending, sending, "
			    "delivered or failed");
	}
	if (limit < 1 || limit > 500)
		return err_set(err, E_INPUT, "limit: 1..500");
	return store_outbox_list(st, state, (int)limit, out, err);
}
