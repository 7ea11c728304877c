/*
 * order.c - the order state machine: the one place that decides an
 * order's (and a refund's) state from what the provider or our own calls
 * report (docs/protocol.md §5-8). Names and rows: order_state.c;
 * notifications: notify.c.
 *
 * What it does: order_decide() is the pure table; order_apply() reads the
 * order inside the caller's write transaction, applies the table, writes
 * the change, one event per change and anomalies. What it does not do:
 * talk to the provider, verify signatures (callers hand in verified
 * inputs only), open or commit transactions, any SQL (store_order.c).
 * Invariants: PAID never goes back; a payment is recorded only when the
 * provider's amount and currency equal the order's; an input applied twice
 * changes nothing the second time.
 */
#include <string.h>

#include "buf.h"
#include "log.h"
#include "order.h"
#include "store.h"
#include "store_refund.h"
#include "store_order.h"
#include "store_notify.h"
#include "util.h"
#include "valid.h"

static bool
has(const char *s)
{
	return s != NULL && *s != '\0';
}

/* The provider's money must be the order's money (issue 6 §2). */
static enum order_anomaly
money_check(const struct order *o, const struct order_input *in)
{
	if (in->amount >= 0 && in->amount != o->amount)
		return OAN_AMOUNT_MISMATCH;
	if (has(in->currency) && strcmp(in->currency, o->currency) != 0)
		return OAN_CURRENCY_MISMATCH;
	/* a payment is only recorded with both present and equal */
	if (in->status == UPS_SUCCEED && in->amount < 0)
		return OAN_AMOUNT_MISMATCH;
	if (in->status == UPS_SUCCEED && !has(in->currency))
		return OAN_CURRENCY_MISMATCH;
	return OAN_NONE;
}

/*
 * Issue 10: UseePay documents amount and currency as optional in a
 * notification. A notified "succeed" whose money is absent (what is
 * present matches) is not an anomaly: it is confirmed by a query (the
 * order becomes due for its next check now; the query's verified amount
 * and currency decide). A query without them stays an anomaly: nothing
 * else can confirm the money.
 */
static bool
needs_confirm(const struct order *o, const struct order_input *in)
{
	return in->source == OSRC_NOTIFY && in->status == UPS_SUCCEED &&
	    order_state_is_open(o->state) &&
	    (in->amount < 0 || !has(in->currency)) &&
	    (in->amount < 0 || in->amount == o->amount) &&
	    (!has(in->currency) || strcmp(in->currency, o->currency) == 0);
}

static void
decide_pay_status(const struct order *o, const struct order_input *in,
    struct order_decision *d)
{
	enum order_state s = o->state;

	if (needs_confirm(o, in)) {
		d->confirm = true;
		return;
	}
	if ((d->anomaly = money_check(o, in)) != OAN_NONE)
		return;
	switch (in->status) {
	case UPS_SUCCEED:
		if (order_state_is_open(s))
			d->next = ORDER_PAID;
		else if (s == ORDER_CLOSED) {
			/* the money was taken: it is paid, tell the merchant */
			d->next = ORDER_PAID;
			d->anomaly = OAN_PAID_AFTER_CLOSED;
		} else if (s == ORDER_FAILED) {
			d->next = ORDER_PAID;
			d->anomaly = OAN_PAID_AFTER_FAILED;
		}
		break;
	case UPS_FAILED:
		if (order_state_is_open(s))
			d->next = ORDER_FAILED;
		else if (order_state_is_paid(s))
			d->anomaly = OAN_STATUS_CONFLICT;
		break;
	case UPS_CLOSED:
	case UPS_CANCELLED:
		if (order_state_is_open(s))
			d->next = ORDER_CLOSED;
		else if (order_state_is_paid(s))
			d->anomaly = OAN_STATUS_CONFLICT;
		break;
	case UPS_RECEIVED:
	case UPS_PENDING:
		/* the provider has the transaction: an unknown create is
		 * resolved, the order is payable */
		if (s == ORDER_CREATED || s == ORDER_UNKNOWN)
			d->next = ORDER_PENDING;
		break;
	case UPS_NONE:
	case UPS_OTHER:
		break;
	}
}

