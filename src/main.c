/*
 * main.c - h5payd: start-up, config, listeners, worker pools, signals.
 * Nothing else.
 *
 * The supervisor binds (or inherits from systemd) two unix sockets, runs
 * the migrations, then forks the web and the notify pools, and (when
 * reconcile_interval_sec > 0) one tasks child running the reconciler
 * (reconcile.c), and (when events_endpoint_url is set) one events child
 * sending merchant events (outbox_send.c), restarted like the workers.
 * It never opens
 * a database connection that a child could inherit, never serves a request
 * and never talks to the network. Signals arrive through a signalfd:
 *   SIGTERM/SIGINT  shut down: unlink the sockets, then workers serve
 *                   everything already accepted or queued, then exit
 *   SIGHUP          reload: re-read the config, start a new generation of
 *                   workers, and drain the old one once the new is ready
 *   SIGCHLD         a worker of the current generation that dies is
 *                   replaced (with a back-off when it keeps dying)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "httpc.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "outbox_send.h"
#include "reconcile.h"
#include "route.h"
#include "serve.h"
#include "store.h"
#include "store_backup.h"
#include "tz.h"
#include "util.h"

#define MAX_CHILDREN 512
#define READY_TIMEOUT_MS 15000

struct child {
	pid_t pid;
	enum pool pool;
	int gen;
	int ready_fd;		/* read end of the child's ready pipe */
	int64_t started;
};

static struct {
	const char *cfg_path;
	struct cfg cfg;
	struct keys *keys;
	int fd[2];		/* [0] web, [1] notify */
	bool bound[2];		/* we created the socket file (unlink it) */
	int gen;
	struct child kids[MAX_CHILDREN];
	int nkids;
	int64_t respawn_at[4];	/* by pool_index() */
	int fast_deaths[4];
	sigset_t oldmask;
	int sigfd;
} sup;

static void
usage(void)
{
	fprintf(stderr, "usage: h5payd [-t] -c FILE\n"
	    "  -c FILE  configuration file\n"
	    "  -t       check the configuration and keys, then exit\n");
	exit(2);
}

static const char *
pool_name(enum pool p)
{
	return p == POOL_NOTIFY ? "notify" : p == POOL_TASKS ? "tasks" :
	    p == POOL_EVENTS ? "events" : "web";
}

/* Index into the per-pool arrays: web 0, notify 1, tasks 2, events 3. */
static int
pool_index(enum pool p)
{
	return p == POOL_NOTIFY ? 1 : p == POOL_TASKS ? 2 :
	    p == POOL_EVENTS ? 3 : 0;
}

/* Load config + keys; on error print it and return -1. */
static int
load_config(struct cfg *c, struct keys **k)
{
	struct err err;
	enum log_level lvl;

	err_clear(&err);
	if (cfg_load(c, sup.cfg_path, &err) == -1) {
		fprintf(stderr, "h5payd: %s\n", err.msg);
		return -1;
	}
	if (keys_load(k, c, &err) == -1) {
		fprintf(stderr, "h5payd: %s\n", err.msg);
		cfg_cleanup(c);
		return -1;
	}
	/* the supervisor is single-threaded here; workers inherit the zone */
	if (tz_use(c->merchant_timezone, &err) == -1) {
		fprintf(stderr, "h5payd: %s\n", err.msg);
		keys_free(*k);
		*k = NULL;
		cfg_cleanup(c);
		return -1;
	}
	if (log_level_parse(c->log_level, &lvl) == 0)
		log_set_level(lvl);
	return 0;
}

/* systemd socket activation: LISTEN_FDS sockets named "web" / "notify". */
static int
inherit_sockets(void)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	int64_t p, n, i;
	char *copy, *tok, *save = NULL;

	if (!pid || !nfds || parse_i64z(pid, 1, INT32_MAX, &p) == -1 ||
	    p != getpid() || parse_i64z(nfds, 1, 16, &n) == -1)
		return 0;
	if (names == NULL) {
		log_error("main", "listen_fds", "msg=\"LISTEN_FDNAMES must name "
		    "the sockets web and notify\"");
		return -1;
	}
	copy = xstrdup(names);
	for (i = 0, tok = strtok_r(copy, ":", &save); tok && i < n;
	    i++, tok = strtok_r(NULL, ":", &save)) {
		int fd = 3 + (int)i;

		if (strcmp(tok, "web") == 0)
			sup.fd[0] = fd;
		else if (strcmp(tok, "notify") == 0)
			sup.fd[1] = fd;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	free(copy);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (sup.fd[0] == -1 || sup.fd[1] == -1) {
		log_error("main", "listen_fds", "msg=\"need sockets named web "
		    "and notify\"");
		return -1;
	}
	log_info("main", "listen", "from=systemd web=%d notify=%d", sup.fd[0],
	    sup.fd[1]);
	return 1;
}

