#include <string.h>

#include "addr_key.h"
#include "check.h"

/* 1 when addr is counted under want. */
static int
keyed_as(const char *addr, const char *want)
{
	char out[ADDR_KEY_MAX];

	return strcmp(addr_key(addr, out), want) == 0;
}

void
test_addr_key(void)
{
	CHECK("an IPv4 address is its own key",
	    keyed_as("127.0.5.1", "127.0.5.1"));
	CHECK("two IPv4 addresses next to each other are two keys",
	    !keyed_as("203.0.113.7", "203.0.113.8") &&
	    keyed_as("203.0.113.8", "203.0.113.8"));
	CHECK("an IPv6 address is counted by its /64",
	    keyed_as("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"));
	CHECK("two addresses of one /64 share a key",
	    keyed_as("2001:db8:1:2::1", "2001:db8:1:2::") &&
	    keyed_as("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::"));
	CHECK("the next /64 is another key",
	    keyed_as("2001:db8:1:3::1", "2001:db8:1:3::"));
	CHECK("a /64 spelt long or in capitals is the same key",
	    keyed_as("2001:0DB8:0001:0002:0:0:0:9", "2001:db8:1:2::"));
	CHECK("::1 is counted as ::/64",
	    keyed_as("::1", "::"));
	CHECK("an IPv4-mapped IPv6 address is counted as its IPv4 address",
	    keyed_as("::ffff:192.0.2.1", "192.0.2.1"));
	CHECK("an empty address is 0.0.0.0", keyed_as("", "0.0.0.0"));
	CHECK("a NULL address is 0.0.0.0", keyed_as(NULL, "0.0.0.0"));
	CHECK("a name, not an address, is 0.0.0.0",
	    keyed_as("localhost", "0.0.0.0"));
	CHECK("an IPv6 address with a zone is 0.0.0.0",
	    keyed_as("fe80::1%eth0", "0.0.0.0"));
	CHECK("an IPv4 address with a port is 0.0.0.0",
	    keyed_as("127.0.0.1:80", "0.0.0.0"));
	CHECK("the longest IPv6 text fits",
	    keyed_as("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	    "ffff:ffff:ffff:ffff::"));
}