void
order_decide(const struct order *o, const struct order_input *in,
    struct order_decision *d)
{
	enum order_state s = o->state;

	d->next = s;
	d->anomaly = OAN_NONE;
	d->confirm = false;
	switch (in->kind) {
	case OIN_PAY_STATUS:
		decide_pay_status(o, in, d);
		break;
	case OIN_CREATE_OK:
		if (s == ORDER_CREATED)
			d->next = ORDER_PENDING;
		break;
	case OIN_CREATE_FAILED:
		if (s == ORDER_CREATED) {
			d->next = ORDER_FAILED;
			if (in->refused_unsigned)
				d->anomaly = OAN_PROVIDER_REFUSED;
		}
		break;
	case OIN_CREATE_UNKNOWN:
		if (s == ORDER_CREATED)
			d->next = ORDER_UNKNOWN;
		break;
	case OIN_EXPIRE:
		/* a payment that won the race keeps the order PAID */
		if (order_state_is_open(s)) {
			d->next = ORDER_CLOSED;
			if (in->unresolved)
				d->anomaly = OAN_UNRESOLVED;
		}
		break;
	case OIN_REFUND_STATUS:
		break;		/* order_apply_refund */
	}
}

int64_t
order_next_check(int64_t created_at, int64_t attempts, int64_t now)
{
	static const int64_t offsets[] = {60, 120, 300, 600, 1200};
	int64_t n = (int64_t)(sizeof(offsets) / sizeof(offsets[0])), t;

	if (attempts >= 0 && attempts < n)
		t = created_at + offsets[attempts];
	else
		t = now + 3600;
	return t < now + 30 ? now + 30 : t;
}

static int
anomaly_write(struct store *st, int64_t now, const struct order *o,
    int64_t refund_id, const struct order_input *in, enum order_anomaly a,
    struct err *err)
{
	struct buf d;
	int rc;

	buf_init(&d, 1024);
	buf_printf(&d, "state=%s order_amount=%lld order_currency=%s",
	    order_state_name(o->state), (long long)o->amount, o->currency);
	if (in->amount >= 0)
		buf_printf(&d, " amount=%lld", (long long)in->amount);
	if (has(in->currency))
		buf_printf(&d, " currency=%.8s", in->currency);
	if (has(in->result_code))
		buf_printf(&d, " result=%.32s", in->result_code);
	if (has(in->refund_no))
		buf_printf(&d, " refund=%.32s", in->refund_no);
	rc = store_anomaly_insert(st, o->id, in->notification_id, refund_id,
	    order_anomaly_name(a), order_source_name(in->source), buf_str(&d),
	    now, err);
	buf_cleanup(&d);
	if (rc == 0)
		log_warn("order", "anomaly", "order=%s kind=%s source=%s",
		    o->order_no, order_anomaly_name(a),
		    order_source_name(in->source));
	return rc;
}

static int
event_write(struct store *st, int64_t now, const struct order *o,
    enum order_state next, int64_t refund_id, int64_t amount,
    const struct order_input *in, struct err *err)
{
	struct order_event ev = {
		.order_id = o->id,
		.source = in->source,
		.old_state = o->state,
		.new_state = next,
		.result_code = in->result_code,
		.error_code = in->error_code,
		.error_msg = in->error_msg,
		.msg_sha256 = in->msg_sha256,
		.notification_id = in->notification_id,
		.refund_id = refund_id,
		.amount = amount,
		.actor = in->actor,
		.created_at = now,
	};

	return store_order_event_insert(st, &ev, err);
}