static int
bind_unix(const char *path, int mode)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("main", "bind", "path=%s msg=\"path too long\"", path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	str_lcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	unlink(path);	/* a stale socket from a killed run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    chmod(path, (mode_t)mode) == -1 || listen(fd, 1024) == -1) {
		log_error("main", "bind", "path=%s errno=%d msg=\"%s\"", path,
		    errno, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
open_sockets(void)
{
	int i, rc;

	sup.fd[0] = sup.fd[1] = -1;
	if ((rc = inherit_sockets()) == -1)
		return -1;
	if (rc == 0) {
		sup.fd[0] = bind_unix(sup.cfg.listen_web,
		    (int)sup.cfg.socket_mode);
		sup.fd[1] = bind_unix(sup.cfg.listen_notify,
		    (int)sup.cfg.socket_mode);
		if (sup.fd[0] == -1 || sup.fd[1] == -1)
			return -1;
		sup.bound[0] = sup.bound[1] = true;
	}
	for (i = 0; i < 2; i++)
		if (fcntl(sup.fd[i], F_SETFL, fcntl(sup.fd[i], F_GETFL) |
		    O_NONBLOCK) == -1)
			return -1;
	return 0;
}

static int
migrate(void)
{
	struct store_opts so = {
		.synchronous = sup.cfg.db_synchronous,
		.busy_timeout_ms = (int)sup.cfg.db_busy_timeout_ms,
	};
	struct store *s;
	struct err err;
	int applied = 0, rc;

	if (store_open_cfg(&s, &sup.cfg, &so, &err) == -1) {
		log_error("main", "db_open", "msg=\"%s\"", err.msg);
		return -1;
	}
	rc = store_migrate(s, &applied, &err);
	if (rc == -1)
		log_error("main", "migrate", "msg=\"%s\"", err.msg);
	store_close(s);	/* closed before any fork */
	return rc;
}

static int
inuse_lock(void)
{
	struct err err;
	int fd;

	if (store_inuse_lock(sup.cfg.db_path, false, &fd, &err) == -1) {
		log_error("main", "db_inuse", "msg=\"%s\"", err.msg);
		return -1;
	}
	return 0;	/* fd stays open for the life of the process */
}

static struct child *
spawn(enum pool pool)
{
	struct serve_opts o;
	struct child *k;
	int rp[2];
	pid_t pid;

	if (sup.nkids == MAX_CHILDREN)
		return NULL;
	if (pipe2(rp, O_CLOEXEC) == -1)
		return NULL;
	pid = fork();
	if (pid == -1) {
		close(rp[0]);
		close(rp[1]);
		log_error("main", "fork", "errno=%d", errno);
		return NULL;
	}
	if (pid == 0) {
		int idx = pool == POOL_NOTIFY ? 1 : 0;

		close(rp[0]);
		close(sup.sigfd);
		if (pool == POOL_TASKS || pool == POOL_EVENTS) {
			/* the reconciler and the event sender serve no
			 * socket */
			close(sup.fd[0]);
			close(sup.fd[1]);
			sigprocmask(SIG_SETMASK, &sup.oldmask, NULL);
			signal(SIGCHLD, SIG_DFL);
			_exit(pool == POOL_TASKS ?
			    reconcile_task_main(&sup.cfg, sup.keys, rp[1]) :
			    outbox_task_main(&sup.cfg, sup.keys, rp[1]));
		}
		close(sup.fd[1 - idx]);
		sigprocmask(SIG_SETMASK, &sup.oldmask, NULL);
		signal(SIGCHLD, SIG_DFL);
		memset(&o, 0, sizeof(o));
		o.cfg = &sup.cfg;
		o.keys = sup.keys;
		o.pool = pool;
		o.listen_fd = sup.fd[idx];
		o.threads = (int)(pool == POOL_NOTIFY ?
		    sup.cfg.notify_threads : sup.cfg.web_threads);
		o.ready_fd = rp[1];
		o.routes = route_table;
		o.nroutes = route_count;
		_exit(serve_worker(&o));
	}
	close(rp[1]);
	k = &sup.kids[sup.nkids++];
	k->pid = pid;
	k->pool = pool;
	k->gen = sup.gen;
	k->ready_fd = rp[0];
	k->started = mono_ms();
	log_info("main", "spawn", "pool=%s pid=%d gen=%d", pool_name(pool),
	    (int)pid, sup.gen);
	return k;
}

