/*
 * Freshness: how long after a 201 an invoice shows in GET /accounts.
 *
 *	freshness HOST CUSTOMERS_PORT ACCOUNTS_PORT POST_TOKEN GET_TOKEN
 *	    CUSTOMER_ID RATE SECONDS
 *
 * One thread posts invoices of 1 cent for CUSTOMER_ID at a steady RATE
 * per second, on a schedule that does not slip when an answer is late,
 * and notes when each 201 arrived.  The main thread polls GET /accounts
 * (GET_TOKEN must own only that customer's account) and reads the
 * account's total: a total of base + n means the first n invoices are
 * visible, so each of them is resolved at the time of that answer.
 *
 * Prints: sent=N rate=R p50_ms=A p99_ms=B max_ms=C unresolved=U
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define RESP_MAX	(64 * 1024)
#define POLL_GAP_NS	200000L		/* 0.2 ms between polls */
#define DRAIN_S		5.0		/* wait for the last ones at most */

struct conn {
	const char	*host;
	int		 port;
	int		 fd;
	char	buf[RESP_MAX + 1];
};

struct poster {
	const char	*host;
	int		 port;
	const char	*token;
	const char	*customer;
	int		 rate;
	long		 n;
	double		*answered;	/* time of each 201 */
	atomic_long	 posted;	/* how many 201s so far */
	int		 failed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
conn_open(struct conn *c, const char *host, int port)
{
	struct sockaddr_in sa;
	int one = 1;

	c->host = host;
	c->port = port;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(c->fd);
		return -1;
	}
	return 0;
}

/*
 * One keep-alive exchange, on a new connection if lighttpd closed the old
 * one (it does after server.max-keep-alive-requests).  lighttpd answers these with a Content-Length header, spelled so;
 * anything else is an error here.  Returns the status, the body in *body.
 */
static int
exchange(struct conn *c, const char *req, size_t len, const char **body)
{
	size_t have = 0, need = 0;
	ssize_t n;
	char *end, *cl;
	int status, retried = 0;

	if (write(c->fd, req, len) != (ssize_t)len)
		return -1;
	for (;;) {
		if (have == RESP_MAX)
			return -1;
		n = read(c->fd, c->buf + have, RESP_MAX - have);
		if (n == 0 && have == 0 && !retried) {
			close(c->fd);
			if (conn_open(c, c->host, c->port) == -1 ||
			    write(c->fd, req, len) != (ssize_t)len)
				return -1;
			retried = 1;
			continue;
		}
		if (n <= 0)
			return -1;
		have += (size_t)n;
		c->buf[have] = '\0';
		if (need == 0 && (end = strstr(c->buf, "\r\n\r\n")) != NULL) {
			if ((cl = strstr(c->buf, "\r\nContent-Length:")) ==
			    NULL || cl > end)
				return -1;
			need = (size_t)(end + 4 - c->buf) +
			    strtoul(cl + 17, NULL, 10);
		}
		if (need != 0 && have >= need)
			break;
	}
	if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	*body = strstr(c->buf, "\r\n\r\n") + 4;
	return status;
}

static void *
post_loop(void *arg)
{
	struct poster *p = arg;
	struct conn *c;
	struct timespec at;
	char req[1024], body[256];
	const char *answer;
	double start;
	long i;
	int blen, len;

	if ((c = malloc(sizeof(*c))) == NULL || conn_open(c, p->host,
	    p->port) == -1) {
		warnx("cannot connect to %s:%d", p->host, p->port);
		p->failed = 1;
		free(c);
		return NULL;
	}
	blen = snprintf(body, sizeof(body), "{\"customer_id\":\"%s\","
	    "\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}",
	    p->customer);
	len = snprintf(req, sizeof(req), "POST /invoices HTTP/1.1\r\n"
	    "Host: %s\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
	    p->host, p->token, blen, body);
	clock_gettime(CLOCK_MONOTONIC, &at);
	start = (double)at.tv_sec + (double)at.tv_nsec / 1e9;
	for (i = 0; i < p->n; i++) {
		double due = start + (double)i / p->rate;

		at.tv_sec = (time_t)due;
		at.tv_nsec = (long)((due - (double)at.tv_sec) * 1e9);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		if (exchange(c, req, (size_t)len, &answer) != 201) {
			warnx("invoice %ld: not created", i);
			p->failed = 1;
			break;
		}
		p->answered[i] = now_s();
		atomic_store(&p->posted, i + 1);
	}
	close(c->fd);
	free(c);
	return NULL;
}