static int
order_apply_pay(struct store *st, int64_t now, const struct order *o,
    const struct order_input *in, struct order_outcome *out, struct err *err)
{
	struct order_decision d;
	struct order_change ch;

	order_decide(o, in, &d);
	if (d.anomaly != OAN_NONE &&
	    anomaly_write(st, now, o, 0, in, d.anomaly, err) == -1)
		return -1;
	out->anomaly = d.anomaly;
	out->new_state = d.next;
	out->confirm = d.confirm;
	if (d.confirm) {
		/* issue 10 item 2: the reconciler's next pass confirms it */
		log_info("order", "confirm_by_query", "order=%s source=%s "
		    "msg=\"paid without amount or currency\"", o->order_no,
		    order_source_name(in->source));
		return store_order_check_at(st, o->id, now, err);
	}
	if (d.next == o->state && in->kind == OIN_CREATE_OK &&
	    o->state != ORDER_CREATED) {
		/* a query (or the notification) got there first: the state
		 * stands, but the buyer still needs the invocation params */
		memset(&ch, 0, sizeof(ch));
		ch.id = o->id;
		ch.state = o->state;
		ch.refunded_amount = o->refunded_amount;
		ch.now = now;
		ch.provider_ref = has(in->reference) ? in->reference : NULL;
		ch.jsapi = in->jsapi;
		return store_order_update(st, &ch, err);
	}
	if (d.next == o->state)
		return 0;
	memset(&ch, 0, sizeof(ch));
	ch.id = o->id;
	ch.state = d.next;
	ch.refunded_amount = o->refunded_amount;
	ch.now = now;
	if (has(in->reference))
		ch.provider_ref = in->reference;
	if (d.next == ORDER_PAID)
		ch.paid_at = now;
	if (in->kind == OIN_CREATE_OK)
		ch.jsapi = in->jsapi;
	if (d.next == ORDER_FAILED || d.next == ORDER_CLOSED ||
	    in->kind == OIN_CREATE_UNKNOWN) {
		ch.error_code = in->error_code;
		ch.error_msg = in->error_msg;
	}
	if (store_order_update(st, &ch, err) == -1 ||
	    event_write(st, now, o, d.next, 0, -1, in, err) == -1)
		return -1;
	out->changed = true;
	log_info("order", "transition", "order=%s from=%s to=%s source=%s",
	    o->order_no, order_state_name(o->state), order_state_name(d.next),
	    order_source_name(in->source));
	return 0;
}

/* A refund's provider status: update the refund and, once it succeeded,
 * the order's refunded amount and state. */