static int
pool_size(enum pool p)
{
	if (p == POOL_TASKS)
		return sup.cfg.reconcile_interval_sec > 0 ? 1 : 0;
	if (p == POOL_EVENTS)
		return sup.cfg.events_endpoint_url != NULL ? 1 : 0;
	return (int)(p == POOL_NOTIFY ? sup.cfg.notify_workers :
	    sup.cfg.web_workers);
}

static int
count_gen(enum pool p, int gen)
{
	int i, n = 0;

	for (i = 0; i < sup.nkids; i++)
		if (sup.kids[i].pool == p && sup.kids[i].gen == gen)
			n++;
	return n;
}

/* Start workers of the current generation until each pool is full. */
static void
fill_pools(void)
{
	enum pool pools[4] = {POOL_WEB, POOL_NOTIFY, POOL_TASKS, POOL_EVENTS};
	int i;

	for (i = 0; i < 4; i++) {
		if (mono_ms() < sup.respawn_at[pool_index(pools[i])])
			continue;
		while (count_gen(pools[i], sup.gen) < pool_size(pools[i]))
			if (spawn(pools[i]) == NULL)
				break;
	}
}

/* Wait until every child of generation gen reported ready; 0 or -1. */
static int
wait_ready(int gen)
{
	int64_t deadline = mono_ms() + READY_TIMEOUT_MS;
	int i;

	for (i = 0; i < sup.nkids; i++) {
		struct child *k = &sup.kids[i];
		struct pollfd p = {.fd = k->ready_fd, .events = POLLIN};
		char c;

		if (k->gen != gen || k->ready_fd == -1)
			continue;
		for (;;) {
			int64_t left = deadline - mono_ms();
			int rc;

			if (left <= 0)
				return -1;
			rc = poll(&p, 1, (int)left);
			if (rc == -1 && errno == EINTR)
				continue;
			if (rc != 1 || read(k->ready_fd, &c, 1) != 1)
				return -1;
			break;
		}
		close(k->ready_fd);
		k->ready_fd = -1;
	}
	return 0;
}

static void
signal_gen(int gen, bool older, int sig)
{
	int i;

	for (i = 0; i < sup.nkids; i++)
		if (older ? sup.kids[i].gen < gen : sup.kids[i].gen == gen)
			kill(sup.kids[i].pid, sig);
}

static void
reap(void)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < sup.nkids; i++)
			if (sup.kids[i].pid == pid)
				break;
		if (i == sup.nkids)
			continue;
		struct child k = sup.kids[i];

		if (k.ready_fd != -1)
			close(k.ready_fd);
		sup.kids[i] = sup.kids[--sup.nkids];
		if (k.gen != sup.gen) {
			log_info("main", "retired", "pool=%s pid=%d",
			    pool_name(k.pool), (int)pid);
			continue;
		}
		int idx = pool_index(k.pool);

		/* pool_index() is in enum metrics_pool's order */
		metrics_worker_restart((enum metrics_pool)idx);
		if (WIFSIGNALED(status))
			log_error("main", "worker_died", "pool=%s pid=%d "
			    "signal=%d", pool_name(k.pool), (int)pid,
			    WTERMSIG(status));
		else
			log_error("main", "worker_exit", "pool=%s pid=%d "
			    "status=%d", pool_name(k.pool), (int)pid,
			    WEXITSTATUS(status));
		/* a worker that dies right after start would spin: back off */
		if (mono_ms() - k.started < 1000) {
			int64_t d = 100LL << (sup.fast_deaths[idx] < 6 ?
			    sup.fast_deaths[idx] : 6);

			sup.fast_deaths[idx]++;
			sup.respawn_at[idx] = mono_ms() + d;
		} else {
			sup.fast_deaths[idx] = 0;
		}
	}
}

static void
reload(void)
{
	struct cfg nc;
	struct keys *nk = NULL;
	struct cfg oc = sup.cfg;
	struct keys *ok = sup.keys;

	log_info("main", "reload", "config=%s", sup.cfg_path);
	if (load_config(&nc, &nk) == -1) {
		log_error("main", "reload_fail", "msg=\"config invalid; "
		    "keeping the running workers\"");
		return;
	}
	if (strcmp(nc.listen_web, oc.listen_web) ||
	    strcmp(nc.listen_notify, oc.listen_notify))
		log_warn("main", "reload", "msg=\"listen_* changes need a "
		    "restart; sockets kept\"");
	sup.cfg = nc;
	sup.keys = nk;
	if (migrate() == -1)
		goto fail;
	sup.gen++;
	sup.respawn_at[0] = sup.respawn_at[1] = sup.respawn_at[2] = 0;
	fill_pools();
	if (wait_ready(sup.gen) == -1) {
		log_error("main", "reload_fail", "msg=\"new workers did not "
		    "start; keeping the old ones\"");
		signal_gen(sup.gen, false, SIGKILL);
		sup.gen--;
		goto fail;
	}
	signal_gen(sup.gen, true, SIGTERM);
	/* the old cfg/keys stay valid in the old children (copy-on-write);
	 * our copies are no longer needed */
	cfg_cleanup(&oc);
	keys_free(ok);
	log_info("main", "reloaded", "gen=%d", sup.gen);
	return;
fail:
	cfg_cleanup(&nc);
	keys_free(nk);
	sup.cfg = oc;
	sup.keys = ok;
}

