/*
 * REDIS_SOCKET: with it, a connection is made by the unix socket and
 * never by host and port (make run's Redis listens on no port); with
 * Sentinels it is not used; a path too long for a socket is refused.
 * Against a one-shot fake Redis in a child process.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "redis.h"

/*
 * Listens on path, then, in a child, answers +PONG to the first command
 * of the first connection.  The child's pid, or -1.  alarm(): never
 * left behind, whatever the test does.
 */
static pid_t
fake_redis(const char *path)
{
	struct sockaddr_un sa;
	char buf[256];
	pid_t pid;
	int fd, c;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 4) == -1 || (pid = fork()) == -1) {
		close(fd);
		return -1;
	}
	if (pid != 0) {
		close(fd);
		return pid;
	}
	alarm(5);
	if ((c = accept(fd, NULL, NULL)) != -1 &&
	    read(c, buf, sizeof(buf)) > 0 && write(c, "+PONG\r\n", 7) == 7)
		_exit(0);
	_exit(1);
}

static int
answers_pong(struct redis_conn *rc)
{
	redisReply *r = redis_conn_command(rc, "PING");
	int ok = r != NULL && r->type == REDIS_REPLY_STATUS &&
	    strcmp(r->str, "PONG") == 0;

	freeReplyObject(r);
	return ok;
}

static void
test_connect(const char *path)
{
	struct sentinels s;
	struct redis_conn rc;
	pid_t pid;

	pid = fake_redis(path);
	CHECK("a fake Redis listens on a unix socket", pid > 0);
	/* Nothing listens on port 1: an answer can only come by the socket. */
	redis_conn_init(&rc, "127.0.0.1", 1, 1000);
	rc.socket = path;
	CHECK("with REDIS_SOCKET, the connection is made by the socket, "
	    "not by host and port", pid > 0 && answers_pong(&rc));
	CHECK("the logs name the socket",
	    strcmp(redis_conn_where(&rc), path) == 0);
	redis_conn_close(&rc);
	/* The fake answered once and has gone: listen again for the next. */
	if (pid > 0)
		waitpid(pid, NULL, 0);
	unlink(path);
	pid = fake_redis(path);
	memset(&s, 0, sizeof(s));
	s.n = 1;
	snprintf(s.at[0].host, sizeof(s.at[0].host), "127.0.0.1");
	s.at[0].port = 1;
	snprintf(s.master, sizeof(s.master), "m");
	redis_conn_sentinels(&rc, &s);
	CHECK("with Sentinels, the socket is not used: they name host:port",
	    pid > 0 && !answers_pong(&rc) &&
	    strcmp(redis_conn_where(&rc), "127.0.0.1:1") == 0);
	redis_conn_close(&rc);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	unlink(path);
}

static void
test_config(void)
{
	char longpath[200];
	struct config cfg;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	unsetenv("REDIS_SOCKET");
	CHECK("REDIS_SOCKET is unset by default: TCP",
	    config_load(&cfg) == 0 && cfg.redis_socket == NULL);
	setenv("REDIS_SOCKET", "/run/microsvc/redis.sock", 1);
	CHECK("REDIS_SOCKET is read", config_load(&cfg) == 0 &&
	    strcmp(cfg.redis_socket, "/run/microsvc/redis.sock") == 0);
	setenv("REDIS_SOCKET", longpath, 1);
	CHECK("a REDIS_SOCKET too long for a unix socket is refused",
	    config_load(&cfg) == -1);
	unsetenv("REDIS_SOCKET");
}

void
test_redis_socket(void)
{
	char dir[] = "/tmp/unit-redis.XXXXXX", path[64];

	test_config();
	if (mkdtemp(dir) == NULL) {
		CHECK("a temporary folder for the socket", 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/redis.sock", dir);
	test_connect(path);
	rmdir(dir);
}