static int
order_apply_refund(struct store *st, int64_t now, const struct order *o,
    const struct order_input *in, struct order_outcome *out, struct err *err)
{
	struct order_change ch;
	struct refund r;
	struct err e2;
	enum refund_state rnext;
	enum order_state onext = o->state;
	int64_t refunded = o->refunded_amount;
	enum order_anomaly a = OAN_NONE;

	if (!has(in->refund_no) ||
	    store_refund_get(st, in->refund_no, &r, &e2) == -1) {
		if (has(in->refund_no) && e2.code != E_NOTFOUND) {
			*err = e2;
			return -1;
		}
		out->anomaly = OAN_UNKNOWN_REFUND;
		return anomaly_write(st, now, o, 0, in, OAN_UNKNOWN_REFUND,
		    err);
	}
	if (r.order_id != o->id) {
		out->anomaly = OAN_UNKNOWN_REFUND;
		return anomaly_write(st, now, o, 0, in, OAN_UNKNOWN_REFUND,
		    err);
	}
	out->refund_id = r.id;
	if ((in->amount >= 0 && in->amount != r.amount) ||
	    (has(in->currency) && strcmp(in->currency, r.currency) != 0) ||
	    (in->status == UPS_SUCCEED && (in->amount < 0 ||
	    !has(in->currency)))) {
		out->anomaly = OAN_REFUND_MISMATCH;
		return anomaly_write(st, now, o, r.id, in, OAN_REFUND_MISMATCH,
		    err);
	}
	rnext = r.state;
	switch (in->status) {
	case UPS_SUCCEED:
		if (r.state == REFUND_SUCCEEDED)
			break;
		if (!order_state_is_paid(o->state) ||
		    o->refunded_amount + r.amount > o->amount) {
			a = order_state_is_paid(o->state) ?
			    OAN_REFUND_OVER_AMOUNT :
			    OAN_STATUS_CONFLICT;
			break;
		}
		if (r.state == REFUND_FAILED)
			/* we had given up on it, but the money left */
			a = OAN_STATUS_CONFLICT;
		rnext = REFUND_SUCCEEDED;
		refunded = o->refunded_amount + r.amount;
		onext = refunded == o->amount ? ORDER_REFUNDED :
		    ORDER_PARTIALLY_REFUNDED;
		break;
	case UPS_FAILED:
	case UPS_CLOSED:
	case UPS_CANCELLED:
		if (r.state == REFUND_SUCCEEDED)
			a = OAN_STATUS_CONFLICT;
		else
			rnext = REFUND_FAILED;
		break;
	case UPS_RECEIVED:
	case UPS_PENDING:
		if (r.state == REFUND_CREATED || r.state == REFUND_UNKNOWN)
			rnext = REFUND_PENDING;
		break;
	case UPS_NONE:
	case UPS_OTHER:
		break;
	}
	out->anomaly = a;
	if (a != OAN_NONE && anomaly_write(st, now, o, r.id, in, a, err) == -1)
		return -1;
	if (rnext == r.state)
		return 0;
	if (store_refund_update(st, r.id, refund_state_name(rnext),
	    has(in->reference) ? in->reference : NULL,
	    rnext == REFUND_FAILED ? in->error_code : NULL,
	    rnext == REFUND_FAILED ? in->error_msg : NULL, now, err) == -1)
		return -1;
	if (onext != o->state || refunded != o->refunded_amount) {
		memset(&ch, 0, sizeof(ch));
		ch.id = o->id;
		ch.state = onext;
		ch.refunded_amount = refunded;
		ch.now = now;
		if (store_order_update(st, &ch, err) == -1)
			return -1;
	}
	if (event_write(st, now, o, onext, r.id, r.amount, in, err) == -1)
		return -1;
	out->new_state = onext;
	out->changed = true;
	log_info("order", "refund", "order=%s refund=%s refund_state=%s "
	    "from=%s to=%s source=%s", o->order_no, r.refund_no,
	    refund_state_name(rnext), order_state_name(o->state),
	    order_state_name(onext), order_source_name(in->source));
	return 0;
}

int
order_apply(struct store *st, int64_t now, const char *order_no,
    const struct order_input *in, struct order_outcome *out, struct err *err)
{
	struct order o;

	memset(out, 0, sizeof(*out));
	if ((unsigned)in->source >= OSRC__COUNT)
		return err_set(err, E_INPUT, "order_apply: bad source");
	if (order_no == NULL || !valid_order_no(order_no, strlen(order_no)))
		return err_set(err, E_NOTFOUND, "order_apply: no such order");
	if (store_order_get(st, order_no, &o, err) == -1)
		return -1;
	out->order_id = o.id;
	out->old_state = out->new_state = o.state;
	if (in->kind == OIN_REFUND_STATUS)
		return order_apply_refund(st, now, &o, in, out, err);
	return order_apply_pay(st, now, &o, in, out, err);
}

int
order_anomaly_record(struct store *st, int64_t now, enum order_anomaly a,
    enum order_source src, int64_t notification_id, const char *detail,
    struct err *err)
{
	return store_anomaly_insert(st, 0, notification_id, 0,
	    order_anomaly_name(a), order_source_name(src),
	    detail ? detail : "", now, err);
}