/* Tell systemd (Type=notify) we are ready, without libsystemd. */
static void
sd_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	str_lcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path))) < 0)
		log_warn("main", "sd_notify", "errno=%d", errno);
	close(fd);
}

static int
shutdown_all(void)
{
	int64_t deadline = mono_ms() + (sup.cfg.drain_timeout_sec + 2) * 1000;
	int i;

	log_info("main", "shutdown", "workers=%d", sup.nkids);
	/* no new connections (nginx gets ENOENT), then drain the backlog */
	for (i = 0; i < 2; i++)
		if (sup.bound[i])
			unlink(i ? sup.cfg.listen_notify : sup.cfg.listen_web);
	for (i = 0; i < sup.nkids; i++)
		kill(sup.kids[i].pid, SIGUSR2);
	sup.gen = -1;	/* nothing is current: do not respawn */
	while (sup.nkids > 0 && mono_ms() < deadline) {
		struct pollfd p = {.fd = sup.sigfd, .events = POLLIN};
		struct signalfd_siginfo si;

		if (poll(&p, 1, 100) == 1 &&
		    read(sup.sigfd, &si, sizeof(si)) < 0)
			continue;
		reap();
	}
	for (i = 0; i < sup.nkids; i++) {
		log_warn("main", "kill", "pid=%d msg=\"drain timeout\"",
		    (int)sup.kids[i].pid);
		kill(sup.kids[i].pid, SIGKILL);
	}
	log_info("main", "stopped", "pid=%d", (int)getpid());
	return 0;
}

int
main(int argc, char **argv)
{
	bool test_only = false;
	sigset_t mask;
	int ch;

	while ((ch = getopt(argc, argv, "c:t")) != -1) {
		switch (ch) {
		case 'c':
			sup.cfg_path = optarg;
			break;
		case 't':
			test_only = true;
			break;
		default:
			usage();
		}
	}
	if (sup.cfg_path == NULL || optind != argc)
		usage();
	if (httpc_global_init() == -1) {	/* once, before any fork */
		fprintf(stderr, "h5payd: curl_global_init failed\n");
		return 1;
	}
	if (load_config(&sup.cfg, &sup.keys) == -1)
		return 1;
	if (test_only) {
		if (sup.keys->warn[0] != '\0')
			fprintf(stderr, "h5payd: warning: %s\n",
			    sup.keys->warn);
		printf("h5payd: configuration %s is valid\n", sup.cfg_path);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &sup.oldmask);
	if ((sup.sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) == -1)
		return 1;
	/* held (shared, inherited by the workers) until the last of us
	 * exits: `h5pay restore` refuses to replace the file under us */
	if (inuse_lock() == -1 || migrate() == -1 || open_sockets() == -1)
		return 1;
	/* shared by every child of every generation (GET /metrics) */
	if (metrics_init() == -1)
		log_warn("main", "metrics", "msg=\"no shared memory; metrics "
		    "off\"");

	fill_pools();
	if (wait_ready(sup.gen) == -1)
		log_error("main", "start", "msg=\"workers not ready in time\"");
	log_info("main", "started", "pid=%d web=%lldx%lld notify=%lldx%lld",
	    (int)getpid(), (long long)sup.cfg.web_workers,
	    (long long)sup.cfg.web_threads, (long long)sup.cfg.notify_workers,
	    (long long)sup.cfg.notify_threads);
	sd_notify_ready();

	for (;;) {
		struct pollfd p = {.fd = sup.sigfd, .events = POLLIN};
		struct signalfd_siginfo si;
		int rc;

		rc = poll(&p, 1, 200);
		if (rc == 1 && read(sup.sigfd, &si, sizeof(si)) ==
		    sizeof(si)) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				return shutdown_all();
			if (si.ssi_signo == SIGHUP)
				reload();
		}
		reap();
		fill_pools();
	}
}
