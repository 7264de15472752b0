/*
 * The key a client's address is counted under (the login throttle):
 * one client, one key, however it spells its address.
 */
#ifndef ADDR_KEY_H
#define ADDR_KEY_H

#include <netinet/in.h>

#define ADDR_KEY_MAX	INET6_ADDRSTRLEN

/*
 * An IPv4 address as it is; an IPv4-mapped IPv6 one (::ffff:a.b.c.d) as
 * that IPv4 address; any other IPv6 one by its /64, its first four
 * groups, written as the address with the rest zero ("2001:db8:1:2::"):
 * a single host is handed a whole /64, and would otherwise have 2^64
 * addresses to spread its guesses over.  Anything else (empty, not an
 * address) is "0.0.0.0", all such clients together.  Returns out.
 */
const char	*addr_key(const char *addr, char out[ADDR_KEY_MAX]);

#endif
