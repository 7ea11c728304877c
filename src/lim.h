/*
 * lim.h - every size cap of h5pay in one place (a leaf: no includes).
 * Each buffer or list fed from outside has one of these as its ceiling;
 * input past it is an ordinary error (E_TOOBIG or E_INPUT), never a crash.
 * Protocol field lengths (what UseePay or WeChat allow in one field) stay
 * with the code that speaks the protocol (useepay.c's UP_MAX_*, oauth.h).
 */
#ifndef H5PAY_LIM_H
#define H5PAY_LIM_H

/* --- requests we receive (req.c, web_notify.c) */
#define LIM_NOTIFY_BODY (16 * 1024)	/* a UseePay notification body */
#define LIM_NOTIFY_ROWS_PER_ORDER 200	/* notification rows kept per order */
#define LIM_RESP_BODY (8 * 1024 * 1024)	/* a response body we build */
#define LIM_COOKIE_HEADER 8192		/* the Cookie header */
#define LIM_QUERY 8192			/* a query string */
#define LIM_FORM_FIELDS 128		/* fields in one form (form.c) */

/* --- messages we build or check (useepay.c, sign.c, oauth.c) */
#define LIM_USEEPAY_REQUEST (16 * 1024)	/* a request body to UseePay */
#define LIM_CANON (2 * 1024 * 1024)	/* a canonical string to sign */
#define LIM_RSA_SIG 1024		/* a decoded RSA signature: 8192 bits */
#define LIM_OAUTH_URL 4096		/* a WeChat authorize / token URL */

/* --- files we read (cfg.c, keys.c) */
#define LIM_CFG_FILE (256 * 1024)	/* the config file */
#define LIM_SECRET 4096			/* a key or AppSecret file */

/* --- the CLI (cli_sign.c) */
#define LIM_CLI_BODY (1024 * 1024)	/* a message on standard input */
#define LIM_CLI_SECRET 4096		/* a key file */
#define LIM_CLI_CANON (2 * 1024 * 1024)	/* a canonical string shown */

/* --- the simulator (src/sim/) */
#define LIM_SIM_BODY (64 * 1024)	/* a request body */
#define LIM_SIM_SECRET 4096		/* a key file */
#define LIM_SIM_CFG (64 * 1024)		/* its config file */
#define LIM_NOTIFY_FORM (16 * 1024)	/* a notification it sends */
#define LIM_NOTIFY_ANSWER 4096		/* the answer to one it keeps */
#define LIM_EXCERPT 200			/* an answer excerpt it shows */
#define LIM_REDIRECT_URI 1024		/* an OAuth redirect_uri */

#endif
