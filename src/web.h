/*
 * web.h - HTTP handlers (web_*.c): parse -> call domain -> fill resp.
 * No SQL and no curl in handlers.
 */
#ifndef H5PAY_WEB_H
#define H5PAY_WEB_H

#include "route.h"

/* web_health.c */
int web_health_get(struct app *, struct req *, struct resp *, struct err *);

/* web_notify.c: POST /notify (notify pool) */
int web_notify_post(struct app *, struct req *, struct resp *,
    struct err *);

#endif
