/*
 * Has the client of a request hung up?  Asked before work that only the
 * client would wait for: a login's argon2id hash.
 *
 * lighttpd 1.4.69 does not always tell.  Measured here, with the login
 * process stopped while clients hung up: by default lighttpd kept the
 * FastCGI connection of a client gone 0.3 s before (ss: ESTABLISHED a
 * second later), and the login was hashed and answered to no one.  With
 * "tcp-fin-propagate" it shut its side down for 7 to 14 of 20 clients
 * gone after 50 ms (0 of 20 under strace): only for those whose request
 * it had not read at once on accepting them.  The others it never
 * watches again (strace: no epoll_ctl on their socket), so it sees
 * neither their FIN nor a RST; under load, when requests are waiting as
 * lighttpd accepts, that is most.  So the kernel is asked too: the
 * client's TCP connection to lighttpd (REMOTE_ADDR:REMOTE_PORT to
 * SERVER_ADDR:SERVER_PORT) is looked up with sock_diag, and anything but
 * ESTABLISHED (CLOSE_WAIT after a FIN, CLOSE after a RST) is a client
 * gone: 18 to 20 of the 20 then.  A client that shuts down its sending
 * side and waits for the answer is taken for gone too; HTTP clients do
 * not.  The lookup needs lighttpd on this host, in this network
 * namespace; where it is not (deploy/'s FastCGI over TCP), it finds
 * nothing, which says nothing, and only lighttpd's word counts.
 */
#define _GNU_SOURCE	/* POLLRDHUP */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"

/* The socket id of the connection from addr:port to here:here_port. */
static int
diag_id(struct inet_diag_req_v2 *r, const char *here, const char *here_port,
    const char *addr, const char *port)
{
	int family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	long lp = strtol(here_port, NULL, 10), rp = strtol(port, NULL, 10);

	if (lp <= 0 || lp > 65535 || rp <= 0 || rp > 65535 ||
	    inet_pton(family, here, r->id.idiag_src) != 1 ||
	    inet_pton(family, addr, r->id.idiag_dst) != 1)
		return -1;
	r->sdiag_family = (unsigned char)family;
	r->sdiag_protocol = IPPROTO_TCP;
	r->idiag_states = ~0U;
	r->id.idiag_sport = htons((unsigned short)lp);
	r->id.idiag_dport = htons((unsigned short)rp);
	r->id.idiag_cookie[0] = r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	return 0;
}

/* The connection's TCP state, or -1: not found here, or cannot ask. */
static int
tcp_state(const struct inet_diag_req_v2 *id)
{
	struct {
		struct nlmsghdr		nlh;
		struct inet_diag_req_v2	r;
	} q = { .nlh = { .nlmsg_len = sizeof(q),
	    .nlmsg_type = SOCK_DIAG_BY_FAMILY,
	    .nlmsg_flags = NLM_F_REQUEST }, .r = *id };
	union {
		struct nlmsghdr	nlh;
		char		buf[1024];
	} a;
	ssize_t n = -1;
	int fd;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	if (send(fd, &q, sizeof(q), 0) == (ssize_t)sizeof(q))
		n = recv(fd, a.buf, sizeof(a.buf), 0);
	close(fd);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct inet_diag_msg)) ||
	    a.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return -1;
	return ((struct inet_diag_msg *)NLMSG_DATA(&a.nlh))->idiag_state;
}

/* 1 when lighttpd has shut its side of our FastCGI connection. */
static int
backend_closed(const struct http_request *req)
{
	struct pollfd p = { .fd = req->fcgi->ipcFd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int
http_client_gone(const struct http_request *req)
{
	struct inet_diag_req_v2 id;
	char **env = req->fcgi->envp;
	const char *here = FCGX_GetParam("SERVER_ADDR", env),
	    *here_port = FCGX_GetParam("SERVER_PORT", env),
	    *port = FCGX_GetParam("REMOTE_PORT", env);
	int state;

	if (backend_closed(req))
		return 1;
	if (here == NULL || here_port == NULL || port == NULL ||
	    req->remote_addr[0] == '\0')
		return 0;
	memset(&id, 0, sizeof(id));
	if (diag_id(&id, here, here_port, req->remote_addr, port) == -1)
		return 0;
	state = tcp_state(&id);
	return state != -1 && state != TCP_ESTABLISHED;
}
