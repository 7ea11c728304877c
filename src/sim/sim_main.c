/*
 * sim_main.c - h5pay-sim: the local simulator of UseePay + WeChat.
 *	h5pay-sim -c FILE	serve (until SIGTERM / SIGINT)
 *	h5pay-sim -t -c FILE	check the configuration and keys, exit
 *	h5pay-sim --config-keys	print the configuration reference
 * Start-up only: config, keys, database, the socket. See docs/simulator.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpc.h"
#include "log.h"
#include "sim.h"
#include "store.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr, "usage: h5pay-sim [-t] -c FILE | --config-keys\n");
}

static int
bind_unix(const char *path, int mode)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("sim", "bind", "path=%s msg=\"path too long\"", path);
		return -1;
	}
	str_lcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	unlink(path);	/* a stale socket from a killed run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    chmod(path, (mode_t)mode) == -1 || listen(fd, 1024) == -1) {
		log_error("sim", "bind", "path=%s msg=\"cannot listen\"", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
migrate(const struct sim *sim, struct err *err)
{
	struct store_opts so = {"NORMAL", 5000, false};
	struct store *s;
	int rc;

	if (store_open(&s, sim->cfg.db_path, &so, err) == -1)
		return -1;
	rc = sim_store_migrate(s, err);
	store_close(s);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"config-keys", no_argument, NULL, 'K'},
		{NULL, 0, NULL, 0},
	};
	static struct sim sim;
	const char *path = NULL;
	enum log_level lvl;
	struct err err;
	bool check = false;
	int ch, fd, rc = 1;

	while ((ch = getopt_long(argc, argv, "c:t", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 't': check = true; break;
		case 'K': sim_cfg_print_reference(); return 0;
		default: usage(); return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage();
		return 2;
	}
	if (httpc_global_init() == -1)
		return 1;
	if (sim_cfg_load(&sim.cfg, path, &err) == -1) {
		fprintf(stderr, "h5pay-sim: %s\n", err.msg);
		return 1;
	}
	if (log_level_parse(sim.cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	if (sim_init(&sim, &err) == -1) {
		fprintf(stderr, "h5pay-sim: %s\n", err.msg);
		goto out;
	}
	if (check) {
		printf("configuration is valid\n");
		rc = 0;
		goto out;
	}
	if (migrate(&sim, &err) == -1) {
		fprintf(stderr, "h5pay-sim: %s\n", err.msg);
		goto out;
	}
	if ((fd = bind_unix(sim.cfg.listen, (int)sim.cfg.socket_mode)) == -1)
		goto out;
	rc = sim_serve(&sim, fd);
	close(fd);
	unlink(sim.cfg.listen);
out:
	sim_cleanup(&sim);
	sim_cfg_cleanup(&sim.cfg);
	return rc;
}
