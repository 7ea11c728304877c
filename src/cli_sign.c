/*
 * cli_sign.c - h5pay sign / h5pay verify: the UseePay signature
 * (docs/protocol.md §3) of a form body read on stdin, for operators checking
 * a message by hand.
 *
 *   h5pay sign   --type MD5 --md5-key-file F     < body
 *   h5pay sign   --type RSA --private-key PEM    < body
 *   h5pay verify --type MD5 --md5-key-file F     < body
 *   h5pay verify --type RSA --public-key PEM     < body
 *
 * sign prints two lines: the canonical string (MD5: "&pkey=***", never the
 * key) and the signature. verify prints "valid" (exit 0), or "invalid" and
 * the canonical string (exit 1); unusable input (bad arguments, bad form,
 * unreadable key, duplicate fields, missing or disagreeing signType for
 * sign) exits 2 with the reason on stderr.
 *
 * What it does not do: any signing itself (sign.c) or any network I/O.
 * Invariants: stdin is capped at LIM_CLI_BODY; the MD5 key is read with
 * cfg_read_secret() (mode 0600 or stricter) and freed with secret_free();
 * the key never reaches stdout or stderr. Bytes below 0x20 and 0x7f in the
 * printed canonical string are shown as \xNN so a hostile body cannot
 * split the output lines or drive the terminal; the signature is computed
 * over the raw bytes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "form.h"
#include "lim.h"
#include "sign.h"
#include "util.h"

enum { EXIT_VALID = 0, EXIT_INVALID = 1, EXIT_UNUSABLE = 2 };

struct cli_sign_opts {
	int type;			/* SIGN_MD5, SIGN_RSA or -1 */
	const char *md5_key_file;
	const char *private_key;
	const char *public_key;
};

static int
cli_sign_usage(const char *cmd)
{
	if (strcmp(cmd, "sign") == 0)
		fprintf(stderr, "usage: h5pay sign --type MD5 --md5-key-file F "
		    "< body\n       h5pay sign --type RSA --private-key PEM "
		    "< body\n");
	else
		fprintf(stderr, "usage: h5pay verify --type MD5 --md5-key-file "
		    "F < body\n       h5pay verify --type RSA --public-key "
		    "PEM < body\n");
	return EXIT_UNUSABLE;
}

/* Parse argv into *o; `verify` picks which RSA key is wanted. Prints the
 * problem and returns -1 on bad arguments. */
static int
cli_sign_opts_parse(int argc, char **argv, bool verify,
    struct cli_sign_opts *o)
{
	const char *cmd = argv[0];
	int i;

	o->type = -1;
	o->md5_key_file = o->private_key = o->public_key = NULL;
	for (i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (i + 1 >= argc)
			goto bad;
		if (strcmp(argv[i], "--type") == 0) {
			if (o->type != -1)
				goto bad;
			if (strcmp(argv[i + 1], "MD5") == 0)
				o->type = SIGN_MD5;
			else if (strcmp(argv[i + 1], "RSA") == 0)
				o->type = SIGN_RSA;
			else
				goto bad;
			i++;
			continue;
		}
		if (strcmp(argv[i], "--md5-key-file") == 0)
			slot = &o->md5_key_file;
		else if (strcmp(argv[i], "--private-key") == 0 && !verify)
			slot = &o->private_key;
		else if (strcmp(argv[i], "--public-key") == 0 && verify)
			slot = &o->public_key;
		if (slot == NULL || *slot != NULL)
			goto bad;
		*slot = argv[++i];
	}
	if (o->type == SIGN_MD5 && o->md5_key_file != NULL &&
	    o->private_key == NULL && o->public_key == NULL)
		return 0;
	if (o->type == SIGN_RSA && o->md5_key_file == NULL &&
	    (verify ? o->public_key != NULL : o->private_key != NULL))
		return 0;
bad:
	fprintf(stderr, "h5pay %s: bad arguments\n", cmd);
	cli_sign_usage(cmd);
	return -1;
}

/* Read all of stdin (at most LIM_CLI_BODY bytes) and decode it as a form.
 * One trailing "\n" or "\r\n" (from echo or a text file) is dropped. */
static int
cli_sign_body_read(struct kvlist *l, struct err *err)
{
	struct buf b;
	char tmp[8192];
	size_t n;
	int rc = -1;

	buf_init(&b, LIM_CLI_BODY);
	while ((n = fread(tmp, 1, sizeof(tmp), stdin)) > 0) {
		if (buf_add(&b, tmp, n) == -1) {
			err_set(err, E_TOOBIG, "body over %d bytes",
			    LIM_CLI_BODY);
			goto out;
		}
	}
	if (ferror(stdin)) {
		err_set(err, E_INPUT, "cannot read stdin");
		goto out;
	}
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.len--;
	if (b.len > 0 && b.data[b.len - 1] == '\r')
		b.len--;
	if (form_decode(buf_str(&b), b.len, l, err) == -1)
		goto out;
	rc = 0;
out:
	buf_cleanup(&b);
	return rc;
}

