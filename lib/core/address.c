#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "address.h"

int
address_key(const char *addr, char out[ADDRESS_KEY_MAX])
{
	struct in6_addr a6;
	struct in_addr a4;
	char s[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, ADDRESS_KEY_MAX) != NULL ?
		    0 : -1;
	if (inet_pton(AF_INET6, addr, &a6) != 1) {
		snprintf(out, ADDRESS_KEY_MAX, "unknown");
		return -1;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
		return inet_ntop(AF_INET, &a4, out, ADDRESS_KEY_MAX) != NULL ?
		    0 : -1;
	}
	memset(&a6.s6_addr[8], 0, 8);
	if (inet_ntop(AF_INET6, &a6, s, sizeof(s)) == NULL)
		return -1;
	snprintf(out, ADDRESS_KEY_MAX, "%s/64", s);
	return 0;
}
