#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "addr_key.h"

const char *
addr_key(const char *addr, char out[ADDR_KEY_MAX])
{
	struct in6_addr a6;
	struct in_addr a4;

	if (addr != NULL && inet_pton(AF_INET, addr, &a4) == 1 &&
	    inet_ntop(AF_INET, &a4, out, ADDR_KEY_MAX) != NULL)
		return out;
	if (addr != NULL && inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6) &&
		    inet_ntop(AF_INET, &a6.s6_addr[12], out,
		    ADDR_KEY_MAX) != NULL)
			return out;
		memset(&a6.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a6, out, ADDR_KEY_MAX) != NULL)
			return out;
	}
	snprintf(out, ADDR_KEY_MAX, "0.0.0.0");
	return out;
}