/* Write p[0..n) and a newline, control bytes as \xNN (see the top). */
static void
cli_sign_print_line(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('\n');
}

struct cli_sign_keys {
	char *md5_key;		/* secret_free() */
	sign_key *priv, *pub;
};

static int
cli_sign_keys_load(const struct cli_sign_opts *o, struct cli_sign_keys *k,
    struct err *err)
{
	k->md5_key = NULL;
	k->priv = k->pub = NULL;
	if (o->md5_key_file != NULL) {
		k->md5_key = cfg_read_secret(o->md5_key_file, "--md5-key-file",
		    LIM_CLI_SECRET, err);
		return k->md5_key ? 0 : -1;
	}
	if (o->private_key != NULL) {
		k->priv = sign_key_load_private(o->private_key, err);
		return k->priv ? 0 : -1;
	}
	k->pub = sign_key_load_public(o->public_key, err);
	return k->pub ? 0 : -1;
}

static void
cli_sign_keys_cleanup(struct cli_sign_keys *k)
{
	secret_free(k->md5_key);
	sign_key_free(k->priv);
	sign_key_free(k->pub);
}

int
cli_sign(int argc, char **argv)
{
	struct cli_sign_opts o;
	struct cli_sign_keys k = {NULL, NULL, NULL};
	struct kvlist l;
	struct buf canon, sig;
	struct err err;
	const struct kv *st;
	const char *want;
	int rc = EXIT_UNUSABLE;

	kvlist_init(&l);
	buf_init(&canon, LIM_CLI_CANON);
	buf_init(&sig, 4096);
	if (cli_sign_opts_parse(argc, argv, false, &o) == -1)
		goto out;
	if (cli_sign_keys_load(&o, &k, &err) == -1 ||
	    cli_sign_body_read(&l, &err) == -1)
		goto fail;
	want = o.type == SIGN_MD5 ? "MD5" : "RSA";
	if (kvlist_count(&l, "signType") > 1) {
		err_set(&err, E_INPUT, "duplicate field signType");
		goto fail;
	}
	/* The signType is part of what is signed: a body that names
	 * another method (or none) would get a signature nobody checks. */
	st = kvlist_find(&l, "signType");
	if (st == NULL || st->vlen != strlen(want) ||
	    memcmp(st->val, want, st->vlen) != 0) {
		err_set(&err, E_INPUT, "the body's signType must be %s", want);
		goto fail;
	}
	if (sign_canonical(&l, o.type == SIGN_MD5 ? "***" : NULL, &canon,
		&err) == -1)
		goto fail;
	if ((o.type == SIGN_MD5 ? sign_md5(&l, k.md5_key, &sig, &err) :
		sign_rsa(&l, k.priv, &sig, &err)) == -1) {
		rc = err.code == E_INPUT || err.code == E_TOOBIG ?
		    EXIT_UNUSABLE : 1;
		goto fail;
	}
	cli_sign_print_line(canon.data ? canon.data : "", canon.len);
	cli_sign_print_line(buf_str(&sig), sig.len);
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "h5pay sign: %s\n", err.msg);
out:
	cli_sign_keys_cleanup(&k);
	kvlist_cleanup(&l);
	buf_cleanup(&canon);
	buf_cleanup(&sig);
	return rc;
}

int
cli_verify(int argc, char **argv)
{
	struct cli_sign_opts o;
	struct cli_sign_keys k = {NULL, NULL, NULL};
	struct kvlist l;
	struct buf canon;
	struct err err;
	int rc = EXIT_UNUSABLE, v;

	kvlist_init(&l);
	buf_init(&canon, LIM_CLI_CANON);
	if (cli_sign_opts_parse(argc, argv, true, &o) == -1)
		goto out;
	if (cli_sign_keys_load(&o, &k, &err) == -1 ||
	    cli_sign_body_read(&l, &err) == -1 ||
	    sign_canonical(&l, o.type == SIGN_MD5 ? "***" : NULL, &canon,
		&err) == -1)
		goto fail;
	err_clear(&err);
	v = o.type == SIGN_MD5 ? sign_verify_md5(&l, k.md5_key, &err) :
	    sign_verify_rsa(&l, k.pub, &err);
	if (v == 0) {
		printf("valid\n");
		rc = EXIT_VALID;
	} else if (err.code == E_SIG) {
		printf("invalid\n");
		cli_sign_print_line(canon.data ? canon.data : "", canon.len);
		fprintf(stderr, "h5pay verify: %s\n", err.msg);
		rc = EXIT_INVALID;
	} else {
		goto fail;
	}
	if (fflush(stdout) != 0)
		rc = EXIT_UNUSABLE;
	goto out;
fail:
	fprintf(stderr, "h5pay verify: %s\n", err.msg);
out:
	cli_sign_keys_cleanup(&k);
	kvlist_cleanup(&l);
	buf_cleanup(&canon);
	return rc;
}
