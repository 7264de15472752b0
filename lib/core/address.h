/*
 * A client's address as the bounds count it.  An IPv4 address is one
 * client; an IPv6 client is its /64, since one host is handed a whole
 * /64 (RFC 4291's interface identifiers: SLAAC, privacy addresses) and
 * could otherwise count as 2^64 clients.
 */
#ifndef ADDRESS_H
#define ADDRESS_H

#include <stddef.h>

/* "192.0.2.7", "2001:db8:1:2::/64"; an IPv4-mapped IPv6 address is its IPv4. */
#define ADDRESS_KEY_MAX	56	/* INET6_ADDRSTRLEN and "/64", with room */

/*
 * The key of addr (REMOTE_ADDR) into out: 0, or -1 when addr is no
 * address (out is then "unknown", so that all such clients share one).
 */
int	address_key(const char *addr, char out[ADDRESS_KEY_MAX]);

#endif