/* The caller's first account's total, or -1. */
static long long
visible_total(struct conn *c, const char *req, size_t len)
{
	json_object *root, *acct, *total;
	const char *body;
	long long v = -1;

	if (exchange(c, req, len, &body) != 200 ||
	    (root = json_tokener_parse(body)) == NULL)
		return -1;
	if ((acct = json_object_array_get_idx(root, 0)) != NULL &&
	    json_object_object_get_ex(acct, "total_revenue_cents", &total))
		v = json_object_get_int64(total);
	json_object_put(root);
	return v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char *argv[])
{
	static struct poster p;
	struct conn *c = NULL;
	struct timespec gap = { 0, POLL_GAP_NS };
	pthread_t th;
	char req[1024];
	double *lat = NULL, t, deadline = 0;
	long long base, total;
	long resolved = 0, posted, seen;
	int len, status = EXIT_FAILURE;

	if (argc != 9)
		errx(EXIT_FAILURE, "usage: freshness HOST CUSTOMERS_PORT "
		    "ACCOUNTS_PORT POST_TOKEN GET_TOKEN CUSTOMER_ID RATE SECONDS");
	p.host = argv[1];
	p.port = atoi(argv[2]);
	p.token = argv[4];
	p.customer = argv[6];
	p.rate = atoi(argv[7]);
	p.n = (long)p.rate * atol(argv[8]);
	if (p.rate <= 0 || p.n <= 0)
		errx(EXIT_FAILURE, "RATE and SECONDS must be positive");
	if ((p.answered = calloc((size_t)p.n, sizeof(double))) == NULL ||
	    (lat = calloc((size_t)p.n, sizeof(double))) == NULL ||
	    (c = malloc(sizeof(*c))) == NULL)
		err(EXIT_FAILURE, "calloc");
	if (conn_open(c, argv[1], atoi(argv[3])) == -1)
		errx(EXIT_FAILURE, "cannot connect to %s:%s", argv[1], argv[3]);
	len = snprintf(req, sizeof(req), "GET /accounts HTTP/1.1\r\nHost: %s"
	    "\r\nAuthorization: Bearer %s\r\n\r\n", argv[1], argv[5]);
	if ((base = visible_total(c, req, (size_t)len)) == -1) {
		warnx("GET /accounts: no total");
		goto out;
	}
	if (pthread_create(&th, NULL, post_loop, &p) != 0)
		errx(EXIT_FAILURE, "pthread_create");
	while (resolved < p.n) {
		if ((total = visible_total(c, req, (size_t)len)) == -1) {
			warnx("GET /accounts: no total");
			break;
		}
		t = now_s();
		posted = atomic_load(&p.posted);
		/* Visible before its 201 was noted: resolved next poll. */
		seen = (long)(total - base) < posted ? (long)(total - base) :
		    posted;
		for (; resolved < seen; resolved++)
			lat[resolved] = t - p.answered[resolved];
		if (p.failed || posted == p.n) {
			if (deadline == 0)
				deadline = t + DRAIN_S;
			else if (t > deadline)
				break;
		}
		nanosleep(&gap, NULL);
	}
	pthread_join(th, NULL);
	if (resolved == 0 || p.failed)
		goto out;
	qsort(lat, (size_t)resolved, sizeof(double), cmp_double);
	printf("sent=%ld rate=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
	    "unresolved=%ld\n", (long)atomic_load(&p.posted), p.rate,
	    lat[resolved / 2] * 1e3, lat[resolved * 99 / 100] * 1e3,
	    lat[resolved - 1] * 1e3, p.n - resolved);
	status = resolved == p.n ? EXIT_SUCCESS : EXIT_FAILURE;
out:
	close(c->fd);
	free(c);
	free(lat);
	free(p.answered);
	return status;
}
