/*
 * web.h - HTTP handlers (web_*.c): parse -> call domain -> fill resp.
 * No SQL and no curl in handlers.
 */
#ifndef H5PAY_WEB_H
#define H5PAY_WEB_H

#include "pay.h"
#include "route.h"

/* web_health.c */
int web_health_get(struct app *, struct req *, struct resp *, struct err *);

/* web_admin.c, web_admin_orders.c: the merchant admin (issue 7) */
int web_admin_login(struct app *, struct req *, struct resp *, struct err *);
int web_admin_session(struct app *, struct req *, struct resp *,
    struct err *);
int web_admin_logout(struct app *, struct req *, struct resp *, struct err *);
int web_admin_orders_list(struct app *, struct req *, struct resp *,
    struct err *);
int web_admin_orders_csv(struct app *, struct req *, struct resp *,
    struct err *);
int web_admin_order_get(struct app *, struct req *, struct resp *,
    struct err *);
int web_admin_order_post(struct app *, struct req *, struct resp *,
    struct err *);
int web_admin_stats(struct app *, struct req *, struct resp *, struct err *);
int web_admin_audit(struct app *, struct req *, struct resp *, struct err *);
/* web_admin_events.c: merchant events (docs/integration.md) */
int web_admin_events_list(struct app *, struct req *, struct resp *,
    struct err *);
int web_admin_events_post(struct app *, struct req *, struct resp *,
    struct err *);
/* web_admin_anomalies.c: the anomaly inbox */
int web_admin_anomalies_list(struct app *, struct req *, struct resp *,
    struct err *);
int web_admin_anomalies_post(struct app *, struct req *, struct resp *,
    struct err *);

/* web_metrics.c: GET /metrics (notify pool, loopback server only) */
int web_metrics_get(struct app *, struct req *, struct resp *,
    struct err *);

/* web_notify.c: POST /notify (notify pool) */
int web_notify_post(struct app *, struct req *, struct resp *,
    struct err *);

/* web_oauth.c: WeChat login (docs/protocol.md §W1) and buyer session */
int web_oauth_start(struct app *, struct req *, struct resp *, struct err *);
int web_oauth_callback(struct app *, struct req *, struct resp *,
    struct err *);
int web_me_get(struct app *, struct req *, struct resp *, struct err *);
int web_logout_post(struct app *, struct req *, struct resp *, struct err *);

/* web_catalog.c, web_pay.c, web_orders.c: the buyer flow (issue 5) */
int web_products_get(struct app *, struct req *, struct resp *,
    struct err *);
int web_pay_post(struct app *, struct req *, struct resp *, struct err *);

/*
 * The answer to a buyer's pay (web_pay.c; POST /pay and hosted checkout's
 * pay share it): 200 with the invocation parameters when PAY_READY, else
 * the stable failure JSON (502 payment_refused, 504 payment_unknown, 409
 * order_not_payable) with the order's number and state. -1 with
 * E_INTERNAL when the stored parameters are unusable.
 */
int web_pay_answer(struct resp *, const struct req *, enum pay_result,
    const struct buyer_order *, struct err *);
/* The failure JSON {"error","message","orderNo"?,"state"?,"requestId"}
 * with status (no-store). o may be NULL. */
void web_pay_fail(struct resp *, const struct req *, int status,
    const char *code, const char *message, const struct buyer_order *o);
int web_order_get(struct app *, struct req *, struct resp *, struct err *);
int web_orders_list(struct app *, struct req *, struct resp *,
    struct err *);

/* web_api.c: the payments API (issue 11, docs/integration.md) */
int web_api_payment_create(struct app *, struct req *, struct resp *,
    struct err *);
int web_api_payment_find(struct app *, struct req *, struct resp *,
    struct err *);
int web_api_payment_get(struct app *, struct req *, struct resp *,
    struct err *);
int web_api_payment_post(struct app *, struct req *, struct resp *,
    struct err *);

/* web_checkout.c: hosted checkout's JSON (nginx/html/shop/pay.html) */
int web_checkout_get(struct app *, struct req *, struct resp *,
    struct err *);
int web_checkout_pay(struct app *, struct req *, struct resp *,
    struct err *);

#endif
