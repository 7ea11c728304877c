/*
 * anomaly.c - the anomaly inbox (anomaly.h): checks the inputs, runs the
 * resolve in its own transaction. What it does not do: SQL
 * (store_anomaly.c), record anomalies (order.c), audit (the handler).
 */
#include <string.h>

#include "anomaly.h"
#include "store.h"
#include "store_anomaly.h"

int
anomaly_list(struct store *st, const char *state, int64_t before_id,
    int64_t limit, struct json_object **out, struct err *err)
{
	bool resolved;

	*out = NULL;
	if (state == NULL || strcmp(state, "open") == 0)
		resolved = false;
	else if (strcmp(state, "resolved") == 0)
		resolved = true;
	else
		return err_set(err, E_INPUT, "state: open or resolved");
	if (limit < 1 || limit > 500)
		return err_set(err, E_INPUT, "limit: 1..500");
	return store_anomaly_list(st, resolved, before_id, (int)limit, out,
	    err);
}

int
anomaly_count_open(struct store *st, int64_t *n, struct err *err)
{
	return store_anomaly_count_open(st, n, err);
}

int
anomaly_resolve(struct store *st, int64_t now, int64_t id, const char *by,
    const char *note, struct err *err)
{
	size_t i, n = note ? strlen(note) : 0;

	if (n == 0 || n > ANOMALY_NOTE_MAX)
		return err_set(err, E_INPUT, "note: 1..%d bytes",
		    ANOMALY_NOTE_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)note[i] < 0x20 || note[i] == 0x7f)
			return err_set(err, E_INPUT, "note: no control "
			    "characters");
	if (id <= 0)
		return err_set(err, E_NOTFOUND, "no such anomaly");
	if (store_begin(st, err) == -1)
		return -1;
	if (store_anomaly_resolve(st, id, by, note, now, err) == -1 ||
	    store_commit(st, err) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}
