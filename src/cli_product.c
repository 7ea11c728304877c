/*
 * cli_product.c - h5pay product add|list|disable|enable: the catalog
 * from the command line (the demo seeds it this way; the admin UI may
 * later do the same through store_catalog.c).
 *
 *   h5pay product add -c FILE --sku S --name N --price MINOR
 *       [--currency C] [--description D] [--image /shop/img/x.svg]
 *       [--inactive]          insert, or replace the product with that sku
 *   h5pay product list -c FILE [--all]     sku, state, price, name (TSV)
 *   h5pay product disable|enable -c FILE --sku S
 *
 * Prices are integers in minor units (HKD 12.50 -> 1250), never decimals.
 * The currency defaults to useepay_currency. Exit 0 done, 1 failure,
 * 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "cli.h"
#include "store.h"
#include "store_catalog.h"
#include "util.h"

static int
cli_product_usage(void)
{
	fprintf(stderr,
	    "usage: h5pay product add -c FILE --sku S --name N --price MINOR\n"
	    "           [--currency C] [--description D] [--image PATH] "
	    "[--inactive]\n"
	    "       h5pay product list -c FILE [--all]\n"
	    "       h5pay product disable|enable -c FILE --sku S\n"
	    "Prices are integers in minor units (HKD 12.50 is 1250).\n");
	return 2;
}

static int
cli_product_print(void *ctx, const struct product *p)
{
	(void)ctx;
	printf("%s\t%s\t%lld\t%s\t%s\n", p->sku, p->active ? "active" :
	    "disabled", (long long)p->price, p->currency, p->name);
	return 0;
}

/* Copy an option value, refusing one that does not fit. */
static int
opt_copy(char *dst, size_t n, const char *v, const char *name)
{
	if (strlen(v) >= n) {
		fprintf(stderr, "h5pay product: %s: at most %zu bytes\n", name,
		    n - 1);
		return -1;
	}
	str_lcpy(dst, v, n);
	return 0;
}

int
cli_product(int argc, char **argv)
{
	struct store_opts so;
	struct store *s = NULL;
	struct product p;
	struct cfg c;
	struct err err;
	const char *cmd, *sku = NULL;
	bool all = false, have_price = false;
	int i, applied, rc = 1;

	if (argc < 2)
		return cli_product_usage();
	cmd = argv[1];
	if (strcmp(cmd, "add") != 0 && strcmp(cmd, "list") != 0 &&
	    strcmp(cmd, "disable") != 0 && strcmp(cmd, "enable") != 0)
		return cli_product_usage();
	if (cli_load_cfg(argc - 1, argv + 1, &c, &i) == -1)
		return 1;
	i++;			/* index in argv, past "product CMD -c F" */
	memset(&p, 0, sizeof(p));
	p.active = true;
	str_lcpy(p.currency, c.useepay_currency, sizeof(p.currency));
	for (; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--all") == 0) {
			all = true;
			continue;
		}
		if (strcmp(o, "--inactive") == 0) {
			p.active = false;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(o, "--sku") == 0) {
			sku = v;
			if (opt_copy(p.sku, sizeof(p.sku), v, o) == -1)
				goto out;
		} else if (strcmp(o, "--name") == 0) {
			if (opt_copy(p.name, sizeof(p.name), v, o) == -1)
				goto out;
		} else if (strcmp(o, "--description") == 0) {
			if (opt_copy(p.description, sizeof(p.description), v,
			    o) == -1)
				goto out;
		} else if (strcmp(o, "--image") == 0) {
			if (opt_copy(p.image, sizeof(p.image), v, o) == -1)
				goto out;
		} else if (strcmp(o, "--currency") == 0) {
			if (opt_copy(p.currency, sizeof(p.currency), v,
			    o) == -1)
				goto out;
		} else if (strcmp(o, "--price") == 0) {
			if (parse_i64z(v, 1, PRODUCT_PRICE_MAX,
			    &p.price) == -1) {
				fprintf(stderr, "h5pay product: --price: an "
				    "integer number of minor units, 1..%lld\n",
				    PRODUCT_PRICE_MAX);
				goto out;
			}
			have_price = true;
		} else
			goto usage;
	}
	if (strcmp(cmd, "add") == 0 && (sku == NULL || !have_price ||
	    p.name[0] == '\0'))
		goto usage;
	if ((strcmp(cmd, "disable") == 0 || strcmp(cmd, "enable") == 0) &&
	    sku == NULL)
		goto usage;

	so.synchronous = c.db_synchronous;
	so.busy_timeout_ms = (int)c.db_busy_timeout_ms;
	so.readonly = false;
	err_clear(&err);
	if (store_open_cfg(&s, &c, &so, &err) == -1 ||
	    store_migrate(s, &applied, &err) == -1)
		goto fail;
	if (strcmp(cmd, "list") == 0) {
		if (store_product_each(s, !all, cli_product_print, NULL,
		    &err) == -1)
			goto fail;
	} else if (strcmp(cmd, "add") == 0) {
		if (store_product_put(s, &p, now_s(), &err) == -1)
			goto fail;
		printf("%s\t%s\t%lld\t%s\t%s\n", p.sku, p.active ? "active" :
		    "disabled", (long long)p.price, p.currency, p.name);
	} else {
		if (store_product_set_active(s, sku, strcmp(cmd, "enable") ==
		    0, now_s(), &err) == -1)
			goto fail;
	}
	rc = 0;
	goto out;
usage:
	rc = cli_product_usage();
	goto out;
fail:
	fprintf(stderr, "h5pay product %s: %s\n", cmd, err.msg);
out:
	store_close(s);
	cfg_cleanup(&c);
	return rc;
}
